"""Webhook deliveries: one attempt per job, retried with exponential backoff.

A non-2xx answer or a network error queues the next attempt after
``webhook_backoff_s`` doubled per attempt, up to ``webhook_max_attempts``; every
attempt is recorded and listed at ``GET /v1/webhook/deliveries``.
"""

from __future__ import annotations

import time
from datetime import timedelta

from listenlens.service.db.models import DeliveryAttempt, Webhook, WebhookDelivery, utcnow
from listenlens.service.domain.egress import EgressRefused, guarded_client
from listenlens.service.domain.webhooks import DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, sign
from listenlens.service.jobs.queue import WEBHOOK, Claimed, enqueue


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
        # A retry goes where the tenant's webhook points now, not where it pointed when queued.
        delivery.url = hook.url
        url, body, secret, delivery_id, event = hook.url, delivery.body.encode(), hook.secret, delivery.id, delivery.event

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
        # Checked again at sending time: an address allowed when the URL was registered may
        # resolve elsewhere now, and the settings may have changed.
        policy = settings.egress_policy()
        policy.check_url(url)
        with guarded_client(policy, settings.webhook_timeout_s) as client:
            resp = client.post(url, content=body, headers=headers)
        status_code = resp.status_code
        if not 200 <= resp.status_code < 300:
            error = f"receiver answered HTTP {resp.status_code}"
    except EgressRefused as exc:
        error = f"not sent: {exc}"[:500]
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
