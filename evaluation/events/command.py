"""``listenlens eval`` on a folder of calls with event truth."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from listenlens.evaluation.cases import EvalError
from listenlens.evaluation.events.report import EventReport, document
from listenlens.evaluation.events.run import evaluate_events
from listenlens.evaluation.events.truth import VARIANTS, EventCall, load_calls, variants_present


def choose_variants(calls: list[EventCall], asked: list[str] | None) -> list[str]:
    """The qualities to run: those asked for, else every recorded one present (script only when asked)."""
    if asked:
        unknown = [v for v in asked if v not in VARIANTS]
        if unknown:
            raise EvalError(f"--variant {', '.join(unknown)}: choose among {', '.join(VARIANTS)}")
        missing = [v for v in asked if v != "script" and not any(v in c.audio for c in calls)]
        if missing:
            raise EvalError(f"--variant {', '.join(missing)}: no call has a recording in {'/, '.join(missing)}/; "
                            f"present: {', '.join(variants_present(calls)) or 'none'} (script needs none)")
        return list(dict.fromkeys(asked))
    present = variants_present(calls)
    if not present:
        raise EvalError("no recordings beside the truth (dual/, mono/ or telephone/ <id>.wav); add them, "
                        "or run --variant script to score the scorecard on the truth's own timeline")
    return present


def run_event_eval(folder: Path, *, variants: list[str] | None, only: list[str] | None, split: str | None, settings,
                   progress, say) -> tuple[list[EventCall], list[EventReport]]:
    """Every chosen quality of every call; ``progress`` is a ``ProgressDisplay``, ``say`` prints a line."""
    calls = load_calls(folder, only, split)
    chosen = choose_variants(calls, variants)
    reports = []
    for variant in chosen:

        def on_call(done: int, total: int, call: EventCall, result, seconds: float, variant: str = variant) -> None:
            progress.file(done, total)
            if result is not None:
                failed = f" FAILED: {result.error}" if result.error else ""
                say(f"[eval {variant}] {done}/{total} {call.id}: {seconds:.0f} s{failed}")

        reports.append(evaluate_events(calls, variant, settings=settings, progress=progress, on_call=on_call))
    return calls, reports


def event_document(folder: Path, calls: list[EventCall], reports: list[EventReport]) -> dict[str, Any]:
    from listenlens import __version__

    return document(str(folder), calls, reports, listenlens=__version__)
