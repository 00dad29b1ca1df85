"""``/v1/reps/{rep}/voiceprint`` and ``/v1/voiceprints``: the reps' voices, per tenant.

A voiceprint is an embedding of the rep's voice, never audio. It is learned from the
rep's channel of channel-mapped calls that name the rep, or enrolled from a clip (with
the rep's consent; the clip is not kept). Mono calls that name the rep then get their
roles from it (``docs/service.md``, "Voiceprints").
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, File, Form, Path, UploadFile
from fastapi.responses import Response

from listenlens.service.api.deps import Caller, current_caller, get_runtime
from listenlens.service.api.schemas import AUTHED, ERR_413, ErrorResponse, Responses, VoiceprintOut
from listenlens.service.domain import voiceprints
from listenlens.service.domain.fields import MAX_FILENAME, MAX_NAME, NO_CONTROL_PATTERN
from listenlens.service.runtime import Runtime

router = APIRouter(tags=["voiceprints"])

Rep = Path(description="the rep's id, as uploads name it (rep=...)", examples=["sam"], max_length=MAX_NAME,
           pattern=NO_CONTROL_PATTERN)
_NOT_FOUND: Responses = {404: {"model": ErrorResponse, "description": "no voiceprint for this rep in this tenant"}}


@router.get("/v1/voiceprints", response_model=list[VoiceprintOut], summary="Every rep's voiceprint", responses=AUTHED)
def list_voiceprints(caller: Caller = Depends(current_caller), rt: Runtime = Depends(get_runtime)):
    with rt.db.session() as s:
        return voiceprints.list_voiceprints(s, caller.tenant_id, voiceprints.running_model(rt))


@router.get("/v1/reps/{rep:path}/voiceprint", response_model=VoiceprintOut, summary="The rep's voiceprint",
            responses={**_NOT_FOUND, **AUTHED})
def get_voiceprint(rep: str = Rep, caller: Caller = Depends(current_caller), rt: Runtime = Depends(get_runtime)):
    with rt.db.session() as s:
        return voiceprints.get(s, caller.tenant_id, rep, voiceprints.running_model(rt))


@router.put(
    "/v1/reps/{rep:path}/voiceprint",
    response_model=VoiceprintOut,
    summary="Enroll the rep's voice from a clip (replaces the voiceprint); needs consent=true",
    responses={400: {"model": ErrorResponse, "description": "consent is not given"},
               **ERR_413,
               **AUTHED,
               422: {"model": ErrorResponse, "description": "not a usable recording, or too little speech in it"}},
)
def put_voiceprint(
    rep: str = Rep,
    file: UploadFile = File(..., description="10 to 30 s of the rep speaking alone (any format FFmpeg reads); "
                                             f"its name at most {MAX_FILENAME} characters; not kept",
                            json_schema_extra={"format": "binary"}),
    consent: bool = Form(..., description="the rep agreed to a voiceprint of their voice being kept"),
    caller: Caller = Depends(current_caller),
    rt: Runtime = Depends(get_runtime),
):
    return voiceprints.enroll(rt, caller.tenant_id, rep, file.file, file.filename, consent=consent)


@router.delete("/v1/reps/{rep:path}/voiceprint", status_code=204, summary="Delete the rep's voiceprint",
               responses={**_NOT_FOUND, **AUTHED})
def delete_voiceprint(rep: str = Rep, caller: Caller = Depends(current_caller), rt: Runtime = Depends(get_runtime)):
    with rt.db.session() as s:
        voiceprints.remove(s, caller.tenant_id, rep)
    return Response(status_code=204)
