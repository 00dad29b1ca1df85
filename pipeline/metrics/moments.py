"""Sentences of one side of the call, and the moment type the content metrics return.

Each content metric judges sentences (``text.split_sentences``: final punctuation or
a pause of ``sentence_pause_s``) and reports each finding as a ``Moment`` a coach can
open: who said it, when, and the words.
"""

from __future__ import annotations

from dataclasses import dataclass

from listenlens.pipeline.metrics.config import MetricsConfig
from listenlens.pipeline.metrics.text import Sentence, split_sentences
from listenlens.pipeline.timeline import CallTimeline, Role


@dataclass(frozen=True)
class Moment:
    speaker: str
    role: Role
    start: float
    end: float
    text: str


def side_sentences(timeline: CallTimeline, role: Role | None, config: MetricsConfig) -> list[Sentence]:
    """Sentences of every speaker of ``role`` (all speakers for None), in time order."""
    out: list[Sentence] = []
    for label in timeline.labels(role):
        words = [w for w in timeline.words if w.speaker == label]
        out.extend(split_sentences(words, config.sentence_pause_s))
    return sorted(out, key=lambda s: (s.start, s.end))


def moment(timeline: CallTimeline, sentence: Sentence) -> Moment:
    return Moment(sentence.speaker, timeline.role_of(sentence.speaker), sentence.start, sentence.end, sentence.text)
