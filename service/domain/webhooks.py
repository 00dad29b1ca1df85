"""Webhooks: tell a tenant's server when a call is done or failed.

A tenant registers one URL (``register``); a call's change to done or failed queues
an event for it (``queue_event``), which ``listenlens.service.jobs.delivery`` sends.

Each delivery is a POST of a JSON body with these headers::

    X-Listenlens-Event: call.done | call.failed
    X-Listenlens-Delivery: <delivery id>   (the same on every retry: deduplicate on it)
    X-Listenlens-Timestamp: <unix seconds of this attempt>
    X-Listenlens-Signature: sha256=<hex HMAC-SHA256(secret, f"{timestamp}.{body}")>

``verify_signature`` is what a receiver runs (copy it; it needs only the standard
library). A non-2xx answer or a network error is retried with exponential backoff
(``webhook_backoff_s`` doubled per attempt, up to ``webhook_max_attempts``); every
attempt is recorded and listed at ``GET /v1/webhook/deliveries``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from listenlens.service.db.models import Call, DeliveryAttempt, Webhook, WebhookDelivery, iso, utcnow
from listenlens.service.domain.egress import EgressPolicy, EgressRefused
from listenlens.service.domain.errors import InvalidRequest, NotFound
from listenlens.service.jobs.queue import WEBHOOK, enqueue

SIGNATURE_HEADER = "X-Listenlens-Signature"
TIMESTAMP_HEADER = "X-Listenlens-Timestamp"
EVENT_HEADER = "X-Listenlens-Event"
DELIVERY_HEADER = "X-Listenlens-Delivery"


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def sign(secret: str, timestamp: int | str, body: bytes) -> str:
    message = f"{timestamp}.".encode() + body
    return "sha256=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def verify_signature(secret: str, timestamp: str, body: bytes, signature: str, *,
                     tolerance_s: float = 300.0, now: float | None = None) -> bool:
    """True when ``signature`` is ours for this body and the timestamp is recent.

    The timestamp check stops a captured request from being replayed later.
    """
    try:
        ts = int(timestamp)
    except (TypeError, ValueError):
        return False
    if abs((now if now is not None else time.time()) - ts) > tolerance_s:
        return False
    return hmac.compare_digest(sign(secret, ts, body), signature)


def register(session: Session, tenant_id: str, url: str, policy: EgressPolicy) -> dict[str, Any]:
    """Register (or replace) the tenant's webhook; the answer carries the new secret, shown only here."""
    try:
        policy.check_url(url)
    except EgressRefused as exc:
        raise InvalidRequest(str(exc)) from None
    secret = new_secret()
    hook = session.get(Webhook, tenant_id)
    if hook is None:
        hook = Webhook(tenant_id=tenant_id, url=url.strip(), secret=secret)
        session.add(hook)
    else:
        # Registering again rotates the secret: the only way to see a secret is this answer.
        hook.url, hook.secret, hook.created_at = url.strip(), secret, utcnow()
    session.flush()
    return {"url": hook.url, "secret": secret, "created_at": iso(hook.created_at)}


def get(session: Session, tenant_id: str) -> dict[str, Any]:
    """The tenant's webhook, without its secret."""
    hook = session.get(Webhook, tenant_id)
    if hook is None:
        raise NotFound("webhook")
    return {"url": hook.url, "secret": None, "created_at": iso(hook.created_at)}


def remove(session: Session, tenant_id: str) -> None:
    hook = session.get(Webhook, tenant_id)
    if hook is None:
        raise NotFound("webhook")
    session.delete(hook)


def deliveries(session: Session, tenant_id: str, *, call_id: str | None = None, limit: int = 50) -> list[dict[str, Any]]:
    """The tenant's latest deliveries (of one call, when given), each with its attempts."""
    q = select(WebhookDelivery).where(WebhookDelivery.tenant_id == tenant_id)
    if call_id:
        q = q.where(WebhookDelivery.call_id == call_id)
    rows = session.scalars(q.order_by(WebhookDelivery.created_at.desc(), WebhookDelivery.id).limit(limit)).all()
    out = []
    for d in rows:
        attempts = session.scalars(select(DeliveryAttempt).where(DeliveryAttempt.delivery_id == d.id)
                                   .order_by(DeliveryAttempt.id)).all()
        out.append({
            "id": d.id, "call_id": d.call_id, "event": d.event, "url": d.url, "status": d.status,
            "attempts": d.attempts, "last_status_code": d.last_status_code, "last_error": d.last_error,
            "next_attempt_at": iso(d.next_attempt_at), "created_at": iso(d.created_at),
            "delivered_at": iso(d.delivered_at),
            "attempt_log": [{"at": iso(a.at), "status_code": a.status_code, "error": a.error,
                             "duration_ms": a.duration_ms} for a in attempts],
        })
    return out


def queue_event(session: Session, call: Call, payload: dict) -> str | None:
    """Record a delivery of ``payload`` for the call's tenant and queue its first attempt.

    Runs in the caller's transaction, so the event exists exactly when the call's new
    status does. Returns the delivery id, or None when the tenant has no webhook.
    """
    hook = session.get(Webhook, call.tenant_id)
    if hook is None:
        return None
    delivery_id = "dlv_" + uuid.uuid4().hex
    body = {"id": delivery_id, "event": payload["event"], "created_at": _iso(utcnow()), "call": payload["call"]}
    session.add(WebhookDelivery(
        id=delivery_id, tenant_id=call.tenant_id, call_id=call.id, event=payload["event"], url=hook.url,
        body=json.dumps(body, separators=(",", ":"), sort_keys=True), next_attempt_at=utcnow(),
    ))
    session.flush()
    enqueue(session, WEBHOOK, call.tenant_id, call_id=call.id, delivery_id=delivery_id)
    return delivery_id


def _iso(dt) -> str:
    return dt.replace(microsecond=0).isoformat() + "Z"
