"""What is judged against the truth: the product pipeline's answer, or saved RTTM turns.

``pipeline_hypothesis`` runs ``analyze_call``, the function behind ``listenlens
analyze``, so the evaluation measures the product as a user runs it, scorecard
included (its cost belongs in the speed figure).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from listenlens.errors import NotAConversationError
from listenlens.evaluation.cases import EvalCase, EvalError
from listenlens.pipeline.progress import ProgressListener, ignore_progress
from listenlens.pipeline.rttm import normalize_id, read_rttm
from listenlens.pipeline.timeline import CallTimeline, Turn


@dataclass
class Hypothesis:
    timeline: CallTimeline
    wall_s: float | None = None  # pipeline wall-clock time, None when read from files
    timings_s: dict[str, float] = field(default_factory=dict)
    refused: str | None = None  # the pipeline's refusal, when only its diarization is scored


Hypothesize = Callable[[EvalCase], Hypothesis]


def pipeline_hypothesis(settings=None, progress: ProgressListener = ignore_progress) -> Hypothesize:
    """Run the product pipeline (decode, diarize, ASR, scorecard) on each case."""
    from listenlens.pipeline.analyze import analyze_call

    def run(case: EvalCase) -> Hypothesis:
        t0 = time.perf_counter()
        try:
            timeline = analyze_call(case.audio, settings, progress=progress).timeline
        except NotAConversationError as exc:
            # The pipeline heard no speech, or one speaker, and refused to score the call.
            # Dropping the file would flatter the DER: score what the diarizer found.
            return Hypothesis(refused_timeline(case, exc), refused=exc.message)
        wall = time.perf_counter() - t0
        return Hypothesis(timeline, wall, dict(timeline.source.get("timings_s", {})))

    return run


def refused_timeline(case: EvalCase, refusal: NotAConversationError) -> CallTimeline:
    """The turns the diarizer found before the pipeline refused the call, as a timeline."""
    dia = refusal.diarization
    if dia is None or refusal.duration is None:
        raise ValueError("the pipeline refused the call without its diarization and duration")
    return CallTimeline(
        duration=refusal.duration, speech=list(dia.turns), words=[], speakers=[],
        source={"name": case.file_id, "diarizer": {"backend": dia.backend}},
    )


def rttm_hypothesis(folder: str | Path) -> Hypothesize:
    """Read hypotheses from RTTM files (another system's output, or a saved run)."""
    from listenlens.pipeline.audio import probe_audio

    folder = Path(folder)
    if not folder.is_dir():
        raise EvalError(f"{folder}: no such folder of hypothesis RTTM files")
    turns: dict[str, list[Turn]] = {}
    for path in sorted(folder.glob("*.rttm")):
        for uri, t in read_rttm(path).turns.items():
            turns.setdefault(normalize_id(uri), []).extend(t)
    if not turns:
        raise EvalError(f"{folder} holds no .rttm hypothesis files")

    def run(case: EvalCase) -> Hypothesis:
        found = turns.get(normalize_id(case.file_id))
        if found is None:
            raise EvalError(f"no hypothesis RTTM for {case.file_id} in {folder}; every evaluated recording needs one")
        declared = probe_audio(case.audio).get("duration")
        duration = declared or max(t.end for t in found + case.reference)
        return Hypothesis(CallTimeline(duration=duration, speech=list(found), words=[], speakers=[], source={"name": case.file_id}))

    return run
