"""How each score component reads on the pages: its name and its value in the right unit."""

from __future__ import annotations

import math
from typing import Any

# component name -> (label, unit, what it asks of the rep)
COMPONENTS: dict[str, tuple[str, str, str]] = {
    "talk_ratio": ("Talk ratio", "share", "share of the talking done by the rep"),
    "four_second_rule": ("Four-second rule", "share", "questions the rep left room to answer"),
    "interruptions": ("Interruptions", "per10", "times the rep talked over the customer, per 10 minutes"),
    "longest_monologue": ("Longest monologue", "seconds", "the rep's longest turn"),
    "patience": ("Patience", "seconds", "median pause before the rep replies"),
    "paraphrase": ("Playing back", "share", "customer stories the rep restated"),
    "question_rate": ("Questions", "per10", "questions asked per 10 minutes"),
}
# The trend pages plot these columns of ``trends.METRIC_PATHS`` rows, each next to the
# score component that judges it (whose target band the chart draws).
TREND_METRICS: list[tuple[str, str | None]] = [
    ("score", None),
    ("talk_ratio", "talk_ratio"),
    ("four_second_rule_share", "four_second_rule"),
    ("interruptions_rep_per_10min", "interruptions"),
    ("longest_monologue_s", "longest_monologue"),
    ("patience_median_s", "patience"),
    ("customer_stories_played_back_share", "paraphrase"),
    ("questions_per_10min", "question_rate"),
]


def label_of(component: str | None) -> str:
    if component is None:
        return "Listening score"
    return COMPONENTS.get(component, (component.replace("_", " ").capitalize(), "", ""))[0]


def unit_of(component: str | None) -> str:
    if component is None:
        return "score"
    return COMPONENTS.get(component, ("", "number", ""))[1]


def value_text(value: Any, unit: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    v = float(value)
    if unit == "share":
        return f"{v * 100:.0f}%"
    if unit == "seconds":
        return clock(v) if abs(v) >= 90 else f"{v:.1f} s"
    if unit == "secs":  # axis ticks: short
        return f"{v:g} s"
    if unit == "per10":
        return f"{v:.1f} / 10 min"
    if unit == "score":
        return f"{v:.0f}"
    return f"{v:.3g}"


def clock(seconds: float | None) -> str:
    """``m:ss`` (``h:mm:ss`` past an hour)."""
    if seconds is None:
        return ""
    s = max(0, int(round(float(seconds))))
    h, rem = divmod(s, 3600)
    m, sec = divmod(rem, 60)
    return f"{h}:{m:02d}:{sec:02d}" if h else f"{m}:{sec:02d}"


def score_class(score: float | None) -> str:
    if score is None:
        return "na"
    return "good" if score >= 75 else "fair" if score >= 50 else "poor"
