"""The whole pipeline against faster-whisper alone, side by side on one 10-minute mono call.

    python bench/speed_vs_whisper.py                 # 3 rounds, prints the ratio, writes results.md
    python bench/speed_vs_whisper.py --rounds 2 --no-save

The call is ``bench/make_long_call.py``'s 10-minute mono call (real recordings end to
end). Each round runs, each in a fresh process so neither inherits the other's loaded
models or warm caches:

* **whisper**: faster-whisper alone, the same bundled model, device, compute type,
  threads and decoding options as the pipeline's recogniser (``Transcriber.decode_options``),
  with its own VAD filter (``vad_filter=True``) and word timestamps, every segment consumed;
* **listenlens**: ``analyze_call`` (decode, diarize, transcribe the speech found,
  attribute words, roles, the scorecard).

Both are timed from model loading to the last result, and the two alternate (whisper
first in odd rounds, listenlens first in even ones), so a machine that other work slows
down slows both alike: the ratio of each round's pair is the figure, and the median of
the rounds is reported. The target: listenlens within ``TARGET_RATIO`` of whisper alone.
The CPU time of each process (all its threads) is reported beside the wall time: on a
machine shared with other work, whose load changes within minutes, it is the steadier
of the two ratios.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

RESULTS_MD = HERE / "results.md"
SECTION = "speed-vs-whisper"
TARGET_RATIO = 1.35
MINUTES = 10


def _whisper(audio: str) -> dict:
    from listenlens.config import load_settings
    from listenlens.pipeline.asr import Transcriber
    from listenlens.pipeline.audio import load_audio

    t0, c0 = time.perf_counter(), time.process_time()
    # The pipeline's recogniser, loaded as the pipeline loads it; only its own VAD differs.
    tr = Transcriber(load_settings().asr)
    x = load_audio(audio).mono()
    segments, _ = tr.model.transcribe(x, **{**tr.decode_options(), "vad_filter": True})
    words = sum(len(s.words or []) for s in segments)
    return {"seconds": time.perf_counter() - t0, "cpu_s": time.process_time() - c0, "words": words}


def _listenlens(audio: str) -> dict:
    from listenlens.pipeline.analyze import analyze_call

    t0, c0 = time.perf_counter(), time.process_time()
    a = analyze_call(audio)
    seconds = time.perf_counter() - t0
    stages = dict(a.timeline.source.get("timings_s") or {})
    inside = (a.timeline.source.get("diarizer") or {}).get("timings_s") or {}
    stages |= {f"diarize: {k}": v for k, v in inside.items()}
    # Imports, model loading, attribution and roles: whatever no stage timer covers.
    stages["rest"] = round(seconds - sum(v for k, v in stages.items() if ":" not in k), 3)
    return {"seconds": seconds, "cpu_s": time.process_time() - c0, "words": len(a.timeline.words), "timings_s": stages}


def run(kind: str, audio: Path) -> dict:
    load = os.getloadavg()[0]
    proc = subprocess.run([sys.executable, __file__, "--child", kind, str(audio)], capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"{kind} failed: {proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else proc.returncode}")
    return {**json.loads(proc.stdout.strip().splitlines()[-1]), "load": [round(load, 1), round(os.getloadavg()[0], 1)]}


def _stages(r: dict) -> str:
    t = r["listenlens"].get("timings_s") or {}
    total = r["listenlens"]["seconds"]
    return ", ".join(f"{k} {v:.1f} s ({100 * v / total:.0f}%)" for k, v in t.items())


def section(data: dict) -> str:
    rows = "\n".join(
        f"| {i + 1} | {r['whisper']['seconds']:.1f} ({r['whisper']['cpu_s']:.1f}) | {r['listenlens']['seconds']:.1f} "
        f"({r['listenlens']['cpu_s']:.1f}) | {r['ratio']:.2f} | {r['cpu_ratio']:.2f} | "
        f"{r['whisper'].get('load', ['?'])[0]} / {r['listenlens'].get('load', ['?'])[0]} |"
        for i, r in enumerate(data["rounds"])
    )
    stages = "\n".join(f"- round {i + 1}: {_stages(r)}" for i, r in enumerate(data["rounds"]))
    verdict = "met" if data["median_ratio"] <= TARGET_RATIO else "NOT met"
    return (
        f"### Speed against faster-whisper alone ({data['minutes']:g}-minute mono call)\n\n"
        f"`bench/speed_vs_whisper.py`, {data['date']}, commit {data['git_commit']}: each round runs faster-whisper "
        "alone (same model and decoding, its own VAD filter, word timestamps) and the whole pipeline "
        "(`analyze_call`), each in a fresh process, alternating which goes first; the machine was shared "
        "with other work, so only the ratio within a round is meaningful.\n\n"
        "| round | faster-whisper alone, s (CPU s) | listenlens end to end, s (CPU s) | ratio | CPU-time ratio "
        "| load avg (1 min) at start, whisper / listenlens |\n"
        "| --- | --- | --- | --- | --- | --- |\n"
        f"{rows}\n\n"
        f"Median ratio **{data['median_ratio']:.2f}x** wall time, {data['median_cpu_ratio']:.2f}x CPU time "
        f"(target at most {TARGET_RATIO}x: {verdict}).\n\n"
        "Where listenlens's time went (wall seconds and share of its end-to-end time; *rest* is imports, "
        "model loading, word attribution and roles; recognition starts on the speech the segmentation has "
        "settled and runs beside the rest of diarization, so *asr* is only what was left of it after diarization):\n\n"
        f"{stages}\n"
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="listenlens end to end against faster-whisper alone")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--minutes", type=float, default=MINUTES)
    ap.add_argument("--no-save", action="store_true", help="print only; leave bench/results.md alone")
    ap.add_argument("--child", nargs=2, metavar=("KIND", "AUDIO"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        kind, audio = args.child
        print(json.dumps(_whisper(audio) if kind == "whisper" else _listenlens(audio)))
        return 0

    from make_long_call import build_long_call
    from run_bench import git_commit

    audio = build_long_call(args.minutes)
    rounds = []
    for i in range(args.rounds):
        order = ("whisper", "listenlens") if i % 2 == 0 else ("listenlens", "whisper")
        got = {}
        for kind in order:
            got[kind] = run(kind, audio)
            print(f"round {i + 1} {kind}: {got[kind]['seconds']:.1f} s", file=sys.stderr, flush=True)
        got["ratio"] = got["listenlens"]["seconds"] / got["whisper"]["seconds"]
        got["cpu_ratio"] = got["listenlens"]["cpu_s"] / got["whisper"]["cpu_s"]
        print(f"round {i + 1}: ratio {got['ratio']:.2f} (CPU time {got['cpu_ratio']:.2f})", flush=True)
        rounds.append(got)
    data = {
        "date": time.strftime("%Y-%m-%d", time.gmtime()),
        "git_commit": git_commit(),
        "minutes": args.minutes,
        "rounds": rounds,
        "median_ratio": statistics.median(r["ratio"] for r in rounds),
        "median_cpu_ratio": statistics.median(r["cpu_ratio"] for r in rounds),
    }
    print(f"median ratio {data['median_ratio']:.2f} (CPU time {data['median_cpu_ratio']:.2f}; target <= {TARGET_RATIO})")
    if not args.no_save:
        from render_results import write_marked_section

        write_marked_section(RESULTS_MD, SECTION, section(data))
        (HERE / "speed_vs_whisper.json").write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
