"""``/v1/calls``: upload, status and scorecard, transcript, list, delete."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, File, Form, Path, Query, Request, UploadFile
from fastapi.responses import JSONResponse, PlainTextResponse, Response

from listenlens.pipeline.diarize.settings import DiarizerName
from listenlens.service.api import responses
from listenlens.service.api.deps import Caller, current_caller, get_runtime, parse_time
from listenlens.service.api.schemas import (
    AUTHED,
    CALL_EXAMPLE,
    CALL_ID_PATTERN,
    ERR_400,
    ERR_404,
    ERR_413,
    CallList,
    CallOut,
    ErrorResponse,
    Responses,
)
from listenlens.service.domain import calls
from listenlens.service.domain.fields import MAX_FILENAME, MAX_NAME, MAX_OPTION, NO_CONTROL_PATTERN
from listenlens.service.domain.submit import submit_call
from listenlens.service.runtime import Runtime

router = APIRouter(prefix="/v1/calls", tags=["calls"])

MAX_OFFSET = 1_000_000_000

_ERRORS: Responses = {**AUTHED, **ERR_404}
# Documented, not enforced: any other id answers 404 exactly like a missing call.
CallId = Path(description="the call's id, as the upload returned it", examples=["call_5f0c2a9e8b7d4c1fa3e6b2d9"],
              json_schema_extra={"pattern": CALL_ID_PATTERN})


def _name(description: str, example: str, max_length: int = MAX_NAME):
    return Form(None, description=description, examples=[example], max_length=max_length, pattern=NO_CONTROL_PATTERN)


def _filter(description: str, example: str | None = None):
    return Query(None, description=description, examples=[example] if example else None, max_length=MAX_NAME,
                 pattern=NO_CONTROL_PATTERN)


@router.post(
    "",
    status_code=202,
    response_model=CallOut,
    summary="Upload a recording for analysis",
    responses={
        200: {"model": CallOut, "description": "a call with this external_id already exists: it is returned, not re-processed"},
        202: {"description": "accepted: the call is queued; poll GET /v1/calls/{id} or wait for the webhook",
              "content": {"application/json": {"example": {**CALL_EXAMPLE, "status": "queued", "score": None,
                                                           "scorecard": None, "finished_at": None,
                                                           "progress": {"stage": None, "fraction": None}}}}},
        400: {"model": ErrorResponse, "description": "a bad option (channel map, diarizer, call_time)"},
        **ERR_413,
        **AUTHED,
        422: {"model": ErrorResponse, "description": "not a usable recording (unsupported, corrupt, silent, too long), "
                                                     "or a field too long or holding control characters"},
    },
)
def create_call(
    request: Request,
    file: UploadFile = File(..., description="the recording: WAV, MP3, M4A, OGG, FLAC, WebM, ... (anything FFmpeg reads); "
                                             f"its name at most {MAX_FILENAME} characters",
                          json_schema_extra={"format": "binary"}),
    rep: str | None = _name("the rep's id in your system", "rep-17"),
    team: str | None = _name("the rep's team", "emea-smb"),
    call_time: str | None = Form(None, description="when the call happened, ISO 8601 (default: now)",
                                 examples=["2026-11-18T14:05:00Z"], max_length=64,
                                 json_schema_extra={"format": "date-time"}),
    external_id: str | None = _name("your id for the call; re-sending it returns the existing call", "zoom-88213"),
    channels: str | None = _name("channel map for a one-party-per-channel recording", "rep,customer", MAX_OPTION),
    rep_hint: str | None = _name("the diarization label of the rep, when known", "SPEAKER_01", MAX_OPTION),
    diarizer: DiarizerName | None = Form(None, description="diarizer to use"),
    num_speakers: int | None = Form(None, ge=1, le=20, description="number of speakers, when known"),
    caller: Caller = Depends(current_caller),
    rt: Runtime = Depends(get_runtime),
):
    when = parse_time(call_time, "call_time") if call_time else None
    done = submit_call(rt, caller.tenant_id, file.file, file.filename, rep=rep, team=team, call_time=when,
                       external_id=external_id, channels=channels, rep_hint=rep_hint, diarizer=diarizer,
                       num_speakers=num_speakers)
    return responses.submitted(done)


@router.get("", response_model=CallList, summary="List calls", responses={**AUTHED, **ERR_400})
def list_calls(
    rep: str | None = _filter("only this rep's calls", "rep-17"),
    team: str | None = _filter("only this team's calls", "emea-smb"),
    status: Literal["queued", "processing", "done", "failed"] | None = Query(None),
    external_id: str | None = _filter("only the call with this external_id"),
    since: str | None = Query(None, alias="from", description="call_time at or after (ISO 8601 date or time)",
                              examples=["2026-11-01"], max_length=64),
    until: str | None = Query(None, alias="to", description="call_time before (ISO 8601 date or time)",
                              examples=["2026-12-01"], max_length=64),
    limit: int = Query(20, ge=1, le=100),
    offset: int = Query(0, ge=0, le=MAX_OFFSET),
    caller: Caller = Depends(current_caller),
    rt: Runtime = Depends(get_runtime),
):
    since_t = parse_time(since, "from") if since else None
    until_t = parse_time(until, "to") if until else None
    with rt.db.session() as s:
        return calls.list_calls(s, caller.tenant_id, rep=rep, team=team, status=status, external_id=external_id,
                                since=since_t, until=until_t, limit=limit, offset=offset)


@router.get("/{call_id}", response_model=CallOut, summary="Status, and the scorecard when done", responses=_ERRORS)
def get_call(call_id: str = CallId, caller: Caller = Depends(current_caller), rt: Runtime = Depends(get_runtime)):
    with rt.db.session() as s:
        return JSONResponse(calls.get_call(s, caller.tenant_id, call_id))


@router.get(
    "/{call_id}/transcript",
    summary="Speaker-attributed transcript (JSON, WebVTT or RTTM)",
    responses={
        200: {"description": "the timeline JSON (speakers, speech turns, words) with text segments; or WebVTT / RTTM",
              "content": {"application/json": {}, "text/vtt": {}, "text/plain": {}}},
        409: {"model": ErrorResponse, "description": "the call is not done yet"},
        410: {"model": ErrorResponse, "description": "the transcript was deleted"},
        **_ERRORS,
    },
)
def get_transcript(
    request: Request,
    call_id: str = CallId,
    format: Literal["json", "vtt", "rttm"] | None = Query(None, description="default: from the Accept header, else json"),
    caller: Caller = Depends(current_caller),
    rt: Runtime = Depends(get_runtime),
):
    from listenlens.pipeline.timeline import CallTimeline

    with rt.db.session() as s:
        data = calls.transcript(s, caller.tenant_id, call_id)
    fmt = format or ("vtt" if "text/vtt" in request.headers.get("accept", "") else "json")
    timeline = CallTimeline.from_dict(data)
    if fmt == "vtt":
        from listenlens.pipeline.export import to_vtt

        return PlainTextResponse(to_vtt(timeline), media_type="text/vtt; charset=utf-8")
    if fmt == "rttm":
        from listenlens.pipeline.export import to_rttm

        return PlainTextResponse(to_rttm(timeline, uri=call_id), media_type="text/plain; charset=utf-8")
    return JSONResponse({**data, "call_id": call_id, "segments": calls.transcript_segments(timeline)})


@router.get(
    "/{call_id}/recording",
    summary="The uploaded recording (for playback)",
    response_class=Response,
    responses={200: {"description": "the whole recording, as a download of its audio type",
                     "content": {"audio/*": {"schema": {"type": "string", "format": "binary"}},
                                 "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}},
               206: {"description": "the byte range the Range header asked for",
                     "content": {"audio/*": {"schema": {"type": "string", "format": "binary"}}}},
               410: {"model": ErrorResponse, "description": "deleted by retention"},
               416: {"description": "the Range is past the end of the recording"},
               **_ERRORS},
)
def get_recording(request: Request, call_id: str = CallId, caller: Caller = Depends(current_caller),
                  rt: Runtime = Depends(get_runtime)):
    return responses.recording(calls.open_recording(rt, caller.tenant_id, call_id), request.headers.get("range"))


@router.delete("/{call_id}", status_code=204, summary="Delete the call: recording, transcript and results",
               responses=_ERRORS)
def delete_call(call_id: str = CallId, caller: Caller = Depends(current_caller), rt: Runtime = Depends(get_runtime)):
    calls.delete_call(rt, caller.tenant_id, call_id)
    return Response(status_code=204)
