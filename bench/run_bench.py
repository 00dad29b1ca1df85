"""Speed and memory of the pipeline, per stage and end to end, plus the accuracy figures.

    python bench/run_bench.py                      # everything: ~20-40 min on 2 cores
    python bench/run_bench.py --cases short        # the 30 s call only (a minute or two)
    python bench/run_bench.py --no-accuracy        # speed and memory only

For each call (``short``: the 30 s phone-call sample; ``30min`` and ``60min``: real
recordings concatenated by ``bench/make_long_call.py``) and each stage (decode, VAD,
diarization, ASR, metrics, and the whole pipeline end to end), one **fresh
subprocess** runs the stage, so every peak-memory figure (the process's RSS high-water
mark, ``ru_maxrss``) is that stage's alone and no model is warm from an earlier one.

Each stage reports ``load_s`` (building the stage: loading its model) and ``run_s``
(the work), and the speed as *x real time* = audio duration / time. The end-to-end
figure is one ``analyze_call`` from a cold process, model loading included: what
``listenlens analyze`` costs. Stages that need an earlier stage's output (ASR needs the
speech turns, metrics the timeline) read it from the end-to-end run, untimed.

The accuracy figures come from ``listenlens eval`` on ../shared/data (pyannote-sample,
ami-debug with its train/development/test splits apart) and on dual-channel calls built
from those recordings. The peer comparison (``bench/peer_compare.py``) and the oracle
ceilings (``bench/ceilings.py``) are kept in the same results file.

Writes ``bench/results.json`` and regenerates ``bench/results.md``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS_JSON = HERE / "results.json"
RESULTS_MD = HERE / "results.md"
DATA = Path(os.environ.get("LISTENLENS_DATA", ROOT.parent / "shared" / "data"))
STAGES = ("end_to_end", "decode", "vad", "diarize", "asr", "metrics")
CASES = ("short", "30min", "60min")
HOUR_STAGES = ("end_to_end", "decode")
SPEED_TARGET_X = 15.0
MEMORY_TARGET_MB = 2048.0
SCHEMA = "listenlens.bench/1"


# --- worker: one stage in this (fresh) process ------------------------------------------


def _peak_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux: KiB


def worker(stage: str, audio_path: Path, cache: Path) -> dict:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from listenlens.config import load_settings
    from listenlens.pipeline.audio import load_audio

    settings = load_settings().resolved()
    timeline_json = cache / f"{audio_path.stem}.timeline.json"
    out: dict = {"stage": stage, "load_s": 0.0}
    base_mb = _peak_mb()

    if stage == "end_to_end":
        from listenlens.pipeline.analyze import analyze_call

        t0 = time.perf_counter()
        result = analyze_call(audio_path, settings)
        out["run_s"] = time.perf_counter() - t0
        out["duration_s"] = result.timeline.duration
        out["pipeline_timings_s"] = result.timeline.source.get("timings_s", {})
        out["speakers"] = len(result.timeline.speakers)
        cache.mkdir(parents=True, exist_ok=True)
        tmp = timeline_json.with_suffix(".part")
        tmp.write_text(json.dumps(result.timeline.to_dict()), encoding="utf-8")
        tmp.replace(timeline_json)
    elif stage == "decode":
        t0 = time.perf_counter()
        audio = load_audio(audio_path)
        out["run_s"] = time.perf_counter() - t0
        out["duration_s"] = audio.duration
    elif stage == "metrics":
        from listenlens.pipeline.scorecard import score_call
        from listenlens.pipeline.timeline import CallTimeline

        timeline = CallTimeline.from_dict(json.loads(timeline_json.read_text(encoding="utf-8")))
        base_mb = _peak_mb()
        t0 = time.perf_counter()
        score_call(timeline)  # cold: loads the sentence-embedding model on first use
        first = time.perf_counter() - t0
        t0 = time.perf_counter()
        score_call(timeline)
        out["run_s"] = time.perf_counter() - t0
        out["load_s"] = max(0.0, first - out["run_s"])
        out["duration_s"] = timeline.duration
    else:
        audio = load_audio(audio_path)
        out["duration_s"] = audio.duration
        base_mb = _peak_mb()
        if stage == "vad":
            from listenlens.pipeline.vad import speech_regions

            t0 = time.perf_counter()
            from faster_whisper.vad import get_vad_model

            get_vad_model()
            out["load_s"] = time.perf_counter() - t0
            t0 = time.perf_counter()
            regions = speech_regions(audio.mono())
            out["run_s"] = time.perf_counter() - t0
            out["speech_s"] = sum(e - s for s, e in regions)
        elif stage == "diarize":
            from listenlens.pipeline.diarize import get_diarizer, select_backend

            t0 = time.perf_counter()
            ds = settings.diarizer
            backend = select_backend(ds.backend, audio)
            diarizer = get_diarizer(backend, ds, device=settings.asr.device)
            if hasattr(diarizer, "encoder"):
                _ = diarizer.encoder  # load the voice encoder outside the timed run
            out["load_s"] = time.perf_counter() - t0
            t0 = time.perf_counter()
            dia = diarizer.diarize(audio, num_speakers=ds.num_speakers,
                                   min_speakers=ds.min_speakers, max_speakers=ds.max_speakers)
            out["run_s"] = time.perf_counter() - t0
            out["backend"] = backend
            out["speakers"] = len({t.speaker for t in dia.turns})
        elif stage == "asr":
            from listenlens.pipeline.asr import Transcriber

            data = json.loads(timeline_json.read_text(encoding="utf-8"))
            regions = [(t["start"], t["end"]) for t in data["speech"]]
            t0 = time.perf_counter()
            transcriber = Transcriber(settings.asr)
            out["load_s"] = time.perf_counter() - t0
            t0 = time.perf_counter()
            segments = transcriber.transcribe(audio.mono(), regions)
            out["run_s"] = time.perf_counter() - t0
            out["words"] = sum(len(s.words) for s in segments)
        else:
            raise SystemExit(f"unknown stage {stage!r}")
    out["peak_rss_mb"] = _peak_mb()
    out["peak_before_stage_mb"] = base_mb
    out["x_real_time"] = out["duration_s"] / out["run_s"] if out["run_s"] > 0 else None
    if stage == "end_to_end":
        out["x_real_time_cold"] = out["x_real_time"]  # analyze_call includes model loading
    else:
        total = out["run_s"] + out["load_s"]
        out["x_real_time_cold"] = out["duration_s"] / total if total > 0 else None
    return out


# --- parent: cases, subprocesses, accuracy, report ----------------------------------------


def case_audio(case: str, work: Path) -> Path:
    sys.path.insert(0, str(HERE))
    from make_long_call import build_long_call

    if case == "short":
        return DATA / "pyannote-sample" / "sample.wav"
    minutes = {"30min": 30, "60min": 60}[case]
    return build_long_call(minutes, work)


def run_stage(stage: str, audio: Path, cache: Path, timeout: float) -> dict:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", stage, "--audio", str(audio), "--cache", str(cache)]
    load_before = os.getloadavg()[0]
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"stage": stage, "error": f"timed out after {timeout:.0f} s"}
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        tail = (proc.stderr.strip().splitlines() or ["?"])[-1]
        return {"stage": stage, "error": tail[:300]}
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    result["process_wall_s"] = wall
    result["load_avg_1min"] = [round(load_before, 2), round(os.getloadavg()[0], 2)]
    return result


def run_accuracy(work: Path, timeout: float) -> dict:
    """``listenlens eval`` on each data set; returns its overall figures and targets."""
    sys.path.insert(0, str(HERE))
    from make_long_call import build_dual_channel, build_dual_channel_telephone, build_voice_calls

    sets = {
        "pyannote-sample": DATA / "pyannote-sample",
        "ami-debug": DATA / "ami-debug",
        "dual-channel": build_dual_channel(work),
        # The same calls as telephony platforms store them (8 kHz G.711): other audio
        # quality than any setting was chosen on.
        "dual-channel-telephone": build_dual_channel_telephone(work),
        # One mono call in voice pairs the diarizers were not built around; the product
        # sets no target on these, so none is checked.
        **build_voice_calls(work),
    }
    out = {}
    exe = Path(sys.executable).with_name("listenlens")
    for name, folder in sets.items():
        report = work / f"eval-{name}.json"
        print(f"[accuracy] listenlens eval {folder}", file=sys.stderr, flush=True)
        extra = ["--targets", "none"] if name.startswith("voices-") else []
        try:
            proc = subprocess.run([str(exe), "eval", str(folder), "--json", str(report), "--quiet", *extra],
                                  capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            out[name] = {"error": f"timed out after {timeout:.0f} s"}
            continue
        if proc.returncode != 0:
            out[name] = {"error": (proc.stderr.strip().splitlines() or ["?"])[-1][:300]}
            continue
        data = json.loads(report.read_text(encoding="utf-8"))
        out[name] = {
            "folder": str(folder),
            "kind": data["kind"],
            "overall": data["overall"],
            "targets": data["targets"],
            "files": [
                {k: f[k] for k in ("file_id", "split", "duration_s", "diarization", "timing", "diarizer")} for f in data["files"]
            ],
            "failed": data.get("failed", []),
            "refused": [{"file_id": f["file_id"], "error": f["pipeline_refused"]} for f in data["files"] if f.get("pipeline_refused")],
        }
    return out


def machine() -> dict:
    """The host: CPU model, and whether it has AVX-512 (CTranslate2's int8 kernels, and so
    the recognised words, differ between CPUs with and without it)."""
    cpu, flags = None, None
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            key, _, value = line.partition(":")
            if key.strip() == "model name" and cpu is None:
                cpu = value.strip()
            elif key.strip() == "flags" and flags is None:
                flags = value.split()
    except OSError:
        pass
    cpu = cpu or platform.processor() or "?"
    ram_gb = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                ram_gb = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return {"cpu": cpu, "avx512": None if flags is None else "avx512f" in flags, "cores": os.cpu_count(), "ram_gb": ram_gb,
            "os": platform.platform(), "python": platform.python_version()}


def git_commit() -> str | None:
    """The checkout's short commit, None outside a git checkout."""
    try:
        return subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
                              capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


def versions() -> dict:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for pkg in ("listenlens", "faster-whisper", "ctranslate2", "onnxruntime", "torch", "resemblyzer",
                "pyannote.metrics", "call-ai-metrics", "numpy"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            out[pkg] = None
    out["git_commit"] = git_commit()
    return out


def targets_from(results: dict) -> dict:
    t: dict = {}
    speed = results.get("speed", {})
    e2e30 = speed.get("30min", {}).get("end_to_end", {})
    if "x_real_time" in e2e30:
        v = e2e30["x_real_time"]
        t["speed_30min_x"] = {
            "value": v,
            "limit": SPEED_TARGET_X,
            "unit": "x real time",
            "met": v >= SPEED_TARGET_X,
            "at_most": False,
            "label": "speed, 30-minute call",
            "what": "whole pipeline (analyze_call) from a cold process",
        }
    e2e60 = speed.get("60min", {}).get("end_to_end", {})
    if "peak_rss_mb" in e2e60:
        v = e2e60["peak_rss_mb"]
        t["memory_60min_peak_mb"] = {"value": v, "limit": MEMORY_TARGET_MB, "unit": "MB", "met": v <= MEMORY_TARGET_MB,
                                     "at_most": True, "label": "peak memory, 60-minute call", "what": "peak RSS of the whole pipeline"}
    if "x_real_time" in e2e60:
        v = e2e60["x_real_time"]
        t["speed_60min_x"] = {
            "value": v,
            "limit": SPEED_TARGET_X,
            "unit": "x real time",
            "met": v >= SPEED_TARGET_X,
            "at_most": False,
            "label": "speed, 60-minute call",
            "what": "whole pipeline (analyze_call) from a cold process",
        }
    for name, acc in results.get("accuracy", {}).items():
        for tg in acc.get("targets", []):
            if tg["target"].startswith(("speed", "peak memory")):
                continue  # the speed/memory targets are judged on the long calls above
            key = f"{name}: {tg['target']}"
            t[key] = {"value": tg["value"], "limit": tg["limit"], "unit": tg["unit"], "met": tg["met"],
                      "at_most": tg["at_most"], "what": tg["note"]}
    return t


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="listenlens speed, memory and accuracy benchmark")
    ap.add_argument("--worker", choices=STAGES, help=argparse.SUPPRESS)
    ap.add_argument("--audio", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--cache", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--cases", default=",".join(CASES), help="comma-separated: short,30min,60min ('' with --merge: accuracy only)")
    ap.add_argument("--stages", default=",".join(STAGES), help="comma-separated: " + ",".join(STAGES))
    ap.add_argument("--no-accuracy", action="store_true", help="skip the listenlens eval runs")
    ap.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "listenlens-bench",
                    help="where long calls and intermediate files go (never the repository)")
    ap.add_argument("--timeout", type=float, default=3 * 3600, help="seconds allowed for one stage run")
    ap.add_argument("--note", default="", help="a note on the conditions, kept in the results")
    ap.add_argument("--merge", action="store_true", help="keep figures of cases/stages not rerun from the existing results.json")
    ap.add_argument(
        "--rerender",
        action="store_true",
        help="measure nothing: recompute the verdicts and rewrite results.md and results.png from results.json",
    )
    args = ap.parse_args(argv)

    if args.rerender:
        results = json.loads(RESULTS_JSON.read_text(encoding="utf-8"))
        results["targets"] = targets_from(results)
        save(results)
        print_table(results)
        return 0

    if args.worker:
        print(json.dumps(worker(args.worker, args.audio, args.cache)))
        return 0

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    previous = json.loads(RESULTS_JSON.read_text(encoding="utf-8")) if RESULTS_JSON.exists() else {}
    results: dict = {
        "schema": SCHEMA,
        "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "machine": machine(),
        "versions": versions(),
        "load_avg_at_start": [round(x, 2) for x in os.getloadavg()],
        "note": args.note,
        "speed": dict(previous.get("speed", {})) if args.merge else {},
    }
    stages = [s for s in args.stages.split(",") if s]
    # ASR and metrics read the end-to-end run's timeline: make sure it exists first.
    if any(s in stages for s in ("asr", "metrics")) and "end_to_end" not in stages:
        stages.insert(0, "end_to_end")
    cache = args.work / "cache"
    for case in [c for c in args.cases.split(",") if c]:
        audio = case_audio(case, args.work)
        per_stage = dict(results["speed"].get(case, {})) if args.merge else {}
        for stage in [s for s in STAGES if s in stages]:
            if case == "60min" and stage not in HOUR_STAGES:
                continue  # the hour-long call is for the memory target; the other stages are timed on 30 min
            print(f"[speed] {case} {stage} ...", file=sys.stderr, flush=True)
            r = run_stage(stage, audio, cache, args.timeout)
            per_stage[stage] = r
            print(f"[speed] {case} {stage}: " + (r.get("error") or
                  f"{r['run_s']:.1f} s run, {r['load_s']:.1f} s load, {r['x_real_time']:.1f}x real time, peak {r['peak_rss_mb']:.0f} MB"),
                  file=sys.stderr, flush=True)
        results["speed"][case] = per_stage
    results["load_avg_at_end"] = [round(x, 2) for x in os.getloadavg()]
    ran_speed = any(c for c in args.cases.split(","))
    results["speed_date"] = results["date"] if ran_speed else previous.get("speed_date", previous.get("date"))
    # Kept speed figures were measured on the previous run's machine, not this one.
    results["speed_machine"] = results["machine"] if ran_speed else previous.get("speed_machine", previous.get("machine"))
    if args.no_accuracy:
        if "accuracy" in previous:
            results["accuracy"] = previous["accuracy"]
            results["accuracy_date"] = previous.get("accuracy_date", previous.get("date"))
    else:
        results["accuracy"] = run_accuracy(args.work, args.timeout)
        results["accuracy_date"] = results["date"]
    # refreshed by bench/peer_compare.py, bench/ceilings.py and bench/text_events.py
    for section in ("peer", "ceilings", "text_events"):
        if section in previous:
            results[section] = previous[section]
    results["targets"] = targets_from(results)
    save(results)
    print_table(results)
    return 0


def save(results: dict) -> None:
    from render_results import PICTURE_NAME, keep_marked_sections, render_markdown, render_picture

    previous = RESULTS_MD.read_text(encoding="utf-8") if RESULTS_MD.exists() else ""
    for path, text in ((RESULTS_JSON, json.dumps(results, indent=2, ensure_ascii=False) + "\n"),
                       (RESULTS_MD, keep_marked_sections(render_markdown(results), previous))):
        tmp = path.with_suffix(path.suffix + ".part")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
    render_picture(results, HERE / PICTURE_NAME)


def print_table(results: dict) -> None:
    from render_results import PICTURE_NAME
    from rich.console import Console
    from rich.table import Table

    table = Table(title="listenlens speed and memory")
    for col in ("call", "stage", "run s", "load s", "x real time", "x rt (cold)", "peak RSS MB"):
        table.add_column(col, justify="left" if col in ("call", "stage") else "right")
    for case, stages in results["speed"].items():
        for stage, r in stages.items():
            if "error" in r:
                table.add_row(case, stage, r["error"], "", "", "", "")
                continue
            table.add_row(case, stage, f"{r['run_s']:.1f}", f"{r['load_s']:.1f}", f"{r['x_real_time']:.1f}",
                          f"{r['x_real_time_cold']:.1f}", f"{r['peak_rss_mb']:.0f}")
    console = Console()
    console.print(table)
    for name, t in results["targets"].items():
        verdict = "met" if t["met"] else ("n/a" if t["met"] is None else "MISSED")
        value = "-" if t["value"] is None else f"{t['value']:.1f}"
        console.print(f"{verdict:>6}  {t.get('label', name)}: {value} {t['unit']} (limit {t['limit']:g})")
    console.print(f"written: {RESULTS_JSON.relative_to(ROOT)}, {RESULTS_MD.relative_to(ROOT)}, {(HERE / PICTURE_NAME).relative_to(ROOT)}")


if __name__ == "__main__":
    sys.path.insert(0, str(HERE))
    sys.exit(main())
