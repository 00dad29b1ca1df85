"""``GET /v1/exports/weeks/{week}``: a week's results as CSV or Parquet, for the caller's tenant."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import Response

from listenlens.service.api import responses
from listenlens.service.api.deps import Caller, current_caller, get_runtime
from listenlens.service.api.schemas import AUTHED, ErrorResponse
from listenlens.service.domain.exports import MEDIA_TYPES

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
        **AUTHED,
    },
)
def export_week(
    week: str = Path(description="an ISO week", examples=["2026-W47"], max_length=16,
                     json_schema_extra={"pattern": r"^\d{4}-?W\d{1,2}$"}),
    format: str = Query("csv", description="csv or parquet", max_length=16),
    caller: Caller = Depends(current_caller),
    rt=Depends(get_runtime),
):
    return responses.week_export(rt, caller.tenant_id, week, format)
