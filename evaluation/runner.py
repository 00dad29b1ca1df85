"""One file's result against its truth, and the whole run's report."""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from listenlens.errors import ListenlensError
from listenlens.evaluation.cases import EvalCase, EvalError, discover
from listenlens.evaluation.der import COLLAR_CONVENTION, DEFAULT_COLLARS, collar_key, diarization_error, scored_region, speaker_mapping
from listenlens.evaluation.hypotheses import Hypothesis, Hypothesize, pipeline_hypothesis
from listenlens.evaluation.summary import summarize
from listenlens.evaluation.targets import TARGET_KINDS, check_targets, detect_kind, mark_failed
from listenlens.evaluation.timing import REP_RULE, compare_timing, timing_metrics, truth_rep, truth_timeline, with_roles
from listenlens.pipeline.progress import ProgressListener, ignore_progress
from listenlens.pipeline.timeline import Role, turns_annotation

SCHEMA = "listenlens.eval/1"


def evaluate_case(case: EvalCase, hyp: Hypothesis, collars: Sequence[float] = DEFAULT_COLLARS) -> dict[str, Any]:
    timeline = hyp.timeline
    duration = max(timeline.duration, max((t.end for t in case.reference), default=0.0))
    uem = scored_region(case.uem, duration)
    reference = turns_annotation(case.reference, case.file_id)
    hypothesis = turns_annotation(timeline.speech, case.file_id)
    mapping = speaker_mapping(reference, hypothesis, uem)
    rep = truth_rep(case.reference)

    truth_tl = truth_timeline(case, duration, timeline.words)
    hyp_tl = with_roles(timeline, {h for h, r in mapping.items() if r == rep})
    pipeline_reps = set(timeline.labels(Role.REP))
    agree = None if not pipeline_reps else {mapping.get(h) for h in pipeline_reps} == {rep}
    result: dict[str, Any] = {
        "file_id": case.file_id,
        "audio": case.audio.name,
        "split": case.split,
        "duration_s": round(timeline.duration, 3),
        "scored_s": round(uem.duration(), 3),
        "speakers": {"truth": len(reference.labels()), "hypothesis": len(hypothesis.labels())},
        "mapping": mapping,
        "rep": {"truth": rep, "hypothesis": sorted(h for h, r in mapping.items() if r == rep)},
        "pipeline_roles_agree": agree,  # None: the hypothesis carries no roles
        "diarization": {collar_key(c): diarization_error(reference, hypothesis, uem, c) for c in collars},
        "timing": compare_timing(timing_metrics(truth_tl), timing_metrics(hyp_tl), mapping),
    }
    if hyp.refused:
        result["pipeline_refused"] = hyp.refused
    if hyp.wall_s is not None:
        result["speed"] = {
            "wall_s": hyp.wall_s,
            "x_real_time": timeline.duration / hyp.wall_s if hyp.wall_s > 0 else None,
            "stages_s": dict(hyp.timings_s),
        }
    return result


def run_eval(
    folder: str | Path,
    *,
    hypothesize: Hypothesize | None = None,
    uem_paths: Sequence[str | Path] = (),
    collars: Sequence[float] = DEFAULT_COLLARS,
    kind: str = "auto",
    memory_mb: float | None = None,
    bench_speed_x: float | None = None,
    progress: ProgressListener = ignore_progress,
    on_file: Callable[[int, int], None] = lambda done, total: None,
    settings=None,
) -> dict[str, Any]:
    """Evaluate every recording in ``folder`` with truth; the report as a JSON-ready dict.

    ``progress`` hears each pipeline run's stages; ``on_file(done, total)`` each file's start.
    """
    if kind not in TARGET_KINDS:
        raise EvalError(f"unknown target set {kind!r}; choose one of {', '.join(TARGET_KINDS)}")
    if any(c < 0 for c in collars):
        raise EvalError("a collar is a number of seconds >= 0, e.g. --collar 0.25")
    cases = discover(folder, uem_paths)
    ran_pipeline = hypothesize is None
    hypothesize = hypothesize or pipeline_hypothesis(settings, progress)
    files, failed = [], []
    for i, case in enumerate(cases):
        on_file(i, len(cases))
        try:
            hyp = hypothesize(case)
        except EvalError:
            raise
        except ListenlensError as exc:
            # A recording the pipeline cannot read (corrupt, silent, too long) is a result
            # for that file, not the end of the evaluation.
            failed.append({"file_id": case.file_id, "audio": case.audio.name, "split": case.split, "error": exc.message})
            continue
        result = evaluate_case(case, hyp, collars)
        result["diarizer"] = (hyp.timeline.source.get("diarizer") or {}).get("backend")
        files.append(result)
    on_file(len(cases), len(cases))
    overall = summarize(files, collars)
    chosen = detect_kind(cases, files) if kind == "auto" else kind
    targets = check_targets(chosen, overall, memory_mb, bench_speed_x)
    mark_failed(targets, len(failed))
    return {
        "schema": SCHEMA,
        "folder": str(folder),
        "date": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "listenlens": _version(),
        "settings": _settings_summary(settings) if ran_pipeline else None,
        "conventions": {"collar": COLLAR_CONVENTION, "roles": REP_RULE, "scored": "inside the UEM when given, else the whole recording"},
        "collars": [float(c) for c in collars],
        "kind": chosen,
        "files": files,
        "failed": failed,
        "overall": overall,
        "targets": targets,
    }


def _version() -> str:
    from listenlens import __version__

    return __version__


def _settings_summary(settings) -> dict[str, Any]:
    """The pipeline's settings as its timelines echo them (secrets hidden)."""
    from listenlens.config import load_settings

    return (settings or load_settings()).echo()
