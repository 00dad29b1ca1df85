"""What the rep and team trend pages show: per metric, a small chart of ISO weeks.

Weekly numbers come from ``listenlens.service.domain.trends.weekly_trends`` (the API's code);
each chart draws the target band (the target each component was scored against, from
the latest scorecard), the rep's weekly mean against the team's weekly median, and one
dot per call linking to it. The latest value carries its verdict against the target
(``components.judge``), the call list each call's score band.
"""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta
from typing import Any

import pandas as pd

from listenlens.pipeline.scorecard import Scorecard, Target, Verdict, curve, judge, score_band
from listenlens.pipeline.scorecard.components import BY_NAME, COMPONENTS
from listenlens.service.domain.trends import iso_week, weekly_trends
from listenlens.service.ui.fmt import TREND_METRICS, clock, value_text, when

CHART_W, CHART_H = 460, 200
M_LEFT, M_RIGHT, M_TOP, M_BOTTOM = 56, 14, 14, 30
# Call dots per rep: classes rep-c0 ... rep-c7 of ui.css (none is the indigo of the main
# line); classes, not inline colours, so the pages need no inline style.
REP_COLOURS = 8


def targets_of(scorecard: Scorecard | None) -> dict[str, Target]:
    """component name -> the target it was scored against in ``scorecard`` (the defaults without one)."""
    if scorecard is None:
        return {name: spec.target for name, spec in BY_NAME.items()}
    return {c.name: c.as_target() for c in scorecard.components}


def _label(component: str | None) -> str:
    return "Listening score" if component is None else BY_NAME[component].label


def _unit(component: str | None) -> str:
    return "score" if component is None else BY_NAME[component].unit


def trend_page(rows: pd.DataFrame, compare: pd.DataFrame | None, targets: dict[str, Target],
               *, max_weeks: int = 12, compare_label: str = "team median", own_stat: str = "mean") -> dict[str, Any]:
    """Charts for ``rows`` (a rep's or a team's calls) with ``compare`` (the team) as a median line.

    ``own_stat``: which weekly statistic of ``rows`` is the main line (a rep's mean, a team's median).
    """
    present = [(col, comp) for col, comp in TREND_METRICS if col in rows.columns and rows[col].notna().any()]
    metrics = [col for col, _ in present]
    weeks = week_axis(sorted(rows["iso_week"].dropna().unique()), max_weeks) if not rows.empty else []
    rows = rows[rows["iso_week"].isin(weeks)]
    own = weekly_trends(rows, metrics) if metrics and not rows.empty else pd.DataFrame()
    other = pd.DataFrame()
    if compare is not None and not compare.empty and metrics:
        cmp_rows = compare[compare["iso_week"].isin(weeks)]
        cmp_metrics = [m for m in metrics if m in cmp_rows.columns]
        if cmp_metrics and not cmp_rows.empty:
            other = weekly_trends(cmp_rows, cmp_metrics)
    reps = sorted(r for r in rows["rep"].dropna().unique()) if "rep" in rows else []
    colour = {rep: f"rep-c{i % REP_COLOURS}" for i, rep in enumerate(reps)}
    charts = [chart(col, comp, weeks, own, other, rows, targets.get(comp or ""), colour, compare_label, own_stat)
              for col, comp in present]
    return {
        "weeks": weeks,
        "charts": charts,
        "calls": call_list(rows, colour),
        "reps": [{"rep": r, "colour": colour[r]} for r in reps],
        "n_calls": int(len(rows)),
        "weeks_with_calls": int(rows["iso_week"].nunique()) if not rows.empty else 0,
    }


def week_axis(weeks_with_calls: list[str], max_weeks: int) -> list[str]:
    """Every ISO week from the first with calls to the latest, the last ``max_weeks`` of them:
    a week without calls keeps its place on the axis."""
    if not weeks_with_calls:
        return []
    last = _monday(weeks_with_calls[-1])
    first = max(_monday(weeks_with_calls[0]), last - timedelta(weeks=max_weeks - 1))
    out = []
    d = first
    while d <= last:
        out.append(iso_week(datetime(d.year, d.month, d.day)))
        d += timedelta(weeks=1)
    return out


def _monday(week: str) -> date:
    year, w = week.split("-W")
    return date.fromisocalendar(int(year), int(w), 1)


def change(component: str | None, now: float | None, before: float | None, target: Target | None,
           unit: str) -> dict[str, Any] | None:
    """How a value moved from the week before: an arrow, its words, and better or worse
    (closer to the target band; for the listening score, higher)."""
    if now is None or before is None:
        return None
    if component is None:
        good_now, good_before = now, before
    elif target is not None:
        good_now, good_before = curve(now, target), curve(before, target)
    else:
        return None
    diff = now - before
    if unit == "share":
        size = f"{abs(diff) * 100:.0f} pts"
    elif unit == "score":
        size = f"{abs(diff):.0f} pts"
    else:
        size = value_text(abs(diff), unit)
    direction = "up" if diff > 0 else "down" if diff < 0 else "level"
    quality = "better" if good_now > good_before + 1e-9 else "worse" if good_now < good_before - 1e-9 else "same"
    arrow = {"up": "↑", "down": "↓", "level": "→"}[direction]
    words = "no change" if direction == "level" else f"{direction} {size}"
    return {"arrow": arrow, "words": words, "cls": quality, "quality": {"better": "closer to target",
            "worse": "further from target", "same": "same verdict"}[quality] if component else
            {"better": "better", "worse": "worse", "same": "same"}[quality]}


def chart(col: str, component: str | None, weeks: list[str], own: pd.DataFrame, other: pd.DataFrame,
          rows: pd.DataFrame, target: Target | None, colour: dict[str, str], compare_label: str,
          own_stat: str = "mean") -> dict[str, Any]:
    unit = _unit(component)
    mine = _series(own, col, own_stat)
    theirs = _series(other, col, "median")
    calls = rows[["call_id", "rep", "iso_week", "call_time", col]].dropna(subset=[col])
    values = [v for v in [*mine.values(), *theirs.values(), *calls[col].tolist()] if v is not None]
    lo, hi = _y_range(values, target, unit)
    plot_w, plot_h = CHART_W - M_LEFT - M_RIGHT, CHART_H - M_TOP - M_BOTTOM
    n = max(1, len(weeks))
    step = plot_w / n

    def x(week: str) -> float:
        return round(M_LEFT + step * (weeks.index(week) + 0.5), 2)

    def y(v: float) -> float:
        return round(M_TOP + plot_h * (1 - (v - lo) / (hi - lo)), 2)

    band = None
    if target is not None and (target.good_min is not None or target.good_max is not None):
        b_lo = max(lo, target.good_min) if target.good_min is not None else lo
        b_hi = min(hi, target.good_max) if target.good_max is not None else hi
        if b_hi > b_lo:
            band = {"x": M_LEFT, "w": plot_w, "y": y(b_hi), "h": round(y(b_lo) - y(b_hi), 2)}

    def line(series: dict[str, float | None]) -> dict[str, Any]:
        pts = [{"x": x(w), "y": y(v), "week": w, "text": value_text(v, unit)}
               for w, v in series.items() if v is not None and w in weeks]
        # A week without a value breaks the line: nothing is drawn where nothing was measured.
        path: list[str] = []
        prev: int | None = None
        for p in pts:
            at = weeks.index(str(p["week"]))
            path.append(f"{'L' if prev is not None and at == prev + 1 else 'M'}{p['x']},{p['y']}")
            prev = at
        return {"points": pts, "path": " ".join(path)}

    dots = []
    for week, group in calls.groupby("iso_week", sort=False):
        if week not in weeks:
            continue
        k = len(group)
        for i, r in enumerate(group.sort_values("call_time").itertuples(index=False)):
            # Spread a week's calls across a third of its slot so each dot can be clicked.
            offset = (i - (k - 1) / 2) * min(8.0, step / 3 / max(1, k - 1)) if k > 1 else 0.0
            dots.append({"x": round(x(week) + offset, 2), "y": y(getattr(r, col)), "call_id": r.call_id,
                         "colour": colour.get(r.rep, "rep-c7"),
                         "title": f"{r.rep} · {when(r.call_time)} · {value_text(getattr(r, col), unit)}"})
    ticks = _y_ticks(lo, hi, unit)
    with_calls = set(rows["iso_week"])
    valued = [(w, v) for w, v in mine.items() if v is not None and w in weeks]
    latest_week, latest = valued[-1] if valued else (None, None)
    before_week, before = valued[-2] if len(valued) > 1 else (None, None)
    if component is None:
        latest_cls = score_band(latest).value
    else:
        latest_cls = (judge(latest, target) if target is not None else Verdict.NOT_SCORED).value
    n_latest = int(calls[calls["iso_week"] == latest_week].shape[0]) if latest_week else 0
    moved = change(component, latest, before, target, unit)
    verdict_word = (Verdict(latest_cls).label if component is not None and latest is not None
                    else {"good": "good", "fair": "fair", "poor": "poor"}.get(latest_cls, ""))
    return {
        "metric": col, "component": component, "label": _label(component), "unit": unit,
        "target": target.label if target is not None else "", "w": CHART_W, "h": CHART_H,
        "plot": {"x": M_LEFT, "y": M_TOP, "w": plot_w, "h": plot_h, "bottom": M_TOP + plot_h},
        "band": band, "own": line(mine), "other": line(theirs), "compare_label": compare_label,
        "dots": dots,
        "xticks": [{"x": x(w), "label": w.split("-")[-1], "week": w, "empty": w not in with_calls}
                   for w in _thin(weeks)],
        "gaps": [{"x": round(x(w) - step / 2, 2), "w": round(step, 2)} for w in weeks if w not in with_calls],
        "yticks": [{"y": y(v), "label": _tick_text(v, unit)} for v in ticks],
        "latest": value_text(latest, unit), "latest_cls": latest_cls, "latest_week": latest_week,
        "latest_n": n_latest, "verdict": verdict_word, "change": moved, "before_week": before_week,
        "table": [{"week": w, "own": value_text(mine.get(w), unit) if mine.get(w) is not None else "no calls",
                   "other": value_text(theirs.get(w), unit) if theirs.get(w) is not None else "–",
                   "n": int(calls[calls["iso_week"] == w].shape[0])} for w in weeks],
    }


def _thin(weeks: list[str], most: int = 13) -> list[str]:
    """Week labels to print: all of them up to ``most``, else every k-th ending on the latest."""
    if len(weeks) <= most:
        return weeks
    k = math.ceil(len(weeks) / most)
    return weeks[::-1][::k][::-1]


def _tick_text(v: float, unit: str) -> str:
    if unit == "seconds":
        return value_text(v, "secs")
    if unit in ("share", "score"):
        return value_text(v, unit)
    return f"{v:g}"


def _series(weekly: pd.DataFrame, col: str, stat: str) -> dict[str, float | None]:
    if weekly.empty:
        return {}
    part = weekly[weekly["metric"] == col]
    return {r["week"]: (None if pd.isna(r[stat]) else float(r[stat])) for r in part.to_dict("records")}


def _y_range(values: list[float], target: Target | None, unit: str) -> tuple[float, float]:
    if unit == "share":
        return 0.0, 1.0
    if unit == "score":
        return 0.0, 100.0
    edges = (target.good_min, target.good_max) if target is not None else ()
    marks = values + [v for v in edges if v is not None]
    lo, hi = (min(marks), max(marks)) if marks else (0.0, 1.0)
    lo = min(lo, 0.0)
    if hi <= lo:
        hi = lo + 1.0
    return lo, hi + 0.08 * (hi - lo)


def _y_ticks(lo: float, hi: float, unit: str) -> list[float]:
    if unit in ("share", "score"):
        return [lo + (hi - lo) * k / 4 for k in range(5)]
    raw = (hi - lo) / 4
    mag = 10 ** math.floor(math.log10(raw)) if raw > 0 else 1
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    first = math.ceil(lo / step) * step
    out, v = [], first
    while v <= hi + 1e-9:
        out.append(round(v, 6))
        v += step
    return out


def call_list(rows: pd.DataFrame, colour: dict[str, str]) -> list[dict[str, Any]]:
    """The calls behind the charts, newest week first."""
    out = []
    for week, group in sorted(rows.groupby("iso_week"), key=lambda kv: kv[0], reverse=True):
        out.append({
            "week": week,
            "calls": [
                {"call_id": r["call_id"], "rep": r["rep"], "colour": colour.get(r["rep"], "rep-c7"),
                 "when": when(r["call_time"]),
                 "duration": clock(r["duration_s"]) if pd.notna(r["duration_s"]) else "",
                 "score": value_text(r.get("score"), "score"), "score_cls": score_band(r.get("score")).value,
                 "talk_ratio": value_text(r.get("talk_ratio"), "share"),
                 "four_second_rule": value_text(r.get("four_second_rule_share"), "share")}
                for r in group.sort_values("call_time").to_dict("records")
            ],
        })
    return out


TABLE_WEEKS = 4  # the team table judges each rep on their calls of the last this-many weeks


def rep_table(rows: pd.DataFrame, targets: dict[str, Target], weeks: list[str]) -> dict[str, Any]:
    """Each rep of a team against target on every component over the last ``TABLE_WEEKS``
    weeks of ``weeks``, with the move from their previous week, ranked by need.

    Need is the points of listening score the rep's means cost
    (sum of ``weight * (100 - score) / 100`` over the components), as ``coaching`` counts impact.
    """
    recent = weeks[-TABLE_WEEKS:]
    part = rows[rows["iso_week"].isin(recent)]
    columns = [{"key": "score", "label": "Score", "component": None}] + [
        {"key": c.trend_column, "label": c.label, "component": c.name, "target": targets[c.name].label
         if c.name in targets else c.target.label} for c in COMPONENTS]
    out = []
    for rep, mine in part.groupby("rep"):
        cells, need = [], 0.0
        for col in columns:
            comp, key = col["component"], col["key"]
            values = mine[key].dropna()
            mean = float(values.mean()) if not values.empty else None
            unit = "score" if comp is None else BY_NAME[comp].unit
            target = targets.get(comp) if comp else None
            weekly = mine.dropna(subset=[key]).groupby("iso_week")[key].mean().sort_index()
            moved = change(comp, float(weekly.iloc[-1]), float(weekly.iloc[-2]), target, unit) if len(weekly) > 1 else None
            if comp is None:
                cls = score_band(mean).value
                verdict_word = cls if mean is not None else "no calls"
            else:
                v = judge(mean, target) if target is not None else Verdict.NOT_SCORED
                cls, verdict_word = v.value, v.label
                if mean is not None and target is not None:
                    need += target.weight * (100.0 - curve(mean, target)) / 100.0
            cells.append({"text": value_text(mean, unit), "v": "" if mean is None else round(mean, 4), "cls": cls,
                          "verdict": verdict_word, "change": moved})
        out.append({"rep": rep, "need": round(need, 2), "calls": int(len(mine)), "cells": cells})
    out.sort(key=lambda r: (-r["need"], r["rep"]))
    for rank, row in enumerate(out, 1):
        row["rank"] = rank
    return {"columns": columns, "rows": out, "weeks": recent}
