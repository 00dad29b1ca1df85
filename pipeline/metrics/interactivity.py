"""Interactivity: how often the floor changes hands."""

from __future__ import annotations

from listenlens.pipeline.metrics.turns import Floor, speaker_switches
from listenlens.pipeline.metrics.utterances import speech_span


def switches_per_minute(floor: Floor) -> float | None:
    """Speaker switches (floor changes between turns) per minute of the speech span.

    The span runs from the first to the last speech, so ring time and the silence
    after hang-up do not dilute it. None for a call without speech.
    """
    span = speech_span(floor.utterances)
    if span is None or span[1] <= span[0]:
        return None
    return speaker_switches(floor.turns) / ((span[1] - span[0]) / 60.0)
