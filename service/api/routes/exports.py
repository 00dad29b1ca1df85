"""``GET /v1/exports/weeks/{week}``: a week's results as CSV or Parquet, for the caller's tenant."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from listenlens.errors import ListenlensError
from listenlens.service.api.deps import ApiError, Caller, current_caller, get_runtime
from listenlens.service.domain.exports import MEDIA_TYPES, check_format, normalise_week, to_bytes, week_rows
from listenlens.service.api.schemas import ErrorResponse

router = APIRouter(prefix="/v1/exports", tags=["exports"])


@router.get(
    "/weeks/{week}",
    summary="A week's results, one row per done call (CSV or Parquet)",
    response_class=Response,
    responses={
        200: {"content": {"text/csv": {"example": "call_id,external_id,rep,team,call_time,iso_week,duration_s,score,"
                                                  "talk_ratio,...\ncall_5f0c...,zoom-88213,rep-17,emea-smb,"
                                                  "2026-11-18T14:05:00,2026-W47,612.4,71.0,0.58,...\n"},
                          MEDIA_TYPES["parquet"]: {}}},
        400: {"model": ErrorResponse, "description": "not an ISO week (write 2026-W47) or an unknown format"},
        401: {"model": ErrorResponse, "description": "missing, unknown or revoked API key"},
    },
)
def export_week(
    week: str,
    format: str = Query("csv", description="csv or parquet"),
    caller: Caller = Depends(current_caller),
    rt=Depends(get_runtime),
):
    return week_response(rt, caller.tenant_id, week, format)


def week_response(rt, tenant_id: str, week: str, fmt: str) -> Response:
    """The export as a download; shared by the API and the coaching pages."""
    try:
        fmt = check_format(fmt)
        week = normalise_week(week)
    except ListenlensError as exc:
        raise ApiError(400, "invalid_request", exc.message) from None
    with rt.db.session() as s:
        rows = week_rows(s, tenant_id, [week])
    return Response(to_bytes(rows, fmt), media_type=MEDIA_TYPES[fmt],
                    headers={"Content-Disposition": f'attachment; filename="listenlens-{week}.{fmt}"',
                             "X-Row-Count": str(len(rows))})
