"""Recording -> scorecard: the whole pipeline.

    transcribe_call (timeline) -> score_call (metrics, score, coaching moments)
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from listenlens.config import PipelineSettings
from listenlens.pipeline.diarize.base import Progress, no_progress
from listenlens.pipeline.timeline import CallTimeline
from listenlens.pipeline.transcribe import transcribe_call

SCHEMA = "listenlens.analysis/1"


@dataclass
class Analysis:
    timeline: CallTimeline
    scorecard: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        timeline = self.timeline.to_dict()
        return {
            "schema": SCHEMA,
            **self.scorecard,
            "call": {
                "name": self.timeline.source.get("name"),
                "duration_s": round(self.timeline.duration, 3),
                "roles": timeline["roles"],
                "source": self.timeline.source,
            },
            "timeline": timeline,
        }


def analyze_timeline(timeline: CallTimeline, scorecard_config=None) -> Analysis:
    from listenlens.pipeline.scorecard import score_call

    t0 = time.perf_counter()
    scorecard = score_call(timeline, scorecard_config)
    timeline.source.setdefault("timings_s", {})["metrics"] = round(time.perf_counter() - t0, 3)
    return Analysis(timeline, scorecard)


def analyze_call(
    path: str | Path,
    settings: PipelineSettings | None = None,
    *,
    rep: str | None = None,
    channels: str | None = None,
    progress: Progress = no_progress,
    scorecard_config=None,
) -> Analysis:
    timeline = transcribe_call(path, settings, rep=rep, channels=channels, progress=progress)
    progress("metrics", 0, None)
    return analyze_timeline(timeline, scorecard_config)
