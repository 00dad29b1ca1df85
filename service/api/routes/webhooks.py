"""``/v1/webhook``: one URL per tenant, notified when a call is done or failed."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from listenlens.service.api.deps import Caller, current_caller, get_runtime
from listenlens.service.api.schemas import DeliveryOut, ErrorResponse, WebhookIn, WebhookOut
from listenlens.service.domain import webhooks
from listenlens.service.runtime import Runtime

router = APIRouter(prefix="/v1/webhook", tags=["webhooks"])
_ERRORS = {401: {"model": ErrorResponse, "description": "missing, unknown or revoked API key"}}


@router.put("", response_model=WebhookOut, summary="Register (or replace) the webhook; returns its secret once",
            responses={400: {"model": ErrorResponse}, **_ERRORS})
def put_webhook(body: WebhookIn, caller: Caller = Depends(current_caller), rt: Runtime = Depends(get_runtime)):
    with rt.db.session() as s:
        return webhooks.register(s, caller.tenant_id, body.url, rt.settings.egress_policy())


@router.get("", response_model=WebhookOut, summary="The registered webhook (without its secret)",
            responses={404: {"model": ErrorResponse}, **_ERRORS})
def get_webhook(caller: Caller = Depends(current_caller), rt: Runtime = Depends(get_runtime)):
    with rt.db.session() as s:
        return webhooks.get(s, caller.tenant_id)


@router.delete("", status_code=204, summary="Remove the webhook", responses={404: {"model": ErrorResponse}, **_ERRORS})
def delete_webhook(caller: Caller = Depends(current_caller), rt: Runtime = Depends(get_runtime)):
    with rt.db.session() as s:
        webhooks.remove(s, caller.tenant_id)
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
        return webhooks.deliveries(s, caller.tenant_id, call_id=call_id, limit=limit)
