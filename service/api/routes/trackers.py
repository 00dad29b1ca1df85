"""``/v1/trackers``: a tenant's named phrase lists, found in every call it scores.

Each phrase heard in a call is a ``tracker`` moment on its scorecard, with the speaker
and the time (``docs/service.md``, "Trackers"). A change applies to calls scored after it.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Path
from fastapi.responses import JSONResponse, Response

from listenlens.service.api.deps import Caller, current_caller, get_runtime
from listenlens.service.api.schemas import AUTHED, ErrorResponse, Responses, TrackerIn, TrackerOut
from listenlens.service.domain import trackers
from listenlens.service.domain.fields import NO_CONTROL_PATTERN
from listenlens.service.runtime import Runtime

router = APIRouter(tags=["trackers"])

Name = Path(description="the tracker's name", examples=["competitors"], max_length=trackers.MAX_TRACKER_NAME,
            pattern=NO_CONTROL_PATTERN)
_NOT_FOUND: Responses = {404: {"model": ErrorResponse, "description": "no tracker of this name in this tenant"}}


@router.get("/v1/trackers", response_model=list[TrackerOut], summary="Every tracker of the tenant", responses=AUTHED)
def list_trackers(caller: Caller = Depends(current_caller), rt: Runtime = Depends(get_runtime)):
    with rt.db.session() as s:
        return trackers.list_trackers(s, caller.tenant_id)


@router.get("/v1/trackers/{tracker}", response_model=TrackerOut, summary="One tracker",
            responses={**_NOT_FOUND, **AUTHED})
def get_tracker(tracker: str = Name, caller: Caller = Depends(current_caller), rt: Runtime = Depends(get_runtime)):
    with rt.db.session() as s:
        return trackers.get(s, caller.tenant_id, tracker)


@router.put(
    "/v1/trackers/{tracker}",
    response_model=TrackerOut,
    summary="Create the tracker, or replace its phrases",
    responses={201: {"model": TrackerOut, "description": "created"},
               422: {"model": ErrorResponse, "description": "a phrase with no words, too many phrases or trackers"},
               **AUTHED},
)
def put_tracker(body: TrackerIn, tracker: str = Name, caller: Caller = Depends(current_caller),
                rt: Runtime = Depends(get_runtime)):
    with rt.db.session() as s:
        out, created = trackers.put(s, caller.tenant_id, tracker, body.phrases)
    return JSONResponse(TrackerOut(**out).model_dump(mode="json"), status_code=201 if created else 200)


@router.delete("/v1/trackers/{tracker}", status_code=204, summary="Delete the tracker",
               responses={**_NOT_FOUND, **AUTHED})
def delete_tracker(tracker: str = Name, caller: Caller = Depends(current_caller), rt: Runtime = Depends(get_runtime)):
    with rt.db.session() as s:
        trackers.remove(s, caller.tenant_id, tracker)
    return Response(status_code=204)
