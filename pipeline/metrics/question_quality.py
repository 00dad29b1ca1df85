"""Question quality: open and closed rep questions, and how much each one draws out.

``question_type`` reads a question's form. It is *open* when the answer cannot be a
yes/no or a pick from options the question offers:

* a wh-question ("what", "how", "why", "who", "where", "when", "which" ...), unless it
  offers the options itself ("what do you prefer, monthly or annual");
* a request to tell ("tell me about", "walk me through", "describe", "explain", "help
  me understand"), also when put politely ("could you walk me through", "can you tell
  me more");
* an indirect wh-question ("I'm curious what ...").

Everything else is *closed*: auxiliary inversion ("do you", "is it", "would Tuesday
work"), either/or, tag questions ("..., right"), statements with a question mark.

Which rep sentences are questions is decided by ``questions.find_questions``; its
outcome tells whether the customer answered. The *yield* of a question is the
customer's talk time in the turn that answers it (``turns.analyze_floor``: the turn
of the customer who spoke next; a customer reply too short to take the floor yields its
own length). A question the rep answered, stacked or waited out without a reply
yields 0. A question at the very end of the call, with nothing after it, is left out.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass

from listenlens.pipeline.metrics.config import MetricsConfig
from listenlens.pipeline.metrics.questions import WH_WORDS, Question, find_questions
from listenlens.pipeline.metrics.text import clauses, phrase_tokens, strip_lead_ins
from listenlens.pipeline.metrics.turns import analyze_floor
from listenlens.pipeline.timeline import CallTimeline, Role

OPEN_WH = WH_WORDS | {"what're", "what've", "how'd", "how'll", "what'll", "where'd", "why'd", "who'd"}
TELL_REQUESTS = [
    "tell me", "tell us", "walk me through", "walk us through", "talk me through", "talk us through", "describe",
    "explain", "help me understand", "help us understand", "share", "give me a sense", "give me an idea",
    "give me a picture", "paint me a picture", "elaborate", "say more", "fill me in", "expand on",
    "give me an example", "give me some examples", "give me a feel", "give me some background", "give me a rundown",
    "give me an overview", "give me a quick overview", "i'd love to hear about", "i'd like to hear about",
    "i'd love to learn about", "i'd love to learn more", "i'd like to learn more", "talk to me about", "take me through",
    "take us through", "run me through", "run us through", "catch me up", "catch us up", "share with me", "share with us",
    "bring me up to speed", "fill us in",
]
POLITE = ["can you", "could you", "would you", "will you", "can u", "would you mind", "do you mind", "i'd love for you to",
          "i'd love to hear", "i'd like to hear", "i'd love to understand", "i'd like to understand", "please",
          "can you please", "could you please", "would you be able to", "could you maybe", "can you maybe", "mind"]
TELLING = ["telling me", "telling us", "walking me through", "walking us through", "sharing", "explaining", "describing"]
# "How about Tuesday?", "What if we start small?", "Why don't we ...": a proposal to accept or refuse.
PROPOSALS = ["how about", "what about", "what if", "why don't", "why not"]
PROPOSAL_OBJECTS = {"we", "i", "us", "let's", "you", "tomorrow", "today", "next", "this", "monday", "tuesday", "wednesday",
                    "thursday", "friday", "saturday", "sunday", "morning", "afternoon", "lunch", "a", "an"}
OPEN_TOPICS = ["any thoughts", "thoughts on", "your thoughts"]
INDIRECT_OPEN = ["i'm curious", "i am curious", "i'm wondering", "i wonder", "i'd love to know", "i'd like to know",
                 "do you mind sharing", "curious", "i'd love to hear", "i'd like to hear", "i'd love to understand",
                 "i'd like to understand", "i want to understand", "i want to know", "i'd love to learn"]


def question_type(text: str, config: MetricsConfig | None = None) -> str:
    """``"open"`` or ``"closed"`` for a question's text."""
    config = config or MetricsConfig()
    leads = phrase_tokens(config.lead_ins)
    parts = clauses(text)
    for clause in parts:
        for toks in strip_lead_ins(clause, leads):
            kind = _clause_type(toks, parts)
            if kind:
                return kind
    return "closed"


def _clause_type(toks: list[str], parts: list[list[str]]) -> str | None:
    if not toks:
        return None
    for p in phrase_tokens(PROPOSALS):
        if tuple(toks[: len(p)]) == p and (p[-1] in {"don't", "not"} or toks[len(p) : len(p) + 1] and toks[len(p)] in PROPOSAL_OBJECTS):
            return "closed"
    if toks[0] in OPEN_WH:
        return "closed" if _offers_choice(toks, parts) else "open"
    if _starts(toks, TELL_REQUESTS) or _starts(toks, OPEN_TOPICS):
        return "open"
    for p in phrase_tokens(POLITE):
        if tuple(toks[: len(p)]) == p and (_starts(toks[len(p):], TELL_REQUESTS) or _starts(toks[len(p):], TELLING)):
            return "open"
    for p in phrase_tokens(INDIRECT_OPEN):
        if tuple(toks[: len(p)]) == p:
            rest = [t for t in toks[len(p):] if t not in {"to", "know", "hear", "about", "understand"}]
            if rest and rest[0] in OPEN_WH:
                return "open"
    return None


def _starts(toks: list[str], phrases: list[str]) -> bool:
    return any(tuple(toks[: len(p)]) == p for p in phrase_tokens(phrases))


def _offers_choice(toks: list[str], parts: list[list[str]]) -> bool:
    """ "X or Y" at the end of the question: the answer is one of the options it names."""
    last = parts[-1] if parts else toks
    if len(parts) > 1 and "or" in last:
        return True
    return "or" in toks[-4:-1]


@dataclass(frozen=True)
class RatedQuestion:
    question: Question
    type: str  # open | closed
    yield_s: float | None  # customer talk time in the answer; None for a question at the end of the call


@dataclass(frozen=True)
class QuestionQuality:
    open: int
    closed: int
    open_share: float | None  # None when no question was asked
    median_yield_s: float | None
    questions: list[RatedQuestion]


def question_quality(timeline: CallTimeline, config: MetricsConfig | None = None) -> QuestionQuality:
    config = config or MetricsConfig()
    questions = find_questions(timeline, config)
    floor = analyze_floor(timeline, config)
    rated = [RatedQuestion(q, question_type(q.text, config), _yield(q, floor)) for q in questions]
    n_open = sum(1 for r in rated if r.type == "open")
    yields = [r.yield_s for r in rated if r.yield_s is not None]
    return QuestionQuality(
        n_open,
        len(rated) - n_open,
        n_open / len(rated) if rated else None,
        statistics.median(yields) if yields else None,
        rated,
    )


def _yield(q: Question, floor) -> float | None:
    if q.outcome == "end_of_call":
        return None
    if q.outcome != "answered" or q.next_by is None:
        return 0.0
    reply_at = q.end + q.wait_s
    for turn in floor.turns:
        if turn.speaker == q.next_by and turn.role == Role.CUSTOMER and turn.start <= reply_at + 1e-6 < turn.end:
            return _talk(turn.utterances)
    # A reply too short to take the floor (a backchannel) yields its own speech.
    for u in floor.utterances:
        if u.speaker == q.next_by and u.start <= reply_at + 1e-6 < u.end:
            return _talk([u])
    return 0.0


def _talk(utterances) -> float:
    return sum(seg.duration for u in utterances for seg in u.segments)
