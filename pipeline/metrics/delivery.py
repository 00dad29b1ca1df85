"""How the call sounds: pace, filler words, dead air, and the customer's questions.

* **Pace**: words per minute of a side's own talk time (``talk.side_talk_time``), rep
  and customer apart; None for a side that did not speak.
* **Filler words**: in the rep's speech, every hesitation sound from
  ``ContentConfig.filler_words`` ("um", "uh", "er", "hmm"), and the words of
  ``discourse_fillers`` ("like", "you know", "I mean", "sort of", "kind of",
  "basically") where they carry no meaning: set off by a comma, or opening or closing a
  clause ("like, we tried", "it's, you know, slow"); "basically" always. "I like it",
  "do you know", "what kind of tool" are not fillers. Reported per
  ``filler_rate_per_s`` (a minute) of rep talk time. Recognisers drop many fillers
  (the ``asr.keep_fillers`` setting), so the count is a floor.
* **Dead air**: a stretch of ``dead_air_s`` (5 s) or more between the first and the
  last speech where nobody speaks, unless the last words before it were a rep
  question (``questions.find_questions``): that silence is the customer thinking.
* **Customer questions**: customer sentences that ask (``questions.question_form``).
"""

from __future__ import annotations

from dataclasses import dataclass

from pyannote.core import Timeline as PTimeline

from listenlens.pipeline.metrics.config import MetricsConfig
from listenlens.pipeline.metrics.content_config import ContentConfig
from listenlens.pipeline.metrics.moments import Moment, moment, side_sentences
from listenlens.pipeline.metrics.questions import find_questions, question_form
from listenlens.pipeline.metrics.talk import side_talk_time
from listenlens.pipeline.metrics.text import clauses, phrase_tokens, tokens
from listenlens.pipeline.metrics.utterances import speaker_support
from listenlens.pipeline.timeline import CallTimeline, Role

# "what kind of", "a sort of": the words keep their meaning after these.
KIND_OF_MEANING = {"what", "which", "a", "an", "the", "this", "that", "these", "those", "some", "any", "all", "every",
                   "no", "one", "same", "different", "other", "another", "each", "many", "new", "right", "wrong"}


@dataclass(frozen=True)
class Pace:
    rep_wpm: float | None
    customer_wpm: float | None
    rep_words: int
    customer_words: int


def pace(timeline: CallTimeline, config: MetricsConfig | None = None) -> Pace:
    config = config or MetricsConfig()
    out = {}
    for role in (Role.REP, Role.CUSTOMER):
        labels = set(timeline.labels(role))
        n = sum(len(tokens(w.text)) for w in timeline.words if w.speaker in labels)
        talk = side_talk_time(timeline, role, config.talk_pause_s)
        out[role] = (n / talk * 60.0 if talk > 0 else None, n)
    return Pace(out[Role.REP][0], out[Role.CUSTOMER][0], out[Role.REP][1], out[Role.CUSTOMER][1])


@dataclass(frozen=True)
class Filler:
    speaker: str
    start: float
    end: float
    text: str  # the filler as said ("um", "you know")


@dataclass(frozen=True)
class Fillers:
    count: int
    per_minute: float | None  # per ``filler_rate_per_s`` of rep talk; None when the rep did not speak
    by_word: dict[str, int]
    moments: list[Filler]


def filler_words(
    timeline: CallTimeline, config: MetricsConfig | None = None, content: ContentConfig | None = None
) -> Fillers:
    config = config or MetricsConfig()
    content = content or ContentConfig()
    sounds = set(tokens(" ".join(content.filler_words)))
    discourse = phrase_tokens(content.discourse_fillers)
    found: list[Filler] = []
    for s in side_sentences(timeline, Role.REP, config):
        # (token, word) pairs, and where each comma-separated clause starts and ends
        pairs = [(t, w) for w in s.words for t in tokens(w.text)]
        edges = _clause_edges(s.text, len(pairs))
        i = 0
        while i < len(pairs):
            t, w = pairs[i]
            if t in sounds:
                found.append(Filler(w.speaker, w.start, w.end, t))
                i += 1
                continue
            hit = next((p for p in discourse if tuple(x for x, _ in pairs[i : i + len(p)]) == p), None)
            if hit and _filler_use(hit, pairs, i, edges):
                last = pairs[i + len(hit) - 1][1]
                found.append(Filler(w.speaker, w.start, last.end, " ".join(hit)))
                i += len(hit)
                continue
            i += 1
    talk = side_talk_time(timeline, Role.REP, config.talk_pause_s)
    by_word: dict[str, int] = {}
    for f in found:
        by_word[f.text] = by_word.get(f.text, 0) + 1
    per = len(found) / talk * content.filler_rate_per_s if talk > 0 else None
    return Fillers(len(found), per, dict(sorted(by_word.items())), found)


def _clause_edges(text: str, n: int) -> set[int]:
    """Token positions where a comma-separated clause starts (and ``n``, the end)."""
    edges, pos = {0, n}, 0
    for c in clauses(text):
        pos += len(c)
        edges.add(pos)
    return edges


def _filler_use(phrase: tuple[str, ...], pairs, i: int, edges: set[int]) -> bool:
    j = i + len(phrase)
    prev = pairs[i - 1][0] if i > 0 else None
    nxt = pairs[j][0] if j < len(pairs) else None
    if phrase == ("basically",):
        return True
    if phrase in {("sort", "of"), ("kind", "of")}:
        return prev not in KIND_OF_MEANING and prev is not None
    set_off = i in edges and i > 0 or j in edges and j < len(pairs)
    if phrase == ("you", "know"):
        if prev in {"do", "did", "does", "don't", "didn't", "if", "as", "would", "will", "let", "you'd", "you'll", "what"}:
            return False
        return set_off or j == len(pairs) or i == 0 and nxt not in {"what", "that", "how", "who", "where", "when", "why", "if", "the"}
    if phrase == ("i", "mean"):
        if prev == "what":
            return False
        return set_off or i == 0 and nxt not in {"it", "that", "to", "what"}
    if phrase == ("like",):
        return set_off or i == 0 and nxt is not None and nxt not in {"this", "that", "it", "to"}
    return set_off


@dataclass(frozen=True)
class DeadAir:
    start: float
    end: float

    @property
    def duration(self) -> float:
        return self.end - self.start


def dead_air(timeline: CallTimeline, config: MetricsConfig | None = None, content: ContentConfig | None = None) -> list[DeadAir]:
    config = config or MetricsConfig()
    content = content or ContentConfig()
    segs = [seg for label in timeline.labels() for seg in speaker_support(timeline, label)]
    support = PTimeline(segs).support()
    if len(support) < 2:
        return []
    questions = find_questions(timeline, config)
    out: list[DeadAir] = []
    for gap in support.gaps():
        if gap.duration < content.dead_air_s:
            continue
        before = [w for w in timeline.words if w.end <= gap.start + 1e-6]
        last = max(before, key=lambda w: (w.end, w.start)) if before else None
        after_question = last is not None and any(
            q.speaker == last.speaker and q.start <= last.start and last.end <= q.end + 1e-6 for q in questions
        )
        if not after_question:
            out.append(DeadAir(gap.start, gap.end))
    return out


def customer_questions(timeline: CallTimeline, config: MetricsConfig | None = None) -> list[Moment]:
    config = config or MetricsConfig()
    return [
        moment(timeline, s)
        for s in side_sentences(timeline, Role.CUSTOMER, config)
        if question_form(s.text, config.lead_ins) is not None
    ]
