"""The event report as tables on a console (``listenlens eval`` and ``bench/event_eval.py``)."""

from __future__ import annotations

from collections.abc import Sequence

from listenlens.evaluation.events.matching import KINDS
from listenlens.evaluation.events.report import EventReport, met

KIND_NAMES = {
    "questions": "rep questions",
    "interruptions": "interruptions (either way)",
    "interruptions_rep_on_customer": "  rep cut off customer",
    "interruptions_customer_on_rep": "  customer cut off rep",
    "paraphrases": "paraphrases",
    "backchannels": "backchannels",
    "monologues": "monologues",
}
ROWS = ("questions", "interruptions", "interruptions_rep_on_customer", "interruptions_customer_on_rep", *KINDS[3:])


def render_report(report: EventReport, console, *, misses: bool = False) -> None:
    """One quality: per split (all calls first), each kind's figures, the summary and the targets."""
    from rich.table import Table

    splits = report.splits()
    # One split is the same calls as "all": not shown twice.
    for split in (None, *(splits if len(splits) > 1 else [])):
        s = report.summary(split)
        failed = f", failed: {', '.join(s['failed'])}" if s["failed"] else ""
        table = Table(title=f"{report.variant} / {split or 'all calls'} ({s['calls']} calls{failed})", title_justify="left")
        for col in ("event", "truth", "found", "matched", "precision", "recall"):
            table.add_column(col, justify="left" if col == "event" else "right")
        for name in ROWS:
            v = s["kinds"][name]
            table.add_row(KIND_NAMES[name], str(v["truth"]), str(v["found"]), str(v["matched"]), _p(v["precision"]), _p(v["recall"]))
        console.print(table)
        for line in summary_lines(s):
            console.print(f"  {line}", markup=False, highlight=False)
        for t in report.targets(split):
            verdict = verdict_text(met(t, s))
            colour = {"MET": "green", "MISSED": "red"}.get(verdict, "dim")
            sign = "<=" if t.at_most else ">="
            console.print(f"  [{colour}]{verdict:>6s}[/{colour}]  {t.name}: {_value(t)} ({sign} {t.limit:g})", highlight=False)
    for c in report.calls:
        if c.error:
            console.print(f"  failed {c.id}: {c.error}", markup=False, highlight=False)
    if misses:
        for c in report.calls:
            for miss in c.misses:
                console.print(f"    {c.id}: {miss}", markup=False, highlight=False)


def summary_lines(s: dict) -> list[str]:
    marked = ", ".join(f"{k} {t} true / {f} false" for k, (t, f) in s["uncertain_events"].items() if t or f) or "none"
    wrong = f" (wrong: {', '.join(s['roles_wrong_calls'])})" if s["roles_wrong_calls"] else ""
    return [
        f"phantom rep questions: {s['phantom_questions']} ({_f(s['phantom_questions_per_10_calls'])} per 10 calls, "
        f"{s['phantom_questions_scored']} not marked uncertain); verdicts right {_p(s['verdict_accuracy'])} of "
        f"{s['verdicts_judged']}; wait error {_f(s['wait_mean_abs_error_s'], '.2f')} s",
        f"talk ratio error max {_f(s['talk_ratio_error_pp_max'])} pp ({s['talk_ratio_worst_call'] or '-'}), "
        f"mean {_f(s['talk_ratio_error_pp_mean'])} pp",
        f"word attribution error {_p(s['word_attribution_error'])} (wrong side {_p(s['word_side_error'])}, "
        f"unaligned {_p(s['words_unaligned_share'])})",
        f"roles right on {s['roles_right']} of {s['calls']} calls{wrong}",
        f"marked uncertain (left out of the score): {marked}",
    ]


def render_targets(reports: Sequence[EventReport], console) -> None:
    """Every target of every quality on all calls: the verdict a reader looks for first."""
    from rich.table import Table

    table = Table(title="targets (all calls)", title_justify="left")
    for col in ("quality", "target", "value", "limit", "verdict"):
        table.add_column(col, justify="right" if col == "value" else "left")
    for r in reports:
        s = r.summary()
        for t in r.targets():
            verdict = verdict_text(met(t, s))
            colour = {"MET": "green", "MISSED": "red"}.get(verdict, "dim")
            sign = "<=" if t.at_most else ">="
            table.add_row(r.variant, t.name, _value(t), f"{sign} {t.limit:g} {t.unit}", f"[{colour}]{verdict}[/{colour}]")
    console.print(table)


def _value(t) -> str:
    return "-" if t.value is None else f"{t.value:.1f} {t.unit}"


def verdict_text(value: bool | None) -> str:
    return "n/a" if value is None else ("MET" if value else "MISSED")


def _f(x, fmt: str = ".1f") -> str:
    return "-" if x is None else format(x, fmt)


def _p(x) -> str:
    return "-" if x is None else f"{100 * x:.0f}%"
