"""Talk time, talk ratio and non-talk time.

A speaker's talk is their speech with their own short pauses filled (docs/metrics.md,
"talk time"): the breath between two sentences is still their talk, as human speaker
annotations mark it, and a diarizer that splits speech finely and one that bridges
those pauses measure the same talk. A pause the other side speaks in is not filled.
Talk time is the measure of a union of intervals (pyannote.core ``Timeline.support``),
so a speaker's own overlapping segments are never counted twice.
"""

from __future__ import annotations

from dataclasses import dataclass

from pyannote.core import Segment
from pyannote.core import Timeline as PTimeline

from listenlens.pipeline.metrics.config import TALK_PAUSE_S
from listenlens.pipeline.metrics.utterances import speaker_support
from listenlens.pipeline.timeline import CallTimeline, Role


@dataclass(frozen=True)
class SpeakerTalk:
    label: str
    role: Role
    talk_time_s: float


def speaker_talk(timeline: CallTimeline, label: str, pause_s: float = TALK_PAUSE_S) -> PTimeline:
    """The speaker's speech with their pauses shorter than ``pause_s`` filled, unless
    another speaker speaks in the pause."""
    speech = speaker_support(timeline, label)
    if pause_s <= 0 or len(speech) < 2:
        return speech
    others = PTimeline([seg for other in timeline.labels() if other != label
                        for seg in speaker_support(timeline, other)]).support()
    filled = [Segment(a.end, b.start) for a, b in zip(speech, list(speech)[1:])
              if b.start - a.end < pause_s and not others.crop(Segment(a.end, b.start))]
    return PTimeline(list(speech) + filled).support()


def talk_times(timeline: CallTimeline, pause_s: float = TALK_PAUSE_S) -> list[SpeakerTalk]:
    return [
        SpeakerTalk(s.label, s.role, speaker_talk(timeline, s.label, pause_s).duration())
        for s in timeline.speakers
    ]


def side_talk_time(timeline: CallTimeline, role: Role, pause_s: float = TALK_PAUSE_S) -> float:
    """Union of the talk of every speaker of one side (two reps talking at once count once)."""
    segs = [seg for label in timeline.labels(role) for seg in speaker_talk(timeline, label, pause_s)]
    return PTimeline(segs).support().duration()


def talk_ratio(timeline: CallTimeline, pause_s: float = TALK_PAUSE_S) -> float | None:
    """Rep talk time / (rep + customer talk time); None when neither side spoke."""
    rep = side_talk_time(timeline, Role.REP, pause_s)
    customer = side_talk_time(timeline, Role.CUSTOMER, pause_s)
    if rep + customer <= 0:
        return None
    return rep / (rep + customer)


def non_talk_time(timeline: CallTimeline, pause_s: float = TALK_PAUSE_S) -> float:
    """Time between the first and the last talk where nobody talks."""
    segs = [seg for label in timeline.labels() for seg in speaker_talk(timeline, label, pause_s)]
    support = PTimeline(segs).support()
    if len(support) == 0:
        return 0.0
    return support.extent().duration - support.duration()
