"""Talk time, talk ratio and non-talk time.

Talk time is the measure of a union of intervals (pyannote.core ``Timeline.support``),
so a speaker's own overlapping segments are never counted twice.
"""

from __future__ import annotations

from dataclasses import dataclass

from pyannote.core import Timeline as PTimeline

from listenlens.pipeline.metrics.utterances import speaker_support
from listenlens.pipeline.timeline import CallTimeline, Role


@dataclass(frozen=True)
class SpeakerTalk:
    label: str
    role: Role
    talk_time_s: float


def talk_times(timeline: CallTimeline) -> list[SpeakerTalk]:
    return [
        SpeakerTalk(s.label, s.role, speaker_support(timeline, s.label).duration())
        for s in timeline.speakers
    ]


def side_talk_time(timeline: CallTimeline, role: Role) -> float:
    """Union of the speech of every speaker of one side (two reps talking at once count once)."""
    segs = [seg for label in timeline.labels(role) for seg in speaker_support(timeline, label)]
    return PTimeline(segs).support().duration()


def talk_ratio(timeline: CallTimeline) -> float | None:
    """Rep talk time / (rep + customer talk time); None when neither side spoke."""
    rep = side_talk_time(timeline, Role.REP)
    customer = side_talk_time(timeline, Role.CUSTOMER)
    if rep + customer <= 0:
        return None
    return rep / (rep + customer)


def non_talk_time(timeline: CallTimeline) -> float:
    """Time between the first and the last speech where nobody speaks."""
    segs = [seg for label in timeline.labels() for seg in speaker_support(timeline, label)]
    support = PTimeline(segs).support()
    if len(support) == 0:
        return 0.0
    return support.extent().duration - support.duration()
