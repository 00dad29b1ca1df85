"""Figures over many files: pooled per group (all files, each split, the held-out splits)."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from typing import Any

from listenlens.evaluation.der import collar_key, pool_diarization

HELD_OUT_SPLITS = ("development", "dev", "validation", "test", "eval")


def summarize(files: list[dict[str, Any]], collars: Sequence[float]) -> dict[str, Any]:
    """Overall figures for all files and for each split."""
    return {name: _summary(group, collars) for name, group in split_groups(files).items()}


def split_groups(files: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Files (each with a ``split``) grouped as reported: all, each split, and the held-out
    splits together (``held_out``) when some files are not held out."""
    groups: dict[str, list[dict[str, Any]]] = {"all": files}
    for f in files:
        if f["split"]:
            groups.setdefault(f["split"], []).append(f)
    held = [f for f in files if (f["split"] or "").lower() in HELD_OUT_SPLITS]
    if held and len(held) < len(files):
        groups["held_out"] = held
    return groups


def _summary(files: list[dict[str, Any]], collars: Sequence[float]) -> dict[str, Any]:
    def values(key: str) -> list[float]:
        return [f["timing"][key] for f in files if f["timing"][key] is not None]

    tr = values("talk_ratio_error_pp")
    worst_tr = max((f for f in files if f["timing"]["talk_ratio_error_pp"] is not None),
                   key=lambda f: abs(f["timing"]["talk_ratio_error_pp"]), default=None)
    worst_tr_pp = abs(worst_tr["timing"]["talk_ratio_error_pp"]) if worst_tr else None
    lm = values("longest_monologue_error_s")
    pt = values("patience_error_s")
    waits = [f["timing"]["wait"]["mean_abs_error_s"] for f in files if f["timing"]["wait"]["mean_abs_error_s"] is not None]
    ints = [f["timing"]["interruptions"] for f in files]
    truth_ints = sum(i["truth"] for i in ints)
    out: dict[str, Any] = {
        "files": len(files),
        "duration_s": round(sum(f["duration_s"] for f in files), 3),
        "diarization": {collar_key(c): pool_diarization([f["diarization"][collar_key(c)] for f in files]) for c in collars},
        "timing": {
            "talk_ratio_mean_abs_error_pp": statistics.fmean(abs(x) for x in tr) if tr else None,
            "talk_ratio_max_abs_error_pp": worst_tr_pp,
            "talk_ratio_worst_file": worst_tr["file_id"] if worst_tr else None,
            "longest_monologue_mean_abs_error_s": statistics.fmean(abs(x) for x in lm) if lm else None,
            "patience_mean_abs_error_s": statistics.fmean(abs(x) for x in pt) if pt else None,
            "wait_mean_abs_error_s": statistics.fmean(waits) if waits else None,
            "interruptions_truth": truth_ints,
            "interruptions_found": sum(i["found"] for i in ints),
            "interruptions_matched": sum(i["matched"] for i in ints),
            "interruption_recall": sum(i["matched"] for i in ints) / truth_ints if truth_ints else None,
        },
        "pipeline_roles_agree": sum(1 for f in files if f["pipeline_roles_agree"]),
        "pipeline_roles_decided": sum(1 for f in files if f["pipeline_roles_agree"] is not None),
    }
    timed = [f["speed"] for f in files if "speed" in f]
    if timed:
        wall = sum(s["wall_s"] for s in timed)
        audio = sum(f["duration_s"] for f in files if "speed" in f)
        stages: dict[str, float] = {}
        for s in timed:
            for k, v in s["stages_s"].items():
                stages[k] = stages.get(k, 0.0) + v
        out["speed"] = {"wall_s": wall, "audio_s": audio, "x_real_time": audio / wall if wall > 0 else None, "stages_s": stages}
    return out
