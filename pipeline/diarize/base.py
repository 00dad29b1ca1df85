"""The one interface every diarization backend implements."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from listenlens.errors import ConfigError
from listenlens.pipeline.audio import Audio

# A backend reports its steps through the pipeline's Progress callback.
from listenlens.pipeline.progress import Progress, no_progress  # noqa: F401
from listenlens.pipeline.timeline import Turn


def check_counts(num_speakers: int | None, min_speakers: int, max_speakers: int) -> None:
    """Refuse speaker-count arguments no backend can honour (ConfigError, saying why)."""
    if num_speakers is not None and num_speakers < 1:
        raise ConfigError(f"num_speakers={num_speakers}: give at least 1, or leave it unset to find the count")
    if min_speakers < 1 or max_speakers < min_speakers:
        raise ConfigError(
            f"min_speakers={min_speakers}, max_speakers={max_speakers}: need 1 <= min_speakers <= max_speakers"
        )


def mask_runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """[start, end) frame index pairs of the True runs of ``mask``."""
    m = np.concatenate([[False], np.asarray(mask, dtype=bool), [False]])
    edges = np.flatnonzero(m[1:] != m[:-1])
    return list(zip(edges[::2].tolist(), edges[1::2].tolist()))


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
