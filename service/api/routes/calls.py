"""``/v1/calls``: upload, status and scorecard, transcript, list, delete."""

from __future__ import annotations

import re
import secrets
import shutil
import uuid
from pathlib import Path
from typing import Literal

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import FileResponse, JSONResponse, PlainTextResponse, Response, StreamingResponse
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from listenlens.config import DiarizerName
from listenlens.errors import ListenlensError
from listenlens.service.domain import calls as call_ops
from listenlens.service.api.deps import ApiError, Caller, current_caller, get_runtime, not_found, parse_time
from listenlens.service.db.models import Call, CallResult, utcnow
from listenlens.service.jobs.queue import ANALYZE, enqueue
from listenlens.service.runtime import Runtime
from listenlens.service.api.schemas import CALL_EXAMPLE, CallList, CallOut, ErrorResponse

router = APIRouter(prefix="/v1/calls", tags=["calls"])

_ERRORS = {
    401: {"model": ErrorResponse, "description": "missing, unknown or revoked API key"},
    404: {"model": ErrorResponse, "description": "no such call for this tenant"},
}


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
        413: {"model": ErrorResponse, "description": "the upload is over the size limit"},
        422: {"model": ErrorResponse, "description": "not a usable recording (unsupported, corrupt, silent, too long)"},
        **_ERRORS,
    },
)
def create_call(
    request: Request,
    file: UploadFile = File(..., description="the recording: WAV, MP3, M4A, OGG, FLAC, WebM, ... (anything FFmpeg reads)"),
    rep: str | None = Form(None, description="the rep's id in your system", examples=["rep-17"]),
    team: str | None = Form(None, description="the rep's team", examples=["emea-smb"]),
    call_time: str | None = Form(None, description="when the call happened, ISO 8601 (default: now)",
                                 examples=["2026-11-18T14:05:00Z"]),
    external_id: str | None = Form(None, description="your id for the call; re-sending it returns the existing call",
                                   examples=["zoom-88213"]),
    channels: str | None = Form(None, description="channel map for a one-party-per-channel recording",
                                examples=["rep,customer"]),
    rep_hint: str | None = Form(None, description="the diarization label of the rep, when known", examples=["SPEAKER_01"]),
    diarizer: DiarizerName | None = Form(None, description="diarizer to use"),
    num_speakers: int | None = Form(None, ge=1, le=20, description="number of speakers, when known"),
    caller: Caller = Depends(current_caller),
    rt: Runtime = Depends(get_runtime),
):
    when = parse_time(call_time, "call_time") if call_time else None
    if channels:
        from listenlens.pipeline.roles import parse_channel_map

        parse_channel_map(channels)
    external_id = (external_id or "").strip() or None
    if external_id:
        existing = _find_external(rt, caller, external_id)
        if existing is not None:
            return JSONResponse(existing, status_code=200)

    suffix = _safe_suffix(file.filename)
    # The temp file keeps the client's file name so error messages name the file they sent.
    tmp_dir = rt.tmp_dir / f"upload-{uuid.uuid4().hex}"
    tmp_dir.mkdir()
    tmp = tmp_dir / _safe_name(file.filename, suffix)
    try:
        size = _save_upload(file, tmp, rt.settings.max_upload_bytes, rt.settings.max_upload_mb)
        info = _probe(tmp, rt.pipeline_settings.max_duration_s)
        n_channels = int(info.get("channels") or 1)
        if channels and n_channels < 2:
            raise ApiError(400, "bad_config",
                           f"channels={channels!r} needs a recording with one party per channel, but this one has "
                           f"{n_channels} channel: leave channels out (or give rep_hint)")
        call_id = "call_" + secrets.token_hex(12)
        # The stored name is the client's (made safe): the pipeline names the call after it.
        key = f"{caller.tenant_id}/{call_id}/{tmp.name}"
        rt.storage.put(tmp, key)
    finally:
        shutil.rmtree(tmp_dir, ignore_errors=True)

    options = {k: v for k, v in {"channels": channels, "rep_hint": rep_hint, "diarizer": diarizer,
                                 "num_speakers": num_speakers}.items() if v is not None}
    try:
        with rt.db.session() as s:
            call = Call(
                id=call_id, tenant_id=caller.tenant_id, external_id=external_id, rep=rep, team=team, call_time=when or utcnow(),
                options=options, filename=(file.filename or "")[:300] or None, size_bytes=size,
                duration_s=info.get("duration"), channels=n_channels, recording_key=key, status="queued",
            )
            s.add(call)
            s.flush()
            job = enqueue(s, ANALYZE, caller.tenant_id, call_id=call_id)
            job_id = job.id
            view = call_ops.call_view(call)
    except IntegrityError:
        # The same external_id arrived twice at once: the other request won.
        rt.storage.delete(key)
        existing = _find_external(rt, caller, external_id) if external_id else None
        if existing is None:
            raise
        return JSONResponse(existing, status_code=200)
    except BaseException:
        rt.storage.delete(key)  # no row points at it: do not keep an orphan recording
        raise
    rt.dispatch([job_id])
    return JSONResponse(view, status_code=202, headers={"Location": f"/v1/calls/{call_id}"})


@router.get("", response_model=CallList, summary="List calls", responses=_ERRORS)
def list_calls(
    rep: str | None = Query(None, description="only this rep's calls"),
    team: str | None = Query(None, description="only this team's calls"),
    status: Literal["queued", "processing", "done", "failed"] | None = Query(None),
    external_id: str | None = Query(None),
    since: str | None = Query(None, alias="from", description="call_time at or after (ISO 8601 date or time)",
                              examples=["2026-11-01"]),
    until: str | None = Query(None, alias="to", description="call_time before (ISO 8601 date or time)",
                              examples=["2026-12-01"]),
    limit: int = Query(20, ge=1, le=100),
    offset: int = Query(0, ge=0),
    caller: Caller = Depends(current_caller),
    rt: Runtime = Depends(get_runtime),
):
    conds = [Call.tenant_id == caller.tenant_id]
    if rep is not None:
        conds.append(Call.rep == rep)
    if team is not None:
        conds.append(Call.team == team)
    if status is not None:
        conds.append(Call.status == status)
    if external_id is not None:
        conds.append(Call.external_id == external_id)
    if since:
        conds.append(Call.call_time >= parse_time(since, "from"))
    if until:
        conds.append(Call.call_time < parse_time(until, "to"))
    with rt.db.session() as s:
        total = s.scalar(select(func.count()).select_from(Call).where(*conds))
        rows = s.scalars(
            select(Call).where(*conds).order_by(Call.call_time.desc(), Call.id.desc()).limit(limit).offset(offset)
        ).all()
        items = [call_ops.call_view(c) for c in rows]
    nxt = offset + len(items) if offset + len(items) < total else None
    return {"items": items, "total": total, "limit": limit, "offset": offset, "next_offset": nxt}


@router.get("/{call_id}", response_model=CallOut, summary="Status, and the scorecard when done", responses=_ERRORS)
def get_call(call_id: str, caller: Caller = Depends(current_caller), rt: Runtime = Depends(get_runtime)):
    with rt.db.session() as s:
        call = _own_call(s, caller, call_id)
        result = s.get(CallResult, call_id) if call.status == "done" else None
        return JSONResponse(call_ops.call_view(call, result))


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
    call_id: str,
    format: Literal["json", "vtt", "rttm"] | None = Query(None, description="default: from the Accept header, else json"),
    caller: Caller = Depends(current_caller),
    rt: Runtime = Depends(get_runtime),
):
    from listenlens.pipeline.timeline import CallTimeline

    with rt.db.session() as s:
        call = _own_call(s, caller, call_id)
        if call.status != "done":
            raise ApiError(409, "not_ready", f"the call is {call.status}; the transcript exists once it is done")
        result = s.get(CallResult, call_id)
        data = result.timeline if result is not None else None
    if not data:
        raise ApiError(410, "gone", "the transcript of this call was deleted")
    fmt = format or ("vtt" if "text/vtt" in request.headers.get("accept", "") else "json")
    timeline = CallTimeline.from_dict(data)
    if fmt == "vtt":
        from listenlens.pipeline.export import to_vtt

        return PlainTextResponse(to_vtt(timeline), media_type="text/vtt; charset=utf-8")
    if fmt == "rttm":
        from listenlens.pipeline.export import to_rttm

        return PlainTextResponse(to_rttm(timeline, uri=call_id), media_type="text/plain; charset=utf-8")
    return JSONResponse({**data, "call_id": call_id, "segments": _segments(timeline)})


@router.get(
    "/{call_id}/recording",
    summary="The uploaded recording (for playback)",
    response_class=Response,
    responses={200: {"content": {"audio/*": {}}}, 410: {"model": ErrorResponse, "description": "deleted by retention"},
               **_ERRORS},
)
def get_recording(call_id: str, caller: Caller = Depends(current_caller), rt: Runtime = Depends(get_runtime)):
    import mimetypes

    with rt.db.session() as s:
        call = _own_call(s, caller, call_id)
        key, filename = call.recording_key, call.filename or "recording"
    if key is None:
        raise ApiError(410, "gone", "the recording was deleted (retention); the scorecard and transcript remain")
    media = mimetypes.guess_type(filename)[0] or "application/octet-stream"
    if rt.storage.local:
        with rt.storage.local_path(key) as path:
            if not path.exists():
                raise ApiError(410, "gone", "the recording is no longer in storage")
            return FileResponse(path, media_type=media, filename=filename)
    stream = rt.storage.open(key)
    return StreamingResponse(iter(lambda: stream.read(1 << 16), b""), media_type=media)


@router.delete("/{call_id}", status_code=204, summary="Delete the call: recording, transcript and results",
               responses=_ERRORS)
def delete_call(call_id: str, caller: Caller = Depends(current_caller), rt: Runtime = Depends(get_runtime)):
    with rt.db.session() as s:
        call = _own_call(s, caller, call_id)
        key = call_ops.purge(s, call)
    if key:
        rt.storage.delete(key)
    return Response(status_code=204)


# -- helpers -------------------------------------------------------------------

def _own_call(session, caller: Caller, call_id: str) -> Call:
    call = session.get(Call, call_id)
    # Another tenant's call answers exactly like a missing one: ids must not leak.
    if call is None or call.tenant_id != caller.tenant_id:
        raise not_found()
    return call


def _find_external(rt: Runtime, caller: Caller, external_id: str) -> dict | None:
    with rt.db.session() as s:
        call = s.scalar(select(Call).where(Call.tenant_id == caller.tenant_id, Call.external_id == external_id))
        if call is None:
            return None
        result = s.get(CallResult, call.id) if call.status == "done" else None
        return call_ops.call_view(call, result)


def _safe_suffix(filename: str | None) -> str:
    suffix = Path(filename or "").suffix.lower()
    return suffix if re.fullmatch(r"\.[a-z0-9]{1,8}", suffix) else ""


def _safe_name(filename: str | None, suffix: str) -> str:
    stem = re.sub(r"[^A-Za-z0-9._ -]+", "_", Path(filename or "").stem)[:80].strip(" .") or "recording"
    return stem + suffix


def _save_upload(file: UploadFile, dest: Path, limit: int, limit_mb: float) -> int:
    size = 0
    with open(dest, "wb") as out:
        while chunk := file.file.read(1 << 20):
            size += len(chunk)
            if size > limit:
                raise ApiError(413, "too_large", f"the upload is over the {limit_mb:g} MB limit: compress or split the recording")
            out.write(chunk)
    if size == 0:
        raise ApiError(422, "bad_audio", f"{file.filename or 'the upload'} is empty (0 bytes): send a recording")
    return size


def _probe(path: Path, max_duration_s: float) -> dict:
    from listenlens.pipeline.audio import probe_audio

    try:
        return probe_audio(path, max_duration_s=max_duration_s)
    except ListenlensError:
        raise
    except Exception as exc:  # a decoder crash on a hostile file is still the file's fault
        raise ApiError(422, "bad_audio", f"the upload could not be read as audio ({exc.__class__.__name__})")


def _segments(timeline) -> list[dict]:
    """Words grouped into consecutive same-speaker runs: what a transcript view shows."""
    roles = {s.label: s.role.value for s in timeline.speakers}
    out: list[dict] = []
    for w in timeline.words:
        if out and out[-1]["speaker"] == w.speaker and w.start - out[-1]["end"] < 2.0:
            seg = out[-1]
            seg["end"] = round(w.end, 3)
            seg["text"] = f"{seg['text']} {w.text.strip()}".strip()
        else:
            out.append({"start": round(w.start, 3), "end": round(w.end, 3), "speaker": w.speaker,
                        "role": roles.get(w.speaker, "unknown"), "text": w.text.strip()})
    return out
