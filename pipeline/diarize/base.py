"""The one interface every diarization backend implements."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Protocol

from listenlens.pipeline.audio import Audio
from listenlens.pipeline.timeline import Turn

# progress(stage, done, total): called as work advances; total may be None.
Progress = Callable[[str, float, float | None], None]


def no_progress(stage: str, done: float, total: float | None) -> None:
    return None


@dataclass
class Diarization:
    turns: list[Turn]  # may overlap between speakers (overlapped speech)
    backend: str
    channel_of: dict[str, int] = field(default_factory=dict)  # label -> channel (channels backend)
    info: dict = field(default_factory=dict)  # backend details for the timeline's ``source``


class Diarizer(Protocol):
    name: str

    def diarize(
        self,
        audio: Audio,
        *,
        num_speakers: int | None = None,
        min_speakers: int = 1,
        max_speakers: int = 6,
        progress: Progress = no_progress,
    ) -> Diarization: ...
