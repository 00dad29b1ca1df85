"""Calls: their public JSON form, and the state changes every entry point shares."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from listenlens.service.domain import webhooks
from listenlens.service.db.models import Call, CallResult, DeliveryAttempt, Job, WebhookDelivery, utcnow


def iso(dt: datetime | None) -> str | None:
    return None if dt is None else dt.isoformat() + "Z"


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
