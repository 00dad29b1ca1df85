"""How low could DER go with the models this machine has? Oracle ceilings on RTTM truth.

    python bench/ceilings.py                      # ami-debug, into bench/results.* (key ``ceilings``)
    python bench/ceilings.py FOLDER --no-save     # any folder of recordings + RTTM, print only

Tuning a diarizer is only worth it while the error is in the part being tuned. Two
oracles take a part away and say what is left:

* **oracle linking**: the ``segmented`` backend exactly as it runs (segmentation-3.0
  windows, per-frame speaker count, reconstruction, onset delay, bridging), except that
  each window's local speakers are linked to the true speakers they overlap most
  (one-to-one per window, Hungarian) instead of by voice. No voice embedding or
  clustering can beat this on the same segmentation: what remains is the segmentation's
  own error (speech it misses, overlaps it does not count, two voices it keeps as one
  local speaker).
* **two voices at most**: the truth itself, with every frame cut to the two speakers
  who talk most in the file. segmentation-3.0's powerset labels at most two voices per
  frame, so no system built on it can beat this; what remains is three or more people
  talking at once.

DER is scored as ``listenlens eval`` scores it (pyannote.metrics, inside the UEM, collar
per side as NIST md-eval's ``-c``), pooled per split and over the held-out splits.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from run_bench import DATA, RESULTS_JSON, save  # noqa: E402

COLLARS = (0.0, 0.25)
ORACLES = ("oracle_linking", "two_voices")


def frame_truth(reference, n_frames: int, speakers: list[str]) -> np.ndarray:
    """(frames, speakers) bool on segmentation-3.0's frame grid: who the truth says talks."""
    from listenlens.pipeline.diarize.segmentation import FRAME_SPAN, FRAME_STEP, SAMPLE_RATE

    centre = (np.arange(n_frames) * FRAME_STEP + FRAME_SPAN / 2) / SAMPLE_RATE
    out = np.zeros((n_frames, len(speakers)), dtype=bool)
    for turn in reference:
        out[(centre >= turn.start) & (centre < turn.end), speakers.index(turn.speaker)] = True
    return out


def oracle_linking(seg, truth: np.ndarray) -> tuple[dict, dict]:
    """``assign`` and ``parts`` for ``segmented._cluster_activity``: every local speaker
    of every window linked to the true speaker it overlaps most, one-to-one per window."""
    from scipy.optimize import linear_sum_assignment

    assign, parts = {}, {}
    per = seg.activity.shape[1]
    for w, off in enumerate(seg.offsets):
        act = seg.activity[w]
        n = min(per, seg.n_frames - off)
        overlap = act[:n].T.astype(np.float32) @ truth[off : off + n].astype(np.float32)  # (local, true)
        for k, s in zip(*linear_sum_assignment(overlap, maximize=True)):
            if act[:, k].any():
                assign[(w, int(k), 0)] = int(s)
                parts[(w, int(k))] = [per]
    return assign, parts


def two_voices(truth: np.ndarray) -> np.ndarray:
    """The truth with each frame cut to its two most talkative speakers (by file total)."""
    rank = np.argsort(np.argsort(-truth.sum(axis=0), kind="stable"), kind="stable")
    out = truth.copy()
    for j in np.flatnonzero(truth.sum(axis=1) > 2):
        on = np.flatnonzero(truth[j])
        out[j, on[np.argsort(rank[on])[2:]]] = False
    return out


def ceilings_for(case, segmenter, settings) -> dict:
    """Per collar, the DER parts of each oracle on one recording."""
    from listenlens.evaluation.der import diarization_error, scored_region
    from listenlens.pipeline.audio import load_audio
    from listenlens.pipeline.diarize import segmented as sg
    from listenlens.pipeline.diarize.segmentation import SAMPLE_RATE
    from listenlens.pipeline.timeline import turns_annotation

    x = load_audio(case.audio).mono()
    duration = len(x) / SAMPLE_RATE
    seg = segmenter(x, settings.step_s)
    speakers = sorted({t.speaker for t in case.reference})
    truth = frame_truth(case.reference, seg.n_frames, speakers)

    assign, parts = oracle_linking(seg, truth)
    on = sg._top_speakers(sg._cluster_activity(seg, assign, parts, len(speakers)), seg.count())
    linked = sg._turns(on, settings.bridge_s, settings.min_turn_s, duration, onset_delay_s=settings.onset_delay_s)
    at_most_two = sg._turns(two_voices(truth), 0.0, 0.0, duration)

    reference, uem = turns_annotation(case.reference), scored_region(case.uem, duration)
    return {
        name: {f"{c:g}": diarization_error(reference, turns_annotation(turns), uem, c) for c in COLLARS}
        for name, turns in (("oracle_linking", linked), ("two_voices", at_most_two))
    }


def pooled(files: list[dict]) -> dict:
    """Per group (all, each split, held_out) and oracle, DER parts pooled over files."""
    from listenlens.evaluation.der import pool_diarization
    from listenlens.evaluation.summary import split_groups

    return {
        name: {o: {c: pool_diarization([f["ceilings"][o][c] for f in group]) for c in group[0]["ceilings"][o]} for o in ORACLES}
        for name, group in split_groups(files).items()
    }


def run(folder: Path, progress=lambda i, n, name: None) -> dict:
    from listenlens.evaluation.cases import discover
    from listenlens.evaluation.targets import HELD_OUT_DER_TARGET
    from listenlens.pipeline.diarize.segmentation import SpeakerSegmenter
    from listenlens.pipeline.diarize.segmented import SegmentedSettings

    cases = discover(folder)
    segmenter, settings = SpeakerSegmenter(), SegmentedSettings()
    files = []
    for i, case in enumerate(cases):
        progress(i, len(cases), case.file_id)
        files.append({"file_id": case.file_id, "split": case.split, "ceilings": ceilings_for(case, segmenter, settings)})
    return {
        "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "data": folder.name,
        # The results file's key of the target these ceilings speak to (run_bench's naming).
        "held_out_target": f"{folder.name}: {HELD_OUT_DER_TARGET}",
        "files": files,
        "overall": pooled(files),
    }


def print_report(report: dict) -> None:
    print(f"DER ceilings on {report['data']} (oracle: what is left with that part perfect), collar 0 / 0.25 s")
    print(f"{'group':12s} {'oracle linking':>28s} {'two voices at most':>28s}")
    for name, by_oracle in report["overall"].items():
        cells = []
        for o in ORACLES:
            d0, d25 = by_oracle[o]["0"], by_oracle[o]["0.25"]
            cells.append(f"{100 * d0['der']:5.1f}% / {100 * d25['der']:5.1f}%")
        print(f"{name:12s} {cells[0]:>28s} {cells[1]:>28s}")


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    ap = argparse.ArgumentParser(description="oracle DER ceilings of the segmented backend on RTTM truth")
    ap.add_argument("folder", nargs="?", type=Path, default=DATA / "ami-debug", help="recordings + RTTM (default: ami-debug)")
    ap.add_argument("--no-save", action="store_true", help="print only; leave bench/results.* alone")
    args = ap.parse_args(argv)
    from listenlens.errors import ListenlensError

    try:
        report = run(args.folder, lambda i, n, name: print(f"[ceilings] {i + 1}/{n} {name}", file=sys.stderr, flush=True))
    except ListenlensError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 2
    print_report(report)
    if not args.no_save:
        if not RESULTS_JSON.exists():
            print("bench/results.json is missing: run bench/run_bench.py first; nothing saved", file=sys.stderr)
            return 1
        results = json.loads(RESULTS_JSON.read_text(encoding="utf-8"))
        results["ceilings"] = {k: v for k, v in report.items() if k != "files"} | {
            "files": [
                {"file_id": f["file_id"], "split": f["split"], "der_025": {o: f["ceilings"][o]["0.25"]["der"] for o in ORACLES}}
                for f in report["files"]
            ]
        }
        save(results)
        print("written: bench/results.json, bench/results.md", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
