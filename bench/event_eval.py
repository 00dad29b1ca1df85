"""How right are the scorecard's events? The product against the sales calls' event truth.

    python bench/event_eval.py                       # build the calls, run every variant, save
    python bench/event_eval.py --variant mono --only s01-discovery --no-save
    python bench/event_eval.py --no-build --variant script   # score what is built, no TTS

Builds the calls of ``bench/sales_calls`` (where their scripts changed) and scores them
with the package's event evaluation (``listenlens.evaluation.events``), the same code
``listenlens eval bench/.cache/sales-calls`` runs: this script adds only the building,
the saved JSON and the results.md section. The matching rules and targets are in
``evaluation/events/`` and ``docs/benchmarks.md``.

Writes ``bench/event_eval.json`` and the ``event-eval`` section of ``bench/results.md``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from sales_calls.build import OUT, build_all  # noqa: E402
from sales_calls.script import ScriptError  # noqa: E402

from listenlens.errors import ListenlensError  # noqa: E402
from listenlens.evaluation.events.render import render_report, render_targets, verdict_text  # noqa: E402
from listenlens.evaluation.events.report import EventReport, document  # noqa: E402
from listenlens.evaluation.events.run import evaluate_events  # noqa: E402
from listenlens.evaluation.events.truth import VARIANTS, EventCall, load_calls  # noqa: E402

RESULTS_JSON = HERE / "event_eval.json"
RESULTS_MD = HERE / "results.md"
SECTION = "event-eval"  # results.md section, between <!-- event-eval:start --> and <!-- event-eval:end -->


def load_built(out: Path, only: list[str] | None, split: str | None, *, build: bool, say) -> list[EventCall]:
    """The calls, built (or rebuilt where their script changed) unless ``build`` is off, read
    back from ``out`` by the package, as ``listenlens eval OUT`` reads them."""
    ids = [c.id for c in build_all(out, only, progress=say)] if build else only
    return load_calls(out, ids, split)


# --- output ------------------------------------------------------------------------------


def _f(x, fmt=".1f") -> str:
    return "–" if x is None else format(x, fmt)


def _p(x) -> str:
    return "–" if x is None else f"{100 * x:.0f}%"


UNCERTAIN_KINDS = ("questions", "interruptions_rep_on_customer", "interruptions_customer_on_rep", "paraphrases")


def render_section(data: dict) -> str:
    """The results.md section's body (what goes between its markers) from the saved JSON."""
    out = ["## Events on the sales calls", "",
           f"Generated {data['date']} by `bench/event_eval.py` (git {data.get('git_commit', '?')}) from `bench/event_eval.json`;"
           " do not edit by hand. The calls, the matching rules and their tolerances: `docs/benchmarks.md`."
           f" {data['calls']} calls ({len(data['splits'].get('tune', []))} tuning, {len(data['splits'].get('held-out', []))} held-out), "
           f"{data['audio_minutes']:.1f} minutes each variant. `script` runs the scorecard on the script's own timeline"
           " (the definitions alone, no recogniser).", "",
           "| variant | split | questions P / R | phantom q. per 10 calls | verdicts right "
           "| interruptions P / R (rep on cust. R, cust. on rep R) | paraphrases P / R | backchannels P / R | monologues R "
           "| talk ratio error max / mean (pp) | word attribution error (side) | roles right |",
           "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for variant, rep in data["variants"].items():
        for split, s in [("all", rep["overall"]), *rep["by_split"].items()]:
            k = s["kinds"]
            out.append(
                f"| {variant} | {split} | {_p(k['questions']['precision'])} / {_p(k['questions']['recall'])} "
                f"| {_f(s['phantom_questions_per_10_calls'])} | {_p(s['verdict_accuracy'])} of {s['verdicts_judged']} "
                f"| {_p(k['interruptions']['precision'])} / {_p(k['interruptions']['recall'])} "
                f"({_p(k['interruptions_rep_on_customer']['recall'])}, {_p(k['interruptions_customer_on_rep']['recall'])}) "
                f"| {_p(k['paraphrases']['precision'])} / {_p(k['paraphrases']['recall'])} "
                f"| {_p(k['backchannels']['precision'])} / {_p(k['backchannels']['recall'])} "
                f"| {_p(k['monologues']['recall'])} | {_f(s['talk_ratio_error_pp_max'])} / {_f(s['talk_ratio_error_pp_mean'])} "
                f"| {_p(s['word_attribution_error'])} ({_p(s['word_side_error'])}) | {s['roles_right']} of {s['calls']} |")
    out += ["", "| variant | target | all calls | held-out | verdict (all / held-out) |", "| --- | --- | --- | --- | --- |"]
    for variant, rep in data["variants"].items():
        for t_all, t_held in zip(rep["targets"]["all"], rep["targets"].get("held-out", rep["targets"]["all"])):
            sign = "≤" if t_all["at_most"] else "≥"
            out.append(f"| {variant} | {t_all['name']} ({sign} {t_all['limit']:g} {t_all['unit']}) | {_f(t_all['value'])} "
                       f"| {_f(t_held['value'])} | {verdict_text(t_all['met'])} / {verdict_text(t_held['met'])} |")
    out += ["", "Found events marked uncertain (listed and shown, left out of the score), true / false, all calls:", "",
            "| variant | " + " | ".join(k.replace("_", " ") for k in UNCERTAIN_KINDS) + " |",
            "| --- |" + " --- |" * len(UNCERTAIN_KINDS)]
    for variant, rep in data["variants"].items():
        u = rep["overall"].get("uncertain_events") or {}
        out.append(f"| {variant} | " + " | ".join("{} / {}".format(*u.get(k, (0, 0))) for k in UNCERTAIN_KINDS) + " |")
    wrong = [f"{v}: {', '.join(r['overall']['roles_wrong_calls'])}"
             for v, r in data["variants"].items() if r["overall"]["roles_wrong_calls"]]
    if wrong:
        out += ["", "Calls where a found speaker took the other side's role (every event of theirs then counts for the wrong side): "
                + "; ".join(wrong) + "."]
    out += ["", f"Tuning split: {', '.join(data['splits'].get('tune', []))}.", "",
            f"Held-out split: {', '.join(data['splits'].get('held-out', []))}."]
    return "\n".join(out)


def print_reports(reports: list[EventReport], misses: bool) -> None:
    from rich.console import Console

    console = Console(width=160) if not sys.stdout.isatty() else Console()
    for report in reports:
        render_report(report, console, misses=misses)
    render_targets(reports, console)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Score the scorecard's events on the sales calls.")
    ap.add_argument("--variant", action="append", choices=VARIANTS, help="variant to run (repeatable; default all)")
    ap.add_argument("--only", action="append", help="only this call id (repeatable)")
    ap.add_argument("--split", choices=("tune", "held-out"), help="only the calls of this split")
    ap.add_argument("--out", type=Path, default=OUT, help=f"where the calls are built (default {OUT})")
    ap.add_argument("--no-build", action="store_true", help="score the calls already built in --out (no TTS, no rebuilding)")
    ap.add_argument("--no-save", action="store_true", help="print only; leave bench/event_eval.json and results.md alone")
    ap.add_argument("--misses", action="store_true", help="list every missed or extra event")
    args = ap.parse_args(argv)

    def say(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    def on_call(done, total, call, result, seconds) -> None:
        if result is not None:
            say(f"[{result.variant}] {done}/{total} {call.id}: {seconds:.0f} s" + (f" FAILED: {result.error}" if result.error else ""))

    try:
        calls = load_built(args.out, args.only, args.split, build=not args.no_build, say=say)
    except (ScriptError, ListenlensError) as exc:
        say(f"error: {exc}")
        return 2
    reports = [evaluate_events(calls, variant, on_call=on_call) for variant in args.variant or VARIANTS]
    print_reports(reports, args.misses)
    if args.no_save:
        return 0
    if args.only or args.split:
        say("a partial run (--only/--split) is not saved; add --no-save to silence this")
        return 0
    from run_bench import git_commit

    data = document(str(args.out), calls, reports, git_commit=git_commit())
    tmp = RESULTS_JSON.with_suffix(".json.part")
    # numpy scalars (a bool or float from a metric) are written as the Python values they hold
    text = json.dumps(data, indent=1, ensure_ascii=False, default=lambda o: o.item() if hasattr(o, "item") else str(o))
    tmp.write_text(text + "\n", encoding="utf-8")
    tmp.replace(RESULTS_JSON)
    from render_results import write_marked_section

    write_marked_section(RESULTS_MD, SECTION, render_section(data))
    say(f"written: {RESULTS_JSON}, {RESULTS_MD} (event-eval section)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
