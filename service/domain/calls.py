"""Calls: fetching, listing and deleting a tenant's calls, their public JSON form, and the
state changes every entry point shares.

Every read goes through ``own_call``: a call of another tenant answers exactly like a
missing one, and so does, for a rep user (``only_rep``, from ``accounts.Viewer``), a call
of another rep. Submitting a call is ``listenlens.service.domain.submit``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO, cast

from sqlalchemy import CursorResult, Row, delete, func, select, update
from sqlalchemy.orm import Session

from listenlens.pipeline.lines import speaker_lines
from listenlens.pipeline.metrics.config import MetricsConfig
from listenlens.pipeline.scorecard.models import Scorecard
from listenlens.service.db.models import Call, CallResult, DeliveryAttempt, Job, WebhookDelivery, iso, utcnow
from listenlens.service.domain import webhooks
from listenlens.service.domain.errors import Gone, NotFound, NotReady
from listenlens.service.domain.fields import plausible_id
from listenlens.service.domain.scorecards import as_scorecard


def call_view(call: Call, result: CallResult | None = None) -> dict[str, Any]:
    """The call as ``GET /v1/calls/{id}`` shows it; ``scorecard`` is None unless ``result`` is given."""
    view: dict[str, Any] = {
        "id": call.id,
        "external_id": call.external_id,
        "status": call.status,
        "rep": call.rep,
        "team": call.team,
        "call_time": iso(call.call_time),
        "created_at": iso(call.created_at),
        "started_at": iso(call.started_at),
        "finished_at": iso(call.finished_at),
        "progress": {"stage": call.progress_stage, "fraction": call.progress}
        if call.status in ("queued", "processing") else None,
        "error": {"code": call.error_code, "message": call.error_message} if call.status == "failed" else None,
        "score": call.score,
        "options": call.options or {},
        "recording": {
            "filename": call.filename,
            "size_bytes": call.size_bytes,
            "duration_s": call.duration_s,
            "channels": call.channels,
            "available": call.recording_key is not None,
            "deleted_at": iso(call.recording_deleted_at),
        },
    }
    view["scorecard"] = result.scorecard if result is not None else None
    return view


def own_call(session: Session, tenant_id: str, call_id: str, *, only_rep: str | None = None) -> Call:
    """The tenant's call ``call_id``; ``NotFound`` when it is missing, another tenant's, or
    (with ``only_rep``) another rep's."""
    call = session.get(Call, call_id) if plausible_id(call_id) else None
    if call is None or call.tenant_id != tenant_id or (only_rep is not None and call.rep != only_rep):
        raise NotFound("call")
    return call


def get_call(session: Session, tenant_id: str, call_id: str) -> dict[str, Any]:
    """The call as ``GET /v1/calls/{id}`` shows it, with the scorecard once it is done."""
    call = own_call(session, tenant_id, call_id)
    result = session.get(CallResult, call_id) if call.status == "done" else None
    return call_view(call, result)


def find_external(session: Session, tenant_id: str, external_id: str) -> dict[str, Any] | None:
    """The tenant's call with this ``external_id`` (with its scorecard when done), else None."""
    call = session.scalar(select(Call).where(Call.tenant_id == tenant_id, Call.external_id == external_id))
    if call is None:
        return None
    result = session.get(CallResult, call.id) if call.status == "done" else None
    return call_view(call, result)


def list_calls(session: Session, tenant_id: str, *, rep: str | None = None, team: str | None = None,
               status: str | None = None, external_id: str | None = None, since: datetime | None = None,
               until: datetime | None = None, limit: int = 20, offset: int = 0) -> dict[str, Any]:
    """A page of the tenant's calls, newest ``call_time`` first (``since`` inclusive, ``until`` exclusive)."""
    conds = [Call.tenant_id == tenant_id]
    if rep is not None:
        conds.append(Call.rep == rep)
    if team is not None:
        conds.append(Call.team == team)
    if status is not None:
        conds.append(Call.status == status)
    if external_id is not None:
        conds.append(Call.external_id == external_id)
    if since is not None:
        conds.append(Call.call_time >= since)
    if until is not None:
        conds.append(Call.call_time < until)
    total = session.scalar(select(func.count()).select_from(Call).where(*conds)) or 0
    rows = session.scalars(
        select(Call).where(*conds).order_by(Call.call_time.desc(), Call.id.desc()).limit(limit).offset(offset)
    ).all()
    items = [call_view(c) for c in rows]
    nxt = offset + len(items) if offset + len(items) < total else None
    return {"items": items, "total": total, "limit": limit, "offset": offset, "next_offset": nxt}


@dataclass(frozen=True)
class CallDetail:
    """A call with what the pipeline produced (both None until it is done)."""

    view: dict[str, Any]
    scorecard: Scorecard | None  # the stored JSON, validated
    timeline: dict[str, Any] | None


def call_detail(session: Session, tenant_id: str, call_id: str, *, only_rep: str | None = None) -> CallDetail:
    call = own_call(session, tenant_id, call_id, only_rep=only_rep)
    result = session.get(CallResult, call.id) if call.status == "done" else None
    scorecard = as_scorecard(result.scorecard, call.id) if result else None
    return CallDetail(call_view(call), scorecard, result.timeline if result else None)


def call_progress(session: Session, tenant_id: str, call_id: str, *, only_rep: str | None = None) -> dict[str, Any]:
    """Status, stage and score: what a page polls while the call is queued or processing."""
    call = own_call(session, tenant_id, call_id, only_rep=only_rep)
    return {
        "id": call.id, "status": call.status, "stage": call.progress_stage, "fraction": call.progress,
        "error": {"code": call.error_code, "message": call.error_message} if call.status == "failed" else None,
        "score": call.score,
        "queue_position": queue_position(session, call),
    }


def _scope(tenant_id: str, only_rep: str | None) -> list:
    return [Call.tenant_id == tenant_id] + ([Call.rep == only_rep] if only_rep is not None else [])


def queue_position(session: Session, call: Call) -> int | None:
    """1 for the next call a worker takes, 2 for the one after, ...; None unless the call is queued.

    Counts the analyses due before this one across the whole queue (only a number, so no
    other tenant's call is revealed).
    """
    if call.status != "queued":
        return None
    mine = session.scalar(select(Job).where(Job.call_id == call.id, Job.kind == "analyze", Job.status == "queued")
                          .order_by(Job.id.desc()).limit(1))
    if mine is None:
        return None
    ahead = session.scalar(select(func.count()).select_from(Job).where(
        Job.kind == "analyze", Job.status == "queued", Job.run_after <= mine.run_after, Job.id != mine.id,
        (Job.run_after < mine.run_after) | (Job.id < mine.id)))
    return int(ahead or 0) + 1


def recent_calls(session: Session, tenant_id: str, limit: int = 50, *, rep: str | None = None,
                 team: str | None = None, min_score: float | None = None, max_score: float | None = None,
                 since: datetime | None = None, until: datetime | None = None,
                 only_rep: str | None = None) -> list[Call]:
    """The tenant's newest calls, optionally of one rep or team, in a score range (a call
    without a score is left out then) and a time range (``since`` inclusive, ``until`` exclusive);
    with ``only_rep``, that rep's alone."""
    conds = _scope(tenant_id, only_rep)
    if rep is not None:
        conds.append(Call.rep == rep)
    if team is not None:
        conds.append(Call.team == team)
    if min_score is not None:
        conds.append(Call.score >= min_score)
    if max_score is not None:
        conds.append(Call.score < max_score)
    if since is not None:
        conds.append(Call.call_time >= since)
    if until is not None:
        conds.append(Call.call_time < until)
    return list(session.scalars(select(Call).where(*conds)
                                .order_by(Call.call_time.desc(), Call.id).limit(limit)).all())


def reps_and_teams(session: Session, tenant_id: str, *,
                   only_rep: str | None = None) -> tuple[list[tuple[str, int]], list[tuple[str, int]]]:
    """The tenant's reps and teams, each with its number of calls, in name order.

    With ``only_rep``: that rep alone and no teams (a team's page shows other reps' calls).
    """
    reps = session.execute(select(Call.rep, func.count()).where(*_scope(tenant_id, only_rep), Call.rep.is_not(None))
                           .group_by(Call.rep).order_by(Call.rep)).all()
    if only_rep is not None:
        return _named_counts(reps), []
    teams = session.execute(select(Call.team, func.count()).where(Call.tenant_id == tenant_id, Call.team.is_not(None))
                            .group_by(Call.team).order_by(Call.team)).all()
    return _named_counts(reps), _named_counts(teams)


def _named_counts(rows: Sequence[Row[str | None, int]]) -> list[tuple[str, int]]:
    """(name, count) rows of a query that already excludes null names."""
    return [(name, count) for name, count in rows if name is not None]


def transcript(session: Session, tenant_id: str, call_id: str) -> dict[str, Any]:
    """The stored timeline of a done call (speakers, speech turns, words)."""
    call = own_call(session, tenant_id, call_id)
    if call.status != "done":
        raise NotReady(f"the call is {call.status}; the transcript exists once it is done")
    result = session.get(CallResult, call_id)
    data = result.timeline if result is not None else None
    if not data:
        raise Gone("the transcript of this call was deleted")
    return data


def transcript_segments(timeline) -> list[dict[str, Any]]:
    """Words grouped into lines (``pipeline/lines.py``): what a transcript view shows."""
    roles = {s.label: s.role.value for s in timeline.speakers}
    words = ((w.speaker, w.start, w.end, w.text) for w in timeline.words)
    return [{"start": round(line.start, 3), "end": round(line.end, 3), "speaker": line.speaker,
             "role": roles.get(line.speaker, "unknown"), "text": line.text}
            for line in speaker_lines(words, MetricsConfig().pause_s)]


@dataclass(frozen=True)
class RecordingFile:
    """The uploaded recording: a local ``path``, or an open ``stream`` from a remote store."""

    filename: str
    media_type: str
    path: Path | None = None
    stream: BinaryIO | None = None


# What a recording is served as, by its name's extension. Only audio types: a file named
# x.html or x.svg is sent as bytes to save, never as something a browser would render.
_AUDIO_TYPES = {
    ".wav": "audio/wav", ".wave": "audio/wav", ".mp3": "audio/mpeg", ".m4a": "audio/mp4", ".mp4": "audio/mp4",
    ".aac": "audio/aac", ".ogg": "audio/ogg", ".oga": "audio/ogg", ".opus": "audio/ogg", ".flac": "audio/flac",
    ".webm": "audio/webm", ".weba": "audio/webm", ".aif": "audio/aiff", ".aiff": "audio/aiff", ".amr": "audio/amr",
    ".3gp": "audio/3gpp", ".wma": "audio/x-ms-wma", ".mka": "audio/x-matroska", ".caf": "audio/x-caf",
}


def audio_media_type(filename: str) -> str:
    return _AUDIO_TYPES.get(Path(filename).suffix.lower(), "application/octet-stream")


def open_recording(runtime, tenant_id: str, call_id: str, *, only_rep: str | None = None) -> RecordingFile:
    with runtime.db.session() as s:
        call = own_call(s, tenant_id, call_id, only_rep=only_rep)
        key, filename = call.recording_key, call.filename or "recording"
    if key is None:
        raise Gone("the recording was deleted (retention); the scorecard and transcript remain")
    filename = Path(key).name  # the stored name: the client's, made safe for a download header
    media = audio_media_type(filename)
    if runtime.storage.local:
        with runtime.storage.local_path(key) as path:
            if not path.exists():
                raise Gone("the recording is no longer in storage")
            return RecordingFile(filename, media, path=path)
    return RecordingFile(filename, media, stream=runtime.storage.open(key))


def delete_call(runtime, tenant_id: str, call_id: str) -> None:
    """Delete the call's rows, then its recording."""
    with runtime.db.session() as s:
        own_call(s, tenant_id, call_id)
        call = hold(s, call_id)  # a worker writing its result finishes first, then all of it goes
        if call is None:
            raise NotFound("call")
        key = purge(s, call)
    if key:
        runtime.storage.delete(key)


def event_payload(session: Session, call: Call) -> dict[str, Any]:
    result = session.get(CallResult, call.id) if call.status == "done" else None
    return {"event": f"call.{call.status}", "call": call_view(call, result)}


def mark_failed(session: Session, call: Call, code: str, message: str) -> None:
    """Fail the call with a reason and notify the tenant's webhook, in the caller's transaction."""
    call.status = "failed"
    call.error_code = code
    call.error_message = message
    call.finished_at = utcnow()
    call.progress_stage = None
    call.progress = None
    session.flush()
    webhooks.queue_event(session, call, event_payload(session, call))


def mark_done(session: Session, call: Call, analysis: dict[str, Any], scorecard: dict[str, Any]) -> None:
    session.merge(CallResult(
        call_id=call.id,
        schema=analysis.get("schema"),
        scorecard=scorecard,
        timeline=analysis.get("timeline"),
        info=analysis.get("call"),
    ))
    call.status = "done"
    call.score = _number(scorecard.get("score"))
    call.finished_at = utcnow()
    call.progress_stage = "done"
    call.progress = 1.0
    call.error_code = call.error_message = None
    session.flush()
    webhooks.queue_event(session, call, event_payload(session, call))


def hold(session: Session, call_id: str | None) -> Call | None:
    """The call, its row taken for the rest of the transaction; None when it is gone.

    A worker writes a result or a failure through this, and a rep's erasure takes its
    calls the same way (``reps.erase``), so the two never interleave: on PostgreSQL they
    wait for each other on the row, on SQLite on the write lock the UPDATE takes. A result
    for a call deleted meanwhile is dropped, never written back.
    """
    if call_id is None:
        return None
    taken = cast(CursorResult[Any], session.execute(
        update(Call).where(Call.id == call_id).values(status=Call.status)
        .execution_options(synchronize_session=False)))
    if not taken.rowcount:
        return None
    return session.get(Call, call_id, populate_existing=True)


def purge(session: Session, call: Call) -> str | None:
    """Delete every row of the call; return the recording key for the caller to remove."""
    key = call.recording_key
    delivery_ids = select(WebhookDelivery.id).where(WebhookDelivery.call_id == call.id)
    session.execute(delete(DeliveryAttempt).where(DeliveryAttempt.delivery_id.in_(delivery_ids)))
    session.execute(delete(WebhookDelivery).where(WebhookDelivery.call_id == call.id))
    session.execute(delete(Job).where(Job.call_id == call.id))
    session.execute(delete(CallResult).where(CallResult.call_id == call.id))
    session.delete(call)
    session.flush()
    return key


def jsonable(value: Any) -> Any:
    """Plain JSON types (numpy scalars, tuples, NaN -> None) so any database stores it."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if hasattr(value, "item"):  # numpy scalar
        return jsonable(value.item())
    if hasattr(value, "value"):  # Enum
        return jsonable(value.value)
    if isinstance(value, datetime):
        return iso(value)
    return str(value)


def _number(value: Any) -> float | None:
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return out if math.isfinite(out) else None
