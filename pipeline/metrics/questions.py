"""Rep questions, their wait times and the four-second rule.

Speech recognisers often drop the "?", so a sentence is a question by its form as
well as its punctuation (``question_forms``). Sentences are split from the rep's
words at final punctuation or at a pause of ``sentence_pause_s``; a question that
starts inside a run-on sentence starts at its own first word.

Wait time runs from the end of the question to the start of the next speech by
anyone: another speaker's utterance that starts after the question started and
is still going when it ends (so a "mm-hmm" in the middle of the question does not
count), or the rep's own next word. A question followed by no speech at all (the
end of the call) waits until the end of the recording; it is marked
``end_of_call``, honours the rule (the rep did not talk over it) and is left out of
the median wait, which would otherwise depend on where the recording was cut.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass

from listenlens.pipeline.metrics import question_forms as _forms
from listenlens.pipeline.metrics.config import MetricsConfig
from listenlens.pipeline.metrics.text import Sentence, phrase_tokens, split_sentences, tokens
from listenlens.pipeline.metrics.utterances import build_utterances, speech_span
from listenlens.pipeline.timeline import CallTimeline, Role

NEW_INFORMATION_FORMS = _forms.NEW_INFORMATION_FORMS
WH_WORDS = _forms.WH_WORDS | _forms.WH_CONTRACTED


def question_form(text: str, lead_ins: list[str] | None = None) -> str | None:
    """How a sentence asks, or None (see ``question_forms``)."""
    return _forms.question_form(text, lead_ins)


def question_in(sentence: Sentence, lead_ins: list[str]) -> tuple[str, Sentence] | None:
    """The form of the question in a sentence and the words it spans, or None.

    A question inside a run-on sentence ("...the team how many people are on it")
    starts at its own first word; it runs to the end of the sentence.
    """
    m = _forms.find_question(sentence.text, phrase_tokens(lead_ins))
    if m is None:
        return None
    seen = 0
    for k, w in enumerate(sentence.words):
        if seen >= m.start:
            return m.form, Sentence(sentence.speaker, sentence.words[k:])
        seen += len(tokens(w.text))
    return m.form, sentence


@dataclass(frozen=True)
class Question:
    speaker: str
    start: float
    end: float
    text: str
    form: str
    wait_s: float
    next_by: str | None  # label of whoever spoke next; None at the end of the call
    next_role: Role | None
    outcome: str  # answered | waited | self_answered | stacked | end_of_call
    honoured: bool


@dataclass(frozen=True)
class FourSecondRule:
    asked: int
    honoured: int
    share_honoured: float | None  # None when no question was asked
    median_wait_s: float | None
    self_answered: int
    stacked: int
    violations: list[Question]


def rep_sentences(timeline: CallTimeline, config: MetricsConfig) -> list[Sentence]:
    out: list[Sentence] = []
    for label in timeline.labels(Role.REP):
        words = [w for w in timeline.words if w.speaker == label]
        out.extend(split_sentences(words, config.sentence_pause_s, talked_over=_talked_over(timeline, label)))
    return sorted(out, key=lambda s: (s.start, s.end))


def _talked_over(timeline: CallTimeline, label: str):
    """``talked_over(a, b)`` for ``split_sentences``: in the pause [a, b) of ``label``,
    someone else speaks in a turn that overlaps one of ``label``'s own (they talked at
    once), so the pause is an interruption, not a hand-over."""
    mine = [t for t in timeline.speech if t.speaker == label]
    others = [t for t in timeline.speech if t.speaker != label]

    def talked_over(a: float, b: float) -> bool:
        for o in others:
            if o.start < b and o.end > a and any(m.start < o.end and m.end > o.start for m in mine):
                return True
        return False

    return talked_over


def find_questions(timeline: CallTimeline, config: MetricsConfig | None = None) -> list[Question]:
    config = config or MetricsConfig()
    utts = build_utterances(timeline, config)
    sentences = rep_sentences(timeline, config)
    found = [question_in(s, config.lead_ins) for s in sentences]
    reps = set(timeline.labels(Role.REP))
    out: list[Question] = []
    for i, f in enumerate(found):
        if f is None:
            continue
        form, q = f
        # (start, label, is_question) of every candidate "next speech"
        nxt: list[tuple[float, str, bool]] = []
        for j, s in enumerate(sentences):
            if j != i and s.start >= q.end:
                nxt.append((s.start, s.speaker, found[j] is not None))
        for u in utts:
            if u.speaker != q.speaker and u.start > q.start and u.end > q.end:
                nxt.append((u.start, u.speaker, False))
            elif u.speaker in reps and u.start >= q.end and not u.words:
                nxt.append((u.start, u.speaker, False))
        nxt.sort()
        if not nxt:
            wait = max(0.0, timeline.duration - q.end)
            out.append(Question(q.speaker, q.start, q.end, q.text, form, wait, None, None, "end_of_call", True))
            continue
        first_start, first_by, _ = nxt[0]
        first_role = timeline.role_of(first_by)
        rep_next = next(((t, isq) for t, lbl, isq in nxt if lbl in reps), None)
        if first_role == Role.CUSTOMER:
            outcome, honoured = "answered", True
        elif rep_next is not None and rep_next[0] - q.end < config.four_second_rule_s:
            outcome, honoured = ("stacked" if rep_next[1] else "self_answered"), False
        else:
            outcome, honoured = "waited", True
        out.append(
            Question(q.speaker, q.start, q.end, q.text, form, first_start - q.end, first_by, first_role, outcome, honoured)
        )
    return out


def four_second_rule(questions: list[Question]) -> FourSecondRule:
    honoured = [q for q in questions if q.honoured]
    waits = [q.wait_s for q in questions if q.outcome != "end_of_call"]
    return FourSecondRule(
        asked=len(questions),
        honoured=len(honoured),
        share_honoured=len(honoured) / len(questions) if questions else None,
        median_wait_s=statistics.median(waits) if waits else None,
        self_answered=sum(1 for q in questions if q.outcome == "self_answered"),
        stacked=sum(1 for q in questions if q.outcome == "stacked"),
        violations=[q for q in questions if not q.honoured],
    )


def question_rate(questions: list[Question], timeline: CallTimeline, config: MetricsConfig) -> float | None:
    """Rep questions per ``question_rate_per_s`` seconds (default: per 10 minutes) of speech span."""
    span = speech_span(build_utterances(timeline, config))
    if span is None or span[1] <= span[0]:
        return None
    return len(questions) / (span[1] - span[0]) * config.question_rate_per_s
