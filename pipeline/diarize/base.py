"""The one interface every diarization backend implements."""

from __future__ import annotations

from collections.abc import Callable
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
class SpeakerActivity:
    """How strongly each speaker is heard in each frame, as the diarizer saw it.

    ``activity[j, k]`` in [0, 1] is speaker ``labels[k]``'s activity in the frame centred
    at ``first_s + j * frame_s`` (for the ``segmented`` backend: the share of the
    overlapping segmentation windows that hear that speaker there). Turns are this,
    thresholded and smoothed; the activity itself says *how sure* a frame's speaker is
    and where two people are heard at once, which attribution needs at turn edges and
    in overlaps.
    """

    frame_s: float
    first_s: float
    labels: list[str]
    activity: np.ndarray  # (frames, len(labels)) float32
    count: np.ndarray | None = None  # (frames,) how many people speak in each frame

    def window(self, start: float, end: float) -> tuple[int, int]:
        """[a, b) frames whose centres fall in ``[start, end)``; at least the nearest one."""
        n = len(self.activity)
        a = int(np.ceil((start - self.first_s) / self.frame_s))
        b = int(np.ceil((end - self.first_s) / self.frame_s))
        a, b = min(max(a, 0), n - 1), min(max(b, 0), n)
        return a, max(b, a + 1)

    def mean(self, start: float, end: float) -> dict[str, float]:
        """Each speaker's mean activity over ``[start, end)``."""
        if len(self.activity) == 0:
            return {}
        a, b = self.window(start, end)
        m = self.activity[a:b].mean(axis=0)
        return {lbl: float(v) for lbl, v in zip(self.labels, m)}

    def overlap_share(self, start: float, end: float) -> float:
        """Share of ``[start, end)``'s frames in which two or more people speak."""
        if self.count is None or len(self.count) == 0:
            return 0.0
        a, b = self.window(start, end)
        return float(np.mean(self.count[a:b] > 1))


@dataclass
class Diarization:
    turns: list[Turn]  # may overlap between speakers (overlapped speech)
    backend: str
    channel_of: dict[str, int] = field(default_factory=dict)  # label -> channel (channels backend)
    info: dict = field(default_factory=dict)  # backend details for the timeline's ``source``
    # Frame-level speaker activity, for backends that have it (mono backends).
    activity: SpeakerActivity | None = None


# Hears where the speech is, in seconds, as a backend finds it (before it knows who
# spoke): recognition can start then. ``listener(regions, settled_s)``: every region
# that starts before ``settled_s`` is in ``regions`` and complete; the last call has
# ``settled_s=None`` and all the speech. Backends that can tell it early take an
# ``on_speech`` argument and say so with ``announces_speech = True``.
SpeechListener = Callable[[list[tuple[float, float]], float | None], None]


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
