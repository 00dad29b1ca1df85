"""Per-call metric rows and weekly trends, with pandas. Shared by the API, the UI and notebooks.

    rows = load_metric_rows(session, tenant_id, rep="rep-17")   # one row per done call
    weekly = weekly_trends(rows)                                # week x metric: count, mean, median
    trends_json(weekly) / weekly.to_csv(index=False)

``metric_row`` reads the per-call numbers of one ``Scorecard`` (``CORE_METRICS``); stored
scorecards (JSON) are validated into the model first, so the rows can also be built
without a database (``rows_from_scorecards``), e.g. in a notebook or a test.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

import pandas as pd

from listenlens.pipeline.scorecard.components import BY_NAME
from listenlens.pipeline.scorecard.models import Metrics, Scorecard
from listenlens.service.domain.scorecards import as_scorecard

# Per-call metric columns, in display order, and how each is read from a scorecard's
# metrics. A metric the call does not have (no question asked: no share) is NaN.
METRIC_COLUMNS: dict[str, Callable[[Metrics], Any]] = {
    "talk_ratio": lambda m: m.talk_ratio,
    "rep_talk_s": lambda m: m.talk_time_s.rep,
    "customer_talk_s": lambda m: m.talk_time_s.customer,
    "non_talk_s": lambda m: m.non_talk_s,
    "longest_monologue_s": lambda m: m.longest_monologue_s,
    "longest_customer_story_s": lambda m: m.longest_customer_story_s,
    "interruptions_rep": lambda m: m.interruption_counts.rep_on_customer,
    "interruptions_customer": lambda m: m.interruption_counts.customer_on_rep,
    "interruptions_rep_per_10min": lambda m: m.interruption_counts.rep_on_customer_per_10min,
    "questions": lambda m: m.four_second_rule.asked,
    "questions_per_10min": lambda m: m.question_rate.value,
    "four_second_rule_share": lambda m: m.four_second_rule.share_honoured,
    "wait_time_median_s": lambda m: m.four_second_rule.median_wait_s,
    "self_answered": lambda m: m.four_second_rule.self_answered,
    "patience_median_s": lambda m: m.patience.median_s,
    "paraphrases": lambda m: len(m.paraphrases),
    "customer_stories": lambda m: m.customer_stories.count,
    "customer_stories_played_back_share": lambda m: m.customer_stories.share_played_back,
    "interactivity": lambda m: m.interactivity.per_minute,
    "backchannels_rep": lambda m: m.backchannel_count.rep,
    "backchannels_customer": lambda m: m.backchannel_count.customer,
    # What was said; NaN on scorecards stored before it was measured.
    "customer_focus_share": lambda m: m.customer_focus.share if m.customer_focus else None,
    "self_promotion": lambda m: m.self_promotion.count if m.self_promotion else None,
    "self_promotion_per_10min": lambda m: m.self_promotion.rate if m.self_promotion else None,
    "open_question_share": lambda m: m.question_quality.open_share if m.question_quality else None,
    "question_yield_median_s": lambda m: m.question_quality.median_yield_s if m.question_quality else None,
    "objections": lambda m: len(m.objections) if m.content_measured else None,
    "objections_listening_share": lambda m: _share(m.objections, lambda o: o.response_kind == "listening"),
    "next_step_agreed": lambda m: float(m.next_step.found) if m.next_step else None,
    "follow_ups": lambda m: len(m.follow_ups) if m.content_measured else None,
    "rep_wpm": lambda m: m.pace.rep_wpm if m.pace else None,
    "customer_wpm": lambda m: m.pace.customer_wpm if m.pace else None,
    "fillers_per_minute": lambda m: m.fillers.per_minute if m.fillers else None,
    "dead_air_s": lambda m: sum(d.duration_s for d in m.dead_air) if m.content_measured else None,
    "customer_questions": lambda m: len(m.customer_questions) if m.content_measured else None,
    "tracker_hits": lambda m: len(m.trackers) if m.content_measured else None,
}
ID_COLUMNS = ["call_id", "external_id", "rep", "team", "call_time", "iso_week", "duration_s"]
CORE_METRICS = ["score", *METRIC_COLUMNS]


def _share(items: list, hit: Callable[[Any], bool]) -> float | None:
    return sum(1 for x in items if hit(x)) / len(items) if items else None


def iso_week(when: datetime) -> str:
    year, week, _ = when.isocalendar()
    return f"{year}-W{week:02d}"


def metric_row(scorecard: Scorecard, *, scored_only: bool = False) -> dict[str, float]:
    """The numeric per-call metrics of one scorecard (``CORE_METRICS``; NaN when absent).

    ``scored_only``: a component's column is NaN where the scorecard did not score it
    (an interruption rate on a call under two minutes of speech), so a trend never shows
    a number the call's own scorecard calls "not scored".
    """
    out = {"score": _as_float(scorecard.score)}
    for column, read in METRIC_COLUMNS.items():
        out[column] = _as_float(read(scorecard.metrics))
    if scored_only:
        for c in scorecard.components:
            spec = BY_NAME.get(c.name)
            if spec is not None and not c.applicable and spec.trend_column in out:
                out[spec.trend_column] = math.nan
    return out


def _as_float(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return math.nan
    return float(value) if math.isfinite(float(value)) else math.nan


def rows_from_scorecards(records: Iterable[dict[str, Any]], *, scored_only: bool = False) -> pd.DataFrame:
    """Rows from dicts with the ID columns (``call_time`` a datetime) and a ``scorecard``
    (a ``Scorecard``, or its JSON as stored); ``scored_only`` as in ``metric_row``."""
    rows = []
    for rec in records:
        row = {k: rec.get(k) for k in ID_COLUMNS if k != "iso_week"}
        when = rec.get("call_time")
        if isinstance(when, str):
            when = pd.Timestamp(when).to_pydatetime()
        row["call_time"] = when
        row["iso_week"] = iso_week(when) if when is not None else None
        row.update(metric_row(as_scorecard(rec["scorecard"], rec.get("call_id")), scored_only=scored_only))
        rows.append(row)
    return _frame(rows)


def load_metric_rows(
    session,
    tenant_id: str,
    *,
    rep: str | None = None,
    team: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    scored_only: bool = False,
) -> pd.DataFrame:
    """One row per done call of the tenant (optionally of one rep/team, in a time range).

    ``since`` is inclusive and ``until`` exclusive, both naive UTC. ``scored_only``: leave
    out the values the scorecard did not score (trends); exports keep every measured value.
    """
    from sqlalchemy import select

    from listenlens.service.db.models import Call, CallResult

    q = (
        select(Call, CallResult.scorecard)
        .join(CallResult, CallResult.call_id == Call.id)
        .where(Call.tenant_id == tenant_id, Call.status == "done")
        .order_by(Call.call_time, Call.id)
    )
    if rep is not None:
        q = q.where(Call.rep == rep)
    if team is not None:
        q = q.where(Call.team == team)
    if since is not None:
        q = q.where(Call.call_time >= since)
    if until is not None:
        q = q.where(Call.call_time < until)
    return rows_from_scorecards(
        ({"call_id": c.id, "external_id": c.external_id, "rep": c.rep, "team": c.team, "call_time": c.call_time,
          "duration_s": c.duration_s, "scorecard": sc}
         for c, sc in session.execute(q).all()),
        scored_only=scored_only,
    )


def metric_columns(rows: pd.DataFrame) -> list[str]:
    """The numeric metric columns of ``rows``, in display order."""
    return [c for c in CORE_METRICS if c in rows.columns]


def weekly_trends(rows: pd.DataFrame, metrics: list[str] | None = None) -> pd.DataFrame:
    """Each metric per ISO week: ``week, metric, calls, count, mean, median`` (long form).

    ``calls`` is the number of calls that week; ``count`` those with a value for the
    metric (a call without questions has no four-second-rule share).
    """
    columns = ["week", "metric", "calls", "count", "mean", "median"]
    if rows.empty:
        return pd.DataFrame(columns=columns)
    metrics = metrics or metric_columns(rows)
    calls = rows.groupby("iso_week").size().rename("calls")
    long = rows.melt(id_vars=["iso_week"], value_vars=metrics, var_name="metric").dropna(subset=["value"])
    long["value"] = long["value"].astype(float)
    stats = long.groupby(["iso_week", "metric"])["value"].agg(["count", "mean", "median"]).reset_index()
    full = pd.MultiIndex.from_product([sorted(calls.index), metrics], names=["iso_week", "metric"]).to_frame(index=False)
    out = full.merge(stats, on=["iso_week", "metric"], how="left").merge(calls.reset_index(), on="iso_week")
    out["count"] = out["count"].fillna(0).astype(int)
    out["metric"] = pd.Categorical(out["metric"], categories=metrics, ordered=True)
    out = out.sort_values(["iso_week", "metric"]).rename(columns={"iso_week": "week"})
    out["metric"] = out["metric"].astype(str)
    return out[columns].reset_index(drop=True)


def trends_json(weekly: pd.DataFrame) -> dict[str, Any]:
    """``{"metrics": [...], "weeks": [{"week", "calls", "metrics": {name: {count, mean, median}}}]}``."""
    weeks: list[dict[str, Any]] = []
    for week, group in weekly.groupby("week", sort=True):
        weeks.append({
            "week": week,
            "calls": int(group["calls"].iloc[0]),
            "metrics": {
                r["metric"]: {"count": int(r["count"]), "mean": _num(r["mean"]), "median": _num(r["median"])}
                for r in group.to_dict("records")
            },
        })
    return {"metrics": list(dict.fromkeys(weekly["metric"])), "weeks": weeks}


def _frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=ID_COLUMNS + CORE_METRICS)
    for col in CORE_METRICS + ["duration_s"]:
        df[col] = df[col].astype("float64")
    return df


def _num(x: Any) -> float | None:
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else round(float(x), 4)
