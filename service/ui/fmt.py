"""How numbers read on the pages.

Component labels, units, value formats, verdicts and colours are defined once in
``listenlens.pipeline.scorecard.components``; this module only names what the trend
pages chart.
"""

from __future__ import annotations

from typing import Any

from listenlens.pipeline.scorecard.components import COMPONENTS, clock, format_value

__all__ = ["TREND_METRICS", "clock", "value_text"]

# The trend pages plot these columns of ``trends.METRIC_COLUMNS`` rows, each next to the
# score component that judges it (whose target band the chart draws).
TREND_METRICS: list[tuple[str, str | None]] = [("score", None)] + [(c.trend_column, c.name) for c in COMPONENTS]


def value_text(value: Any, unit: str) -> str:
    if unit == "secs" and value is not None:  # axis ticks: short
        return f"{float(value):g} s"
    return format_value(value, unit)
