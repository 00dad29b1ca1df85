"""``/v1/webhook``: one URL per tenant, notified when a call is done or failed."""

from __future__ import annotations

from urllib.parse import urlparse

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from sqlalchemy import select

from listenlens.service.domain.calls import iso
from listenlens.service.api.deps import ApiError, Caller, current_caller, get_runtime, not_found
from listenlens.service.db.models import DeliveryAttempt, Webhook, WebhookDelivery, utcnow
from listenlens.service.runtime import Runtime
from listenlens.service.api.schemas import DeliveryOut, ErrorResponse, WebhookIn, WebhookOut
from listenlens.service.domain.webhooks import new_secret

router = APIRouter(prefix="/v1/webhook", tags=["webhooks"])
_ERRORS = {401: {"model": ErrorResponse, "description": "missing, unknown or revoked API key"}}


@router.put("", response_model=WebhookOut, summary="Register (or replace) the webhook; returns its secret once",
            responses={400: {"model": ErrorResponse}, **_ERRORS})
def put_webhook(body: WebhookIn, caller: Caller = Depends(current_caller), rt: Runtime = Depends(get_runtime)):
    parsed = urlparse(body.url.strip())
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise ApiError(400, "invalid_request", f"url {body.url!r} is not an http(s) URL, e.g. https://crm.example.com/hooks")
    secret = new_secret()
    with rt.db.session() as s:
        hook = s.get(Webhook, caller.tenant_id)
        if hook is None:
            hook = Webhook(tenant_id=caller.tenant_id, url=body.url.strip(), secret=secret)
            s.add(hook)
        else:
            # Registering again rotates the secret: the only way to see a secret is this answer.
            hook.url, hook.secret, hook.created_at = body.url.strip(), secret, utcnow()
        s.flush()
        return {"url": hook.url, "secret": secret, "created_at": iso(hook.created_at)}


@router.get("", response_model=WebhookOut, summary="The registered webhook (without its secret)",
            responses={404: {"model": ErrorResponse}, **_ERRORS})
def get_webhook(caller: Caller = Depends(current_caller), rt: Runtime = Depends(get_runtime)):
    with rt.db.session() as s:
        hook = s.get(Webhook, caller.tenant_id)
        if hook is None:
            raise not_found("webhook")
        return {"url": hook.url, "secret": None, "created_at": iso(hook.created_at)}


@router.delete("", status_code=204, summary="Remove the webhook", responses={404: {"model": ErrorResponse}, **_ERRORS})
def delete_webhook(caller: Caller = Depends(current_caller), rt: Runtime = Depends(get_runtime)):
    with rt.db.session() as s:
        hook = s.get(Webhook, caller.tenant_id)
        if hook is None:
            raise not_found("webhook")
        s.delete(hook)
    return Response(status_code=204)


@router.get("/deliveries", response_model=list[DeliveryOut], summary="Recent deliveries and their attempts",
            responses=_ERRORS)
def list_deliveries(
    call_id: str | None = Query(None, description="only deliveries about this call"),
    limit: int = Query(50, ge=1, le=200),
    caller: Caller = Depends(current_caller),
    rt: Runtime = Depends(get_runtime),
):
    with rt.db.session() as s:
        q = select(WebhookDelivery).where(WebhookDelivery.tenant_id == caller.tenant_id)
        if call_id:
            q = q.where(WebhookDelivery.call_id == call_id)
        rows = s.scalars(q.order_by(WebhookDelivery.created_at.desc(), WebhookDelivery.id).limit(limit)).all()
        out = []
        for d in rows:
            attempts = s.scalars(select(DeliveryAttempt).where(DeliveryAttempt.delivery_id == d.id)
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
