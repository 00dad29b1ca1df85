"""What the rep and team trend pages show: per metric, a small chart of ISO weeks.

Weekly numbers come from ``listenlens.service.domain.trends.weekly_trends`` (the API's code);
each chart draws the target band (the target each component was scored against, from
the latest scorecard), the rep's weekly mean against the team's weekly median, and one
dot per call linking to it. The latest value carries its verdict against the target
(``components.judge``), the call list each call's score band.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from listenlens.pipeline.scorecard import Scorecard, Target, Verdict, judge, score_band
from listenlens.pipeline.scorecard.components import BY_NAME
from listenlens.service.domain.trends import weekly_trends
from listenlens.service.ui.fmt import TREND_METRICS, clock, value_text

CHART_W, CHART_H = 460, 200
M_LEFT, M_RIGHT, M_TOP, M_BOTTOM = 56, 14, 14, 30
# Call dots per rep; none is the indigo of the main line.
REP_PALETTE = ["#0d9488", "#d97706", "#db2777", "#0284c7", "#65a30d", "#9333ea", "#dc2626", "#78716c"]


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
    weeks = sorted(rows["iso_week"].dropna().unique())[-max_weeks:] if not rows.empty else []
    rows = rows[rows["iso_week"].isin(weeks)]
    own = weekly_trends(rows, metrics) if metrics and not rows.empty else pd.DataFrame()
    other = pd.DataFrame()
    if compare is not None and not compare.empty and metrics:
        cmp_rows = compare[compare["iso_week"].isin(weeks)]
        cmp_metrics = [m for m in metrics if m in cmp_rows.columns]
        if cmp_metrics and not cmp_rows.empty:
            other = weekly_trends(cmp_rows, cmp_metrics)
    reps = sorted(r for r in rows["rep"].dropna().unique()) if "rep" in rows else []
    colour = {rep: REP_PALETTE[i % len(REP_PALETTE)] for i, rep in enumerate(reps)}
    charts = [chart(col, comp, weeks, own, other, rows, targets.get(comp or ""), colour, compare_label, own_stat)
              for col, comp in present]
    return {
        "weeks": weeks,
        "charts": charts,
        "calls": call_list(rows, colour),
        "reps": [{"rep": r, "colour": colour[r]} for r in reps],
        "n_calls": int(len(rows)),
    }


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
        pts = [{"x": x(w), "y": y(v), "week": w, "text": value_text(v, unit)} for w, v in series.items() if v is not None]
        return {"points": pts, "path": " ".join(f"{'M' if i == 0 else 'L'}{p['x']},{p['y']}" for i, p in enumerate(pts))}

    dots = []
    for week, group in calls.groupby("iso_week", sort=False):
        if week not in weeks:
            continue
        k = len(group)
        for i, r in enumerate(group.sort_values("call_time").itertuples(index=False)):
            # Spread a week's calls across a third of its slot so each dot can be clicked.
            offset = (i - (k - 1) / 2) * min(8.0, step / 3 / max(1, k - 1)) if k > 1 else 0.0
            dots.append({"x": round(x(week) + offset, 2), "y": y(getattr(r, col)), "call_id": r.call_id,
                         "colour": colour.get(r.rep, "#64748b"),
                         "title": f"{r.rep} · {pd.Timestamp(r.call_time):%a %d %b %H:%M} · {value_text(getattr(r, col), unit)}"})
    ticks = _y_ticks(lo, hi, unit)
    latest = next((v for v in reversed(list(mine.values())) if v is not None), None)
    if component is None:
        latest_cls = score_band(latest).value
    else:
        latest_cls = (judge(latest, target) if target is not None else Verdict.NOT_SCORED).value
    return {
        "metric": col, "component": component, "label": _label(component), "unit": unit,
        "target": target.label if target is not None else "", "w": CHART_W, "h": CHART_H,
        "plot": {"x": M_LEFT, "y": M_TOP, "w": plot_w, "h": plot_h, "bottom": M_TOP + plot_h},
        "band": band, "own": line(mine), "other": line(theirs), "compare_label": compare_label,
        "dots": dots,
        "xticks": [{"x": x(w), "label": w.split("-")[-1], "week": w} for w in weeks],
        "yticks": [{"y": y(v), "label": _tick_text(v, unit)} for v in ticks],
        "latest": value_text(latest, unit), "latest_cls": latest_cls,
    }


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
                {"call_id": r["call_id"], "rep": r["rep"], "colour": colour.get(r["rep"], "#64748b"),
                 "when": f"{pd.Timestamp(r['call_time']):%a %d %b %H:%M}",
                 "duration": clock(r["duration_s"]) if pd.notna(r["duration_s"]) else "",
                 "score": value_text(r.get("score"), "score"), "score_cls": score_band(r.get("score")).value,
                 "talk_ratio": value_text(r.get("talk_ratio"), "share"),
                 "four_second_rule": value_text(r.get("four_second_rule_share"), "share")}
                for r in group.sort_values("call_time").to_dict("records")
            ],
        })
    return out
