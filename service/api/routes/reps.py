"""``DELETE /v1/reps/{rep}``: erase everything the tenant holds about a rep.

For a rep who left or asked for their data to be erased: their calls with recordings,
transcripts, scorecards, pending jobs and webhook deliveries, their voiceprint and their
rep accounts (``service/domain/reps.py``). Registered after the other ``/v1/reps/...``
routes, so ``/v1/reps/sam/voiceprint`` stays the voiceprint's.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Path

from listenlens.service.api.deps import Caller, current_caller, get_runtime
from listenlens.service.api.schemas import AUTHED, ErrorResponse, RepErasureOut, Responses
from listenlens.service.domain import reps
from listenlens.service.domain.fields import MAX_NAME, NO_CONTROL_PATTERN
from listenlens.service.runtime import Runtime

router = APIRouter(tags=["reps"])

Rep = Path(description="the rep's id, as uploads name it (rep=...)", examples=["sam"], max_length=MAX_NAME,
           pattern=NO_CONTROL_PATTERN)
_RESPONSES: Responses = {
    200: {"description": "erased: what was removed, counted"},
    404: {"model": ErrorResponse, "description": "no call, voiceprint or rep account of this tenant carries the name "
                                                 "(never did, or it was erased already)"},
    **AUTHED,
}


@router.delete("/v1/reps/{rep:path}", response_model=RepErasureOut, responses=_RESPONSES,
               summary="Erase the rep: every call, recording, scorecard, pending job, webhook delivery, the voiceprint "
                       "and rep accounts")
def erase_rep(rep: str = Rep, caller: Caller = Depends(current_caller), rt: Runtime = Depends(get_runtime)):
    return reps.erase(rt, caller.tenant_id, rep).as_dict()
