"""Interruptions: someone starts talking over a speaker and keeps at it.

B interrupts A when B's utterance starts while A's is under way (A started first),
B's speech overlaps A's for longer than ``interruption_grace_s``, and B's utterance
is not a backchannel. When several people are speaking, A is the one who started
first (the floor holder). A *yielded* when A's speech stopped before B's utterance
ended and A did not speak again until it had.
"""

from __future__ import annotations

from dataclasses import dataclass

from listenlens.pipeline.metrics.config import MetricsConfig
from listenlens.pipeline.metrics.utterances import Utterance, build_utterances, is_backchannel_form
from listenlens.pipeline.timeline import CallTimeline, Role

_EPS = 1e-9


@dataclass(frozen=True)
class Interruption:
    start: float
    end: float  # end of the interrupting utterance
    by: str
    by_role: Role
    of: str
    of_role: Role
    overlap_s: float
    yielded: bool
    text: str  # what the interrupter said
    interrupted_text: str  # what the interrupted speaker was saying

    @property
    def kind(self) -> str:
        return f"{self.by_role.value}_on_{self.of_role.value}"


def find_interruptions(timeline: CallTimeline, config: MetricsConfig | None = None) -> list[Interruption]:
    config = config or MetricsConfig()
    utts = build_utterances(timeline, config)
    found: list[Interruption] = []
    active: list[Utterance] = []  # utterances started so far that may still be going
    for u in utts:
        active = [o for o in active if o.end > u.start + _EPS]
        under_way = [o for o in active if o.speaker != u.speaker and o.start < u.start - _EPS]
        active.append(u)
        if is_backchannel_form(u, config):
            continue
        if not under_way:
            continue
        a = min(under_way, key=lambda o: (o.start, o.speaker))
        overlap = a.overlap_with(u.start, u.end)
        if overlap <= config.interruption_grace_s + _EPS:
            continue
        found.append(
            Interruption(
                start=u.start,
                end=u.end,
                by=u.speaker,
                by_role=u.role,
                of=a.speaker,
                of_role=a.role,
                overlap_s=overlap,
                yielded=_yielded(a, u, utts),
                text=u.text,
                interrupted_text=a.text,
            )
        )
    return found


def _yielded(a: Utterance, b: Utterance, utts: list[Utterance]) -> bool:
    if a.end >= b.end:
        return False
    return not any(o.speaker == a.speaker and a.end <= o.start < b.end for o in utts)


def count(interruptions: list[Interruption], by: Role, of: Role) -> int:
    return sum(1 for i in interruptions if i.by_role == by and i.of_role == of)
