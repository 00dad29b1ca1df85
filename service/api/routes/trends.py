"""``/v1/reps/{rep}/trends`` and ``/v1/teams/{team}/trends``: each metric per ISO week."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse, PlainTextResponse

from listenlens.service.api.deps import Caller, current_caller, get_runtime, parse_time
from listenlens.service.api.schemas import AUTHED, ERR_400, Responses, TrendsOut
from listenlens.service.domain.fields import MAX_NAME
from listenlens.service.runtime import Runtime

router = APIRouter(prefix="/v1", tags=["trends"])

_RESPONSES: Responses = {
    200: {"content": {"application/json": {}, "text/csv": {"example": (
        "week,metric,calls,count,mean,median\n2026-W47,score,4,4,68.2,70.0\n2026-W47,talk_ratio,4,4,0.61,0.6\n")}}},
    **AUTHED,
    **ERR_400,
}
# A name may hold "/" (written %2F in the URL): the path converter takes it whole.
_RANGE_MAX = 64


def _trends(request: Request, rt: Runtime, caller: Caller, *, rep: str | None, team: str | None,
            since: str | None, until: str | None, fmt: str | None, metrics: str | None):
    from listenlens.service.domain.trends import load_metric_rows, trends_json, weekly_trends

    with rt.db.session() as s:
        rows = load_metric_rows(
            s, caller.tenant_id, rep=rep, team=team,
            since=parse_time(since, "from") if since else None,
            until=parse_time(until, "to") if until else None,
            scored_only=True,  # the weekly numbers agree with each call's scorecard
        )
    wanted = [m.strip() for m in metrics.split(",") if m.strip()] if metrics else None
    if wanted:
        wanted = [m for m in wanted if m in rows.columns]
    weekly = weekly_trends(rows, wanted or None)
    fmt = fmt or ("csv" if "text/csv" in request.headers.get("accept", "") else "json")
    if fmt == "csv":
        return PlainTextResponse(weekly.to_csv(index=False), media_type="text/csv; charset=utf-8")
    return JSONResponse({"rep": rep, "team": team, "from": since, "to": until, **trends_json(weekly)})


@router.get("/reps/{rep:path}/trends", response_model=TrendsOut, summary="A rep's metrics per ISO week",
            responses=_RESPONSES)
def rep_trends(
    request: Request,
    rep: str = Path(description="the rep's id as uploaded (percent-encode a '/' as %2F)", max_length=MAX_NAME),
    since: str | None = Query(None, alias="from", description="call_time at or after", examples=["2026-10-01"], max_length=_RANGE_MAX),
    until: str | None = Query(None, alias="to", description="call_time before", examples=["2026-12-01"], max_length=_RANGE_MAX),
    format: Literal["json", "csv"] | None = Query(None, description="default: from the Accept header, else json"),
    metrics: str | None = Query(None, description="comma-separated metric names (default: all)",
                                examples=["score,talk_ratio"], max_length=2000),
    caller: Caller = Depends(current_caller),
    rt: Runtime = Depends(get_runtime),
):
    return _trends(request, rt, caller, rep=rep, team=None, since=since, until=until, fmt=format, metrics=metrics)


@router.get("/teams/{team:path}/trends", response_model=TrendsOut, summary="A team's metrics per ISO week",
            responses=_RESPONSES)
def team_trends(
    request: Request,
    team: str = Path(description="the team's id as uploaded (percent-encode a '/' as %2F)", max_length=MAX_NAME),
    since: str | None = Query(None, alias="from", description="call_time at or after", examples=["2026-10-01"], max_length=_RANGE_MAX),
    until: str | None = Query(None, alias="to", description="call_time before", examples=["2026-12-01"], max_length=_RANGE_MAX),
    format: Literal["json", "csv"] | None = Query(None, description="default: from the Accept header, else json"),
    metrics: str | None = Query(None, description="comma-separated metric names (default: all)",
                                examples=["score,talk_ratio"], max_length=2000),
    caller: Caller = Depends(current_caller),
    rt: Runtime = Depends(get_runtime),
):
    return _trends(request, rt, caller, rep=None, team=team, since=since, until=until, fmt=format, metrics=metrics)
