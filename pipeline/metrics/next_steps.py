"""Next steps and follow-ups: does the call end with something concrete on the calendar?

A *concrete time* (``concrete_time``) names a day or an hour: a weekday ("Tuesday",
"next Wednesday"), "today", "tonight", "tomorrow", "this afternoon", a clock time ("at
ten", "3 pm", "10:30", "noon"), a date ("March 3rd", "the 14th", "the second of
June"), "end of day/week/month", or "right after this call". "Next week", "soon",
"in a few weeks" or "at some point" are not concrete.

A *follow-up* (``find_follow_ups``) is a rep sentence that promises an action ("I'll",
"I will", "I'm going to", "we'll", "let me ... and get back to you", "I can have it
to you") with a concrete time, and is not itself a question: "I'll find out and get
back to you by Thursday".

A *next step* (``find_next_step``) is looked for in the last ``next_step_window_share``
of the call or its last ``next_step_window_min_s`` seconds, whichever is longer: a
sentence with a concrete time that the other side agreed to. It is agreed when the
sentence is itself an acceptance of a time ("Tuesday at ten works", "Friday at two is
fine") or when the other side's next sentence accepts ("yes", "that works", "sounds
good", "see you then", "perfect") without putting it off ("I'll have to check", "not
sure", "maybe"). A proposal nobody accepted, or accepted without a time, is not a
next step: the call is flagged as missing one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from listenlens.pipeline.metrics.config import MetricsConfig
from listenlens.pipeline.metrics.content_config import ContentConfig
from listenlens.pipeline.metrics.moments import Moment, moment, side_sentences
from listenlens.pipeline.metrics.questions import question_form
from listenlens.pipeline.metrics.text import Sentence, tokens
from listenlens.pipeline.timeline import CallTimeline, Role

_DAYS = r"(monday|tuesday|wednesday|thursday|friday|saturday|sunday|mon|tues|weds|thurs|fri)"
_MONTHS = (r"(january|february|march|april|may|june|july|august|september|october|november|december|jan|feb|mar|apr|"
           r"jun|jul|aug|sep|sept|oct|nov|dec)")
_HOURS = r"(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|\d{1,2}(:\d\d)?)"
_ORD_WORDS = (r"(first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|eleventh|twelfth|thirteenth|fourteenth|"
              r"fifteenth|sixteenth|seventeenth|eighteenth|nineteenth|twentieth|twenty-\w+|thirtieth|thirty-first)")
_ORD = r"(\d{1,2}(st|nd|rd|th)|" + _ORD_WORDS + ")"
TIME_PATTERNS = [
    r"\b" + _DAYS + r"s?\b(?! through)",
    r"\b(?<!for )(?<!call )(?<!chat )(?<!talk )(?<!talking )(?<!meeting )(?<!conversation )(?<!time )(?<!session )"
    r"(?<!demo )(?<!here )(?<!speaking )(?<!chatting )today\b(?!'s)",
    r"\b(tonight|tomorrow|tmrw)\b",
    r"\bthis (morning|afternoon|evening)\b",
    r"\b(at|by|around|say) " + _HOURS + r"\b(?! (point|of|least|all|times?|users|people|seats|percent|minutes|hours|days|weeks))",
    r"\b" + _HOURS + r" ?(am|pm|a m|p m|o'clock|oclock)\b", r"\b\d{1,2}:\d\d\b", r"\bnoon\b", r"\bmidday\b",
    r"\b" + _MONTHS + r" (the )?" + r"(\d{1,2}|" + _ORD + r")\b", r"\b(the )?" + _ORD + r" of " + _MONTHS + r"\b",
    r"\bthe \d{1,2}(st|nd|rd|th)\b",
    r"\bthe (fourth|fifth|sixth|seventh|eighth|ninth|tenth|eleventh|twelfth|thirteenth|fourteenth|fifteenth|sixteenth|"
    r"seventeenth|eighteenth|nineteenth|twentieth|twenty-\w+|thirtieth|thirty-first)\b(?! (time|step|option|item|one|person|year))",
    r"\bend of (the )?(day|week|month|business|play)\b", r"\b(eod|eow|cob)\b",
    r"\b(right )?after (this|the|our) (call|meeting)\b",
]
_TIME = [re.compile(p) for p in TIME_PATTERNS]

PROMISES = [
    r"\b(i'll|i will|i'm going to|i am going to|i'm gonna|we'll|we will|we're going to|we are going to|i can have|"
    r"i'll have|we can have|i'll get|let me|i shall|i'll make sure|you'll have)\b",
]
_PROMISE = [re.compile(p) for p in PROMISES]

ACCEPT = [
    r"\b(yes|yeah|yep|yup|sure|absolutely|definitely|perfect|great|excellent|wonderful|okay|ok|fine|deal|done|"
    r"confirmed|booked|correct|exactly|brilliant|lovely|awesome|cool)\b",
    r"\b(that|it|this|which) works\b", r"\bworks (for|fine|great|well|perfectly)\b", r"\bworks$", r"\bsounds (good|great|perfect|fine)\b",
    r"\bsee you( then| there)?\b", r"\blet's do (it|that)\b", r"\b(is|are) (good|fine|great|perfect|open|free|ok|okay)\b",
    r"\bi'll be there\b", r"\blooking forward\b", r"\bwill do\b", r"\bthanks?\b", r"\bthank you\b", r"\bright\b",
    r"\bwe'll (see|sign|be|review|have)\b", r"\bgood for (me|us|them)\b",
]
DECLINE = [
    r"\bnot sure\b", r"\b(have|need) to check\b", r"\blet me check\b(?!.*\b(yes|works|open|good|fine)\b)", r"\bmaybe\b",
    r"\bget back to you\b", r"\blet you know\b", r"\bdon't think\b", r"\bcan't\b", r"\bcannot\b", r"\bno\b(?! problem)",
    r"\bnot (right )?now\b", r"\bhold off\b", r"\bthink about it\b", r"\bwe'll see\b(?! you)", r"\bprobably\b",
]
_ACCEPT = [re.compile(p) for p in ACCEPT]
_DECLINE = [re.compile(p) for p in DECLINE]


def concrete_time(text: str) -> str | None:
    """The first concrete time named in ``text`` (see the module doc), or None."""
    joined = " ".join(tokens(text))
    hits = [m for p in _TIME for m in [p.search(joined)] if m]
    return min(hits, key=lambda m: m.start()).group(0) if hits else None


def is_follow_up(text: str, config: MetricsConfig | None = None) -> bool:
    """A promise with an action and a concrete time, not asked as a question."""
    config = config or MetricsConfig()
    joined = " ".join(tokens(text))
    if not any(p.search(joined) for p in _PROMISE) or concrete_time(text) is None:
        return False
    return question_form(text, config.lead_ins) is None


def is_acceptance(text: str) -> bool:
    joined = " ".join(tokens(text))
    return any(p.search(joined) for p in _ACCEPT) and not any(p.search(joined) for p in _DECLINE)


@dataclass(frozen=True)
class NextStep:
    found: bool
    moment: Moment | None  # the sentence that set the time
    agreed_by: Moment | None  # the acceptance (the same sentence when it accepts a time itself)
    time: str | None  # the concrete time as said
    window_start: float  # where the search began (seconds)


def find_next_step(
    timeline: CallTimeline, config: MetricsConfig | None = None, content: ContentConfig | None = None
) -> NextStep:
    config = config or MetricsConfig()
    content = content or ContentConfig()
    sentences = side_sentences(timeline, None, config)
    end = max([timeline.duration] + [s.end for s in sentences])
    window = max(end * content.next_step_window_share, content.next_step_window_min_s)
    start = max(0.0, end - window)
    recent = [s for s in sentences if s.end > start]
    for i, s in enumerate(recent):
        when = concrete_time(s.text)
        if when is None:
            continue
        if _accepts_time(s, when):
            return NextStep(True, moment(timeline, s), moment(timeline, s), when, start)
        reply = next((r for r in recent[i + 1 :] if r.speaker != s.speaker and r.start >= s.start), None)
        if reply is not None and is_acceptance(reply.text):
            return NextStep(True, moment(timeline, s), moment(timeline, reply), when, start)
    return NextStep(False, None, None, None, start)


def _accepts_time(s: Sentence, when: str) -> bool:
    """ "Tuesday at ten works", "Yes, the 14th is good": the time and its acceptance in one sentence."""
    joined = " ".join(tokens(s.text))
    after = joined.split(when, 1)[-1]
    return bool(re.search(r"^\W*(\w+ ){0,3}(works|is (good|fine|great|perfect|open|free)|sounds good|it is|then)\b", after)) and not any(
        p.search(joined) for p in _DECLINE
    )


def find_follow_ups(timeline: CallTimeline, config: MetricsConfig | None = None) -> list[Moment]:
    config = config or MetricsConfig()
    return [moment(timeline, s) for s in side_sentences(timeline, Role.REP, config) if is_follow_up(s.text, config)]
