"""Words as lines people read: the one way listenlens groups words for display.

A line is one speaker's words until that speaker pauses ``pause_s`` (the metrics'
``pause_s``, the pause through which a speaker keeps the floor), so the transcript view,
the coaching moments' excerpts and the API's segments split a turn where the metrics do.
Lines are built per speaker, then ordered by start: when two people talk over each
other each keeps a readable line instead of their words interleaving one by one.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass
class Line:
    speaker: str
    start: float
    end: float
    text: str


def speaker_lines(pieces: Iterable[tuple[str, float, float, str]], pause_s: float) -> list[Line]:
    """Join each speaker's consecutive ``(speaker, start, end, text)`` pieces closer than ``pause_s``."""
    runs: dict[str, list[Line]] = {}
    for speaker, start, end, text in sorted(pieces, key=lambda p: p[1]):
        text = text.strip()
        if not text:
            continue
        own = runs.setdefault(speaker, [])
        if own and start - own[-1].end < pause_s:
            own[-1].text += " " + text
            own[-1].end = max(own[-1].end, end)
        else:
            own.append(Line(speaker, start, max(start, end), text))
    return sorted((line for own in runs.values() for line in own), key=lambda line: (line.start, line.speaker))
