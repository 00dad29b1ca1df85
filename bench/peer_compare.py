"""listenlens against a peer, call-ai-metrics, on the same calls, both against RTTM truth.

    python bench/peer_compare.py            # dual-channel calls + the mono phone-call sample

call-ai-metrics (``call_ai_metrics.analyze``) measures talk share, longest monologue,
interruptions and reply latency either from a stereo recording (one party per channel,
speech found by a per-channel energy detector) or from diarized segments. So:

* **dual-channel calls** (built by ``bench/make_long_call.py``): each tool gets the
  stereo recording: listenlens runs its pipeline (channels diarizer), call-ai-metrics its
  energy detector;
* **mono calls** (the pyannote phone-call sample): call-ai-metrics cannot split speakers
  from one channel, so it is given listenlens's own diarization. Both then work from the
  same segments and the comparison is of the metric definitions' robustness alone.

Each tool is judged against the truth *by its own definitions* (its metrics computed on
the RTTM turns), so a difference in definitions (call-ai-metrics clamps overlapping
replies to 0 s, ends a turn after a 3 s pause, ...) is not counted as an error. Roles: the
truth's first speaker is the rep; each tool's speakers are mapped to truth speakers with
pyannote's optimal mapping. The table goes into ``bench/results.json`` (key ``peer``) and
``bench/results.md``.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import statistics
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from run_bench import DATA, RESULTS_JSON, save  # noqa: E402

WORK = Path(tempfile.gettempdir()) / "listenlens-bench"
METRICS = ("talk ratio %", "longest rep monologue s", "interruptions", "interruptions missed", "rep reply gap s")
EPS = 0.05  # errors closer than this are a tie, not "worse"


def peer_figures(report, rep: str, mapping: dict[str, str], truth_events=None) -> dict:
    """call-ai-metrics' figures for the rep (``rep`` is a truth label; ``mapping`` peer -> truth)."""
    inverse = {t: p for p, t in mapping.items()}
    name = inverse.get(rep)
    stats = report.speakers.get(name) if name is not None else None
    events = [(e.time_s, mapping.get(e.by)) for e in report.interruption_events]
    out = {
        "talk ratio %": 100.0 * stats.talk_share if stats else 0.0,
        "longest rep monologue s": stats.longest_monologue_s if stats else 0.0,
        "interruptions": float(len(events)),
        "rep reply gap s": stats.response_latency_s if stats else None,
        "_events": events,
    }
    return out


def listenlens_figures(metrics, mapping: dict[str, str]) -> dict:
    return {
        "talk ratio %": None if metrics.talk_ratio is None else 100.0 * metrics.talk_ratio,
        "longest rep monologue s": metrics.longest_monologue_s,
        "interruptions": float(len(metrics.interruptions)),
        "rep reply gap s": metrics.patience_s,
        "_events": [(s, mapping.get(b, b)) for s, b, _ in metrics.interruptions],
    }


def missed(truth_events, found_events) -> float:
    from listenlens.evaluation.timing import match_events

    n = 0
    for by in {b for _, b in truth_events}:
        n += len(match_events([s for s, b in truth_events if b == by], [s for s, b in found_events if b == by]))
    return float(len(truth_events) - n)


def compare_file(case, input_kind: str, settings) -> list[dict]:
    from call_ai_metrics import analyze

    from listenlens.evaluation.der import scored_region, speaker_mapping
    from listenlens.evaluation.timing import timing_metrics, truth_rep, truth_timeline, with_roles
    from listenlens.pipeline.timeline import Turn, turns_annotation
    from listenlens.pipeline.transcribe import transcribe_call

    timeline = transcribe_call(case.audio, settings)
    duration = timeline.duration
    uem = scored_region(case.uem, duration)
    reference = turns_annotation(case.reference, case.file_id)
    rep = truth_rep(case.reference)

    # listenlens, as the harness scores it
    ll_map = speaker_mapping(reference, turns_annotation(timeline.speech, case.file_id), uem)
    ll_truth = listenlens_figures(timing_metrics(truth_timeline(case, duration, timeline.words)), {})
    ll_hyp = listenlens_figures(timing_metrics(with_roles(timeline, {h for h, r in ll_map.items() if r == rep})), ll_map)

    # call-ai-metrics: truth from the RTTM turns, hypothesis from the audio or listenlens's segments
    truth_rows = [(t.start, t.end, t.speaker) for t in case.reference if t.end > t.start]
    peer_truth_report = analyze(truth_rows)
    if input_kind == "stereo":
        peer_report = analyze(str(case.audio))
    else:
        peer_report = analyze([(t.start, t.end, t.speaker) for t in timeline.speech])
    peer_turns = [Turn(s.start_s, s.end_s, s.speaker) for s in peer_report.segments]
    peer_map = speaker_mapping(reference, turns_annotation(peer_turns, case.file_id), uem)
    peer_truth = peer_figures(peer_truth_report, rep, {s: s for s in peer_truth_report.speakers})
    peer_hyp = peer_figures(peer_report, rep, peer_map)

    ll_truth["interruptions missed"] = 0.0
    peer_truth["interruptions missed"] = 0.0
    ll_hyp["interruptions missed"] = missed(ll_truth["_events"], ll_hyp["_events"])
    peer_hyp["interruptions missed"] = missed(peer_truth["_events"], peer_hyp["_events"])

    rows = []
    for metric in METRICS:
        e_ll = _err(ll_hyp[metric], ll_truth[metric])
        e_peer = _err(peer_hyp[metric], peer_truth[metric])
        worse = None
        if e_ll is not None and e_peer is not None and abs(e_ll) > abs(e_peer) + EPS:
            worse = "listenlens"
        elif e_ll is not None and e_peer is not None and abs(e_peer) > abs(e_ll) + EPS:
            worse = "peer"
        elif e_ll is None and e_peer is not None:
            worse = "listenlens (no figure)"
        rows.append({
            "input": "stereo audio" if input_kind == "stereo" else "listenlens segments",
            "file": case.file_id, "metric": metric,
            "truth_ll": ll_truth[metric], "listenlens": ll_hyp[metric], "error_ll": e_ll,
            "truth_peer": peer_truth[metric], "peer": peer_hyp[metric], "error_peer": e_peer,
            "worse": worse,
        })
    return rows


def _err(hyp, truth):
    return None if hyp is None or truth is None else hyp - truth


def totals(rows: list[dict]) -> list[dict]:
    out = []
    for inp in sorted({r["input"] for r in rows}):
        for metric in METRICS:
            mine = [r for r in rows if r["input"] == inp and r["metric"] == metric]
            ll = [abs(r["error_ll"]) for r in mine if r["error_ll"] is not None]
            pe = [abs(r["error_peer"]) for r in mine if r["error_peer"] is not None]
            out.append({
                "input": inp, "metric": metric,
                "listenlens": statistics.fmean(ll) if ll else None,
                "peer": statistics.fmean(pe) if pe else None,
                "worse_files": sum(1 for r in mine if (r["worse"] or "").startswith("listenlens")),
                "files": len(mine),
            })
    return out


def main(argv: list[str] | None = None) -> int:
    import argparse
    from importlib.metadata import version

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from make_long_call import build_dual_channel

    from listenlens.config import load_settings
    from listenlens.evaluation.cases import discover

    ap = argparse.ArgumentParser(description="compare listenlens's timing metrics with call-ai-metrics'")
    ap.add_argument("--work", type=Path, default=WORK, help="where the dual-channel calls are built")
    ap.add_argument("--no-save", action="store_true", help="print only; leave bench/results.* alone")
    args = ap.parse_args(argv)

    settings = load_settings()
    rows: list[dict] = []
    inputs = [("stereo", c) for c in discover(build_dual_channel(args.work))]
    inputs += [("segments", c) for c in discover(DATA / "pyannote-sample")]
    for i, (kind, case) in enumerate(inputs):
        print(f"[peer] {i + 1}/{len(inputs)} {case.file_id} ({kind})", file=sys.stderr, flush=True)
        rows.extend(compare_file(case, kind, settings))

    tot = totals(rows)
    worse = [t for t in tot if t["listenlens"] is not None and t["peer"] is not None and t["listenlens"] > t["peer"] + EPS]
    summary = (
        "listenlens is worse on average on: "
        + "; ".join(f"{t['metric']} ({t['input']}: {t['listenlens']:.2f} vs {t['peer']:.2f})" for t in worse)
        if worse
        else "listenlens is not worse than call-ai-metrics on average on any timing metric here."
    )
    peer = {
        "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "peer_version": version("call-ai-metrics"),
        "summary": summary,
        "rows": rows,
        "totals": tot,
        "notes": [
            "Errors are each tool's figure on the call minus the same tool's figure on the RTTM truth.",
            "'rep reply gap': listenlens's patience (median customer-to-rep gap, negative when they overlap);"
            " call-ai-metrics' rep response latency (median, overlaps clamped to 0 s).",
            "Dual-channel calls: real voices (each speaker's solo speech from the two-speaker recordings) and"
            " synthetic calls with interruptions; see bench/make_long_call.py.",
        ],
    }
    print(json.dumps({"summary": summary, "totals": tot}, indent=2))
    if not args.no_save:
        results = json.loads(RESULTS_JSON.read_text(encoding="utf-8")) if RESULTS_JSON.exists() else None
        if results is None:
            print("bench/results.json is missing: run bench/run_bench.py first; nothing saved", file=sys.stderr)
            return 1
        results["peer"] = peer
        save(results)
        print("written: bench/results.json, bench/results.md", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
