"""Run the product on one quality of every call, as ``listenlens analyze`` does, and score it."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from listenlens.evaluation.events.matching import CallResult, failed_call, score_call
from listenlens.evaluation.events.report import EventReport
from listenlens.evaluation.events.truth import VARIANTS, EventCall, script_timeline
from listenlens.pipeline.progress import ProgressListener, ignore_progress

# The dual copy's channels: rep on the left, customer on the right (docs/benchmarks.md).
DUAL_CHANNELS = "rep,customer"

OnCall = Callable[[int, int, EventCall, "CallResult | None", float], None]


def analyze(call: EventCall, variant: str, settings=None, progress: ProgressListener = ignore_progress):
    """The product's ``Analysis`` of one copy of the call. ``script``: the scorecard on the
    truth's own timeline (true turns, words and roles), which measures the definitions alone."""
    from listenlens.pipeline.analyze import analyze_call, analyze_timeline

    if variant == "script":
        return analyze_timeline(script_timeline(call.truth), settings.scorecard if settings else None)
    return analyze_call(call.audio[variant], settings, channels=DUAL_CHANNELS if variant == "dual" else None, progress=progress)


def evaluate_events(calls: Sequence[EventCall], variant: str, *, settings=None, progress: ProgressListener = ignore_progress,
                    on_call: OnCall | None = None) -> EventReport:
    """Score the events of one quality of every call against its truth.

    ``on_call(done, total, call, result, seconds)`` hears each call before it runs
    (``result`` None) and after. A call the product refuses, or without a recording of
    this quality, is a failed call: its true events count as missed.
    """
    from listenlens.errors import ListenlensError

    if variant not in VARIANTS:
        raise ValueError(f"unknown variant {variant!r}; one of {VARIANTS}")
    results = []
    for n, call in enumerate(calls):
        if on_call:
            on_call(n, len(calls), call, None, 0.0)
        t0 = time.perf_counter()
        if variant != "script" and variant not in call.audio:
            res = failed_call(call, variant, f"no {variant} recording ({variant}/{call.id}.wav)")
        else:
            try:
                res = score_call(call, variant, analyze(call, variant, settings, progress))
            except ListenlensError as exc:
                res = failed_call(call, variant, exc.message)
        results.append(res)
        if on_call:
            on_call(n + 1, len(calls), call, res, time.perf_counter() - t0)
    return EventReport(variant, results)
