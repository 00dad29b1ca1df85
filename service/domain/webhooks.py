"""Webhooks: tell a tenant's server when a call is done or failed.

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
from datetime import timedelta

from sqlalchemy.orm import Session

from listenlens.service.jobs.queue import WEBHOOK, Claimed, enqueue
from listenlens.service.db.models import Call, DeliveryAttempt, Webhook, WebhookDelivery, utcnow

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


def deliver(runtime, job: Claimed, worker: str) -> None:
    """One attempt of a delivery; on failure, queue the next one after a backoff."""
    import httpx

    settings = runtime.settings
    with runtime.db.session() as s:
        delivery = s.get(WebhookDelivery, job.delivery_id)
        hook = s.get(Webhook, job.tenant_id)
        if delivery is None or delivery.status != "pending":
            runtime.queue.finish(job.id, worker, session=s)
            return
        if hook is None:
            # The tenant removed its webhook since: nothing to send to, stop retrying.
            delivery.status = "failed"
            delivery.last_error = "webhook removed before delivery"
            runtime.queue.finish(job.id, worker, failed=True, error=delivery.last_error, session=s)
            return
        url, body, secret, delivery_id, event = delivery.url, delivery.body.encode(), hook.secret, delivery.id, delivery.event

    ts = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "listenlens-webhooks/1",
        EVENT_HEADER: event,
        DELIVERY_HEADER: delivery_id,
        TIMESTAMP_HEADER: str(ts),
        SIGNATURE_HEADER: sign(secret, ts, body),
    }
    status_code: int | None = None
    error: str | None = None
    t0 = time.perf_counter()
    try:
        resp = httpx.post(url, content=body, headers=headers, timeout=settings.webhook_timeout_s, follow_redirects=False)
        status_code = resp.status_code
        if not 200 <= resp.status_code < 300:
            error = f"receiver answered HTTP {resp.status_code}"
    except httpx.HTTPError as exc:
        error = f"{exc.__class__.__name__}: {exc}"[:500]
    elapsed_ms = int((time.perf_counter() - t0) * 1000)

    with runtime.db.session() as s:
        delivery = s.get(WebhookDelivery, delivery_id)
        if delivery is None:  # the call was deleted meanwhile
            runtime.queue.finish(job.id, worker, session=s)
            return
        delivery.attempts += 1
        delivery.last_status_code = status_code
        delivery.last_error = error
        s.add(DeliveryAttempt(delivery_id=delivery_id, status_code=status_code, error=error, duration_ms=elapsed_ms))
        if error is None:
            delivery.status = "delivered"
            delivery.delivered_at = utcnow()
            delivery.next_attempt_at = None
        elif delivery.attempts >= settings.webhook_max_attempts:
            delivery.status = "failed"
            delivery.next_attempt_at = None
        else:
            delay = settings.webhook_backoff_s * 2 ** (delivery.attempts - 1)
            delivery.next_attempt_at = utcnow() + timedelta(seconds=delay)
            enqueue(s, WEBHOOK, job.tenant_id, call_id=job.call_id, delivery_id=delivery_id,
                         run_after=delivery.next_attempt_at)
        runtime.queue.finish(job.id, worker, session=s)
    # Retries are due later: the housekeeper dispatches them when their time comes.


def _iso(dt) -> str:
    return dt.replace(microsecond=0).isoformat() + "Z"
