"""Progress of one call through the pipeline, as the CLI and the service both show it.

The pipeline's steps (decoding, a diarizer's passes, the recogniser) report
``(step, done, total)`` as they go: a ``Progress`` callback, ``total`` None when unknown.
``ProgressTracker`` turns those reports into ``ProgressUpdate``s for a listener: a stage
name people read ("Finding who spoke", "Transcribing", "Scoring") and a fraction of the
whole call that only moves forward, even when a step starts over (a diarizer's second
look) or a stage has no count to give.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

# progress(step, done, total): called as a step's work advances; total may be None.
Progress = Callable[[str, float, "float | None"], None]


def no_progress(step: str, done: float, total: float | None) -> None:
    return None


@dataclass(frozen=True)
class ProgressUpdate:
    stage: str  # what is happening, as people read it
    fraction: float  # of the whole call, 0 to 1, never less than the previous update's


ProgressListener = Callable[[ProgressUpdate], None]


def ignore_progress(update: ProgressUpdate) -> None:
    return None


class Stage(NamedTuple):
    name: str
    share: float  # of the whole call's time, roughly (bench/results.md: stage timings)


LOADING = Stage("Loading models", 0.05)
READING = Stage("Reading the recording", 0.05)
FINDING_WHO_SPOKE = Stage("Finding who spoke", 0.45)
TRANSCRIBING = Stage("Transcribing", 0.35)
SCORING = Stage("Scoring", 0.10)
ANALYZE_STAGES = (LOADING, READING, FINDING_WHO_SPOKE, TRANSCRIBING, SCORING)
TRANSCRIBE_STAGES = ANALYZE_STAGES[:-1]


class ProgressTracker:
    """One call's stages, each a share of the whole; reports to ``listener``."""

    def __init__(self, listener: ProgressListener = ignore_progress, stages: tuple[Stage, ...] = ANALYZE_STAGES):
        self.listener = listener
        total = sum(s.share for s in stages)
        self._start: dict[Stage, float] = {}
        at = 0.0
        for s in stages:
            self._start[s] = at / total
            at += s.share
        self._share = {s: s.share / total for s in stages}
        self.fraction = 0.0

    @classmethod
    def of(cls, progress: ProgressListener | ProgressTracker, stages: tuple[Stage, ...] = ANALYZE_STAGES) -> ProgressTracker:
        """``progress`` itself when it is a tracker already (a caller's stages go on), else a new one."""
        return progress if isinstance(progress, ProgressTracker) else cls(progress, stages)

    def stage(self, stage: Stage, *, part: int = 0, parts: int = 1) -> Progress:
        """A ``Progress`` callback for ``stage`` (or its ``part``-th of ``parts`` equal parts)."""
        start = self._start[stage] + self._share[stage] * part / parts
        share = self._share[stage] / parts

        def report(step: str, done: float, total: float | None) -> None:
            within = max(0.0, min(1.0, float(done) / float(total))) if total else 0.0
            self._report(stage, start + share * within)

        return report

    def enter(self, stage: Stage) -> None:
        self._report(stage, self._start[stage])

    def finish(self, stage: Stage) -> None:
        self._report(stage, self._start[stage] + self._share[stage])

    def _report(self, stage: Stage, fraction: float) -> None:
        self.fraction = max(self.fraction, min(1.0, fraction))
        self.listener(ProgressUpdate(stage.name, round(self.fraction, 4)))
