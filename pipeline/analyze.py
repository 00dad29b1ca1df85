"""Recording -> scorecard: the whole pipeline.

    transcribe_call (timeline) -> score_call (metrics, score, coaching moments)
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from listenlens.config import Settings, load_settings
from listenlens.pipeline.metrics.paraphrase import prefetch_default_embedder
from listenlens.pipeline.progress import SCORING, ProgressListener, ProgressTracker, ignore_progress
from listenlens.pipeline.scorecard.config import ScorecardConfig
from listenlens.pipeline.scorecard.models import Scorecard
from listenlens.pipeline.timeline import CallTimeline
from listenlens.pipeline.transcribe import transcribe_call
from listenlens.pipeline.voiceprints.match import CallVoices


class CallInfo(BaseModel):
    name: str | None = Field(description="the recording's name")
    duration_s: float
    roles: dict[str, Any] = Field(description="the timeline's role assignment")
    source: dict[str, Any] = Field(description="where the timeline came from")


class AnalysisResult(Scorecard):
    """What ``listenlens analyze`` writes: the scorecard, the call, and its whole timeline.

    Its ``schema`` is the scorecard's: a client reads the same keys from either.
    """

    call: CallInfo
    timeline: dict[str, Any] = Field(description="the call timeline (docs/timeline-schema.md)")


@dataclass
class Analysis:
    timeline: CallTimeline
    scorecard: Scorecard

    def result(self) -> AnalysisResult:
        timeline = self.timeline.to_dict()
        call = CallInfo(name=self.timeline.source.get("name"), duration_s=round(self.timeline.duration, 3),
                        roles=timeline["roles"], source=self.timeline.source)
        return AnalysisResult(**dict(self.scorecard), call=call, timeline=timeline)

    def to_dict(self) -> dict[str, Any]:
        return self.result().model_dump(mode="json")


def analyze_timeline(timeline: CallTimeline, scorecard_config=None) -> Analysis:
    """Score ``timeline``; ``scorecard_config``: a ``ScorecardConfig`` (default: the
    ``scorecard`` section of ``load_settings()``)."""
    from listenlens.pipeline.scorecard import score_call

    if scorecard_config is None:
        scorecard_config = load_settings().scorecard
    t0 = time.perf_counter()
    scorecard = score_call(timeline, scorecard_config)
    timeline.source.setdefault("timings_s", {})["metrics"] = round(time.perf_counter() - t0, 3)
    return Analysis(timeline, scorecard)


def analyze_call(
    path: str | Path,
    settings: Settings | None = None,
    *,
    rep: str | None = None,
    channels: str | None = None,
    voices: CallVoices | None = None,
    progress: ProgressListener | ProgressTracker = ignore_progress,
) -> Analysis:
    """The scorecard of a recording under ``settings`` (default: ``load_settings()``), its
    ``scorecard`` section included; ``voices``: enrolled voices to look for (``CallVoices``).
    ``progress`` hears each stage, "Scoring" last."""
    settings = settings or load_settings()
    track = ProgressTracker.of(progress)
    if _needs_sentence_embedder(settings.scorecard):
        prefetch_default_embedder()
    timeline = transcribe_call(path, settings, rep=rep, channels=channels, voices=voices, progress=track)
    track.enter(SCORING)
    analysis = analyze_timeline(timeline, settings.scorecard)
    track.finish(SCORING)
    return analysis


def _needs_sentence_embedder(config: ScorecardConfig) -> bool:
    """Whether scoring will embed sentences (restatements by meaning, or the content
    classifiers), so the embedder is worth loading while the audio is transcribed."""
    return bool(config.metrics.paraphrase_semantic or config.content.semantic)
