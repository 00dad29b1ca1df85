"""Patience: how long the rep lets a customer's turn settle before speaking.

For every switch of the floor from a customer to a rep (consecutive turns, so a
backchannel is not a switch), the gap from the customer's last word to the rep's
first word; turn edges stand in where there are no words. Negative when the rep
started before the customer finished.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass

from listenlens.pipeline.metrics.turns import FloorTurn
from listenlens.pipeline.timeline import Role


@dataclass(frozen=True)
class Switch:
    customer: str
    rep: str
    customer_end: float
    rep_start: float

    @property
    def gap_s(self) -> float:
        return self.rep_start - self.customer_end


def customer_to_rep_switches(turns: list[FloorTurn]) -> list[Switch]:
    ordered = sorted(turns, key=lambda t: t.start)
    out = []
    for a, b in zip(ordered, ordered[1:]):
        if a.role == Role.CUSTOMER and b.role == Role.REP:
            a_words, b_words = a.words, b.words
            end = max(w.end for w in a_words) if a_words else a.end
            start = min(w.start for w in b_words) if b_words else b.start
            out.append(Switch(a.speaker, b.speaker, end, start))
    return out


def median_patience(switches: list[Switch]) -> float | None:
    return statistics.median(s.gap_s for s in switches) if switches else None
