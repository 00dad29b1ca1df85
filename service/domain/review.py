"""The weekly coaching review: load a week (and the one before), compare reps, flag movers.

Used by ``notebooks/weekly_coaching_review.ipynb``; every number goes through
``listenlens.service.domain.trends`` (``load_metric_rows`` / ``weekly_trends``), the code the
API and the trend pages use, so the notebook and the pages never disagree.

    rows = load_rows("~/.listenlens", weeks=["2026-W46", "2026-W47"])   # or a DB URL, or exports
    moves = week_over_week(rows, "2026-W47")
    flagged = flag_movers(moves)
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from listenlens.errors import ListenlensError
from listenlens.pipeline.scorecard import Verdict, judge
from listenlens.pipeline.scorecard.components import BY_TREND_COLUMN
from listenlens.service.domain.exports import normalise_week, read_export, week_bounds, week_rows
from listenlens.service.domain.trends import iso_week, load_metric_rows, weekly_trends

# What a coach reviews each week, in display order (columns of the metric rows).
REVIEW_METRICS = ["score", "talk_ratio", "four_second_rule_share", "longest_monologue_s", "questions",
                  "interruptions_rep", "patience_median_s", "paraphrases"]
# What the rep said, per rep and week: the content components' columns, then the ones shown only.
SAID_METRICS = ["customer_focus_share", "open_question_share", "question_yield_median_s", "self_promotion_per_10min",
                "objections", "objections_listening_share", "next_step_agreed", "follow_ups", "fillers_per_minute",
                "dead_air_s", "customer_questions", "tracker_hits"]
# A move at least this large (absolute, week over week) is worth a conversation:
# 10 points of talk ratio, 25 points of questions given room to answer.
DEFAULT_THRESHOLDS = {"talk_ratio": 0.10, "four_second_rule_share": 0.25}


def previous_week(week: str) -> str:
    start, _ = week_bounds(week)
    return iso_week(start - pd.Timedelta(days=7))


def load_rows(source: str | Path, weeks: Iterable[str] | None = None, tenant: str | None = None) -> pd.DataFrame:
    """Metric rows of ``weeks`` (all weeks if None) from a data source.

    ``source``: a CSV/Parquet export (or a folder of them), a ``LISTENLENS_HOME`` folder
    (its ``listenlens.db``) or a SQLAlchemy database URL. ``tenant`` names the tenant
    when the database holds several.
    """
    weeks = None if weeks is None else [normalise_week(w) for w in weeks]
    text = str(source)
    if "://" in text:
        if not text.startswith(("sqlite", "postgresql", "mysql")):
            raise ListenlensError(f"{text!r} is not a database URL this review reads (sqlite:///..., postgresql://...)")
        return _from_database(text, weeks, tenant)
    path = Path(text).expanduser()
    if path.is_dir() and (path / "listenlens.db").is_file():
        return _from_database(f"sqlite:///{path.resolve() / 'listenlens.db'}", weeks, tenant)
    if path.is_dir():
        files = sorted([*path.glob("*.parquet"), *path.glob("*.csv")])
        if not files:
            raise ListenlensError(f"{path} holds neither listenlens.db nor .csv/.parquet exports")
        rows = pd.concat([read_export(f) for f in files], ignore_index=True).drop_duplicates("call_id")
    elif path.is_file():
        rows = read_export(path)
    else:
        raise ListenlensError(f"{path} does not exist: give an export file, a LISTENLENS_HOME folder or a database URL")
    if weeks is not None:
        rows = rows[rows["iso_week"].isin(weeks)]
    return rows.sort_values("call_time", kind="stable").reset_index(drop=True)


def _from_database(url: str, weeks: list[str] | None, tenant: str | None) -> pd.DataFrame:
    from sqlalchemy import select

    from listenlens.service.db.database import Database
    from listenlens.service.db.models import Tenant

    db = Database(url)
    try:
        with db.session() as s:
            tenants = list(s.scalars(select(Tenant).order_by(Tenant.name)).all())
            if tenant is not None:
                tenants = [t for t in tenants if t.name == tenant]
                if not tenants:
                    raise ListenlensError(f"no tenant named {tenant!r} in {url}")
            if len(tenants) != 1:
                raise ListenlensError(f"{len(tenants)} tenants in {url}: set the tenant to review")
            if weeks is None:
                return load_metric_rows(s, tenants[0].id)
            return week_rows(s, tenants[0].id, weeks)
    finally:
        db.dispose()


def rep_weekly(rows: pd.DataFrame, metrics: list[str] | None = None) -> pd.DataFrame:
    """Per rep and ISO week: ``rep, week, metric, calls, count, mean, median``."""
    metrics = [m for m in (metrics or REVIEW_METRICS) if m in rows.columns]
    frames = []
    for rep, group in rows.groupby("rep", sort=True):
        weekly = weekly_trends(group, metrics)
        weekly.insert(0, "rep", rep)
        frames.append(weekly)
    if not frames:
        return pd.DataFrame(columns=["rep", "week", "metric", "calls", "count", "mean", "median"])
    return pd.concat(frames, ignore_index=True)


def rep_table(rows: pd.DataFrame, week: str, metrics: list[str] | None = None) -> pd.DataFrame:
    """One row per rep for ``week``: calls and each metric's weekly mean."""
    weekly = rep_weekly(rows, metrics)
    weekly = weekly[weekly["week"] == normalise_week(week)]
    if weekly.empty:
        return pd.DataFrame()
    table = weekly.pivot(index="rep", columns="metric", values="mean")
    table.insert(0, "calls", weekly.groupby("rep")["calls"].first())
    ordered = [m for m in (metrics or REVIEW_METRICS) if m in table.columns]
    return table[["calls", *ordered]]


def verdicts(table: pd.DataFrame) -> pd.DataFrame:
    """The verdict (met, near, far, not_scored) of each value of ``table`` in a column a
    score component judges, against that component's default target; other columns empty."""
    out = pd.DataFrame("", index=table.index, columns=table.columns)
    for col in table.columns:
        spec = BY_TREND_COLUMN.get(col)
        if spec is not None:
            out[col] = [judge(None if pd.isna(v) else float(v), spec.target).value for v in table[col]]
    return out


def style_verdicts(table: pd.DataFrame):
    """``table`` styled for a notebook: each judged value in its verdict colour."""
    colours = {v.value: v.colour for v in Verdict}
    marks = verdicts(table)
    return table.style.apply(
        lambda col: [f"color: {colours[v]}; font-weight: bold" if v else "" for v in marks[col.name]], axis=0)


def week_over_week(rows: pd.DataFrame, week: str, metrics: Iterable[str] = tuple(DEFAULT_THRESHOLDS)) -> pd.DataFrame:
    """Per rep: each metric's weekly mean last week and this week, and the change.

    Columns ``rep, metric, previous, current, change``; reps missing from either week
    (or without a value, e.g. no questions asked) get NaN and are never flagged.
    """
    week = normalise_week(week)
    prev = previous_week(week)
    metrics = list(metrics)
    weekly = rep_weekly(rows, metrics)
    means = weekly[weekly["week"].isin([prev, week])].pivot_table(
        index=["rep", "metric"], columns="week", values="mean", dropna=False)
    out = pd.DataFrame({
        "previous": means[prev] if prev in means.columns else float("nan"),
        "current": means[week] if week in means.columns else float("nan"),
    }, index=means.index).reset_index()
    out["change"] = out["current"] - out["previous"]
    return out[["rep", "metric", "previous", "current", "change"]].sort_values(["metric", "rep"]).reset_index(drop=True)


def flag_movers(moves: pd.DataFrame, thresholds: dict[str, float] | None = None) -> pd.DataFrame:
    """The reps whose move on any metric reaches its threshold, largest relative move first.

    Columns ``rep, metric, previous, current, change, size`` (``size``: the move in
    thresholds, so moves of different metrics rank together).
    """
    thresholds = thresholds or DEFAULT_THRESHOLDS
    moves = moves[moves["metric"].isin(thresholds)].copy()
    moves["size"] = moves["change"].abs() / moves["metric"].map(thresholds)
    hit = moves[moves["size"] >= 1.0].sort_values("size", ascending=False)
    return hit.reset_index(drop=True)
