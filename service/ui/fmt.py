"""How numbers, dates and lengths read on the pages: one format each, on every page.

Component labels, units, value formats, verdicts and colours are defined once in
``listenlens.pipeline.scorecard.components``; this module adds the pages' date format
and names what the trend pages chart.

* a moment in time: ``Mon 17 Nov 2026, 09:00 UTC`` (``when``), a day: ``17 Nov 2026`` (``day``);
* a length (call, talk time, turn): ``m:ss`` (``clock``); short gaps and waits stay in seconds
  (``1.2 s``), as the scorecard states its targets.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from listenlens.pipeline.scorecard.components import COMPONENTS, clock, format_value

__all__ = ["TREND_METRICS", "clock", "day", "value_text", "when"]

# The trend pages plot these columns of ``trends.METRIC_COLUMNS`` rows, each next to the
# score component that judges it (whose target band the chart draws).
TREND_METRICS: list[tuple[str, str | None]] = [("score", None)] + [(c.trend_column, c.name) for c in COMPONENTS]


def _as_datetime(value: Any) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value
    if hasattr(value, "to_pydatetime"):  # pandas Timestamp
        return value.to_pydatetime()
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None


def when(value: Any) -> str:
    """A date and time (UTC): ``Mon 17 Nov 2026, 09:00 UTC``."""
    dt = _as_datetime(value)
    return "" if dt is None else f"{dt:%a} {dt.day} {dt:%b %Y, %H:%M} UTC"


def day(value: Any) -> str:
    """A day: ``17 Nov 2026``."""
    dt = _as_datetime(value)
    return "" if dt is None else f"{dt.day} {dt:%b %Y}"


def value_text(value: Any, unit: str) -> str:
    if unit == "secs" and value is not None:  # axis ticks: short
        return f"{float(value):g} s"
    return format_value(value, unit)
