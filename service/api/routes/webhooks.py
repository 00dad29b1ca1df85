"""``/v1/webhook``: one URL per tenant, notified when a call is done or failed."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from listenlens.service.api.deps import Caller, current_caller, get_runtime
from listenlens.service.api.schemas import (
    AUTHED,
    CALL_ID_PATTERN,
    ERR_404,
    ERR_413,
    DeliveryOut,
    ErrorResponse,
    Responses,
    WebhookIn,
    WebhookOut,
)
from listenlens.service.domain import webhooks
from listenlens.service.domain.fields import MAX_ID
from listenlens.service.runtime import Runtime

router = APIRouter(prefix="/v1/webhook", tags=["webhooks"])
_ERRORS: Responses = AUTHED


@router.put("", response_model=WebhookOut, summary="Register (or replace) the webhook; returns its secret once",
            responses={400: {"model": ErrorResponse, "description": "the URL is refused (not https, or not a public address)"},
                       **ERR_413, **_ERRORS})
def put_webhook(body: WebhookIn, caller: Caller = Depends(current_caller), rt: Runtime = Depends(get_runtime)):
    with rt.db.session() as s:
        return webhooks.register(s, caller.tenant_id, body.url, rt.settings.egress_policy())


@router.get("", response_model=WebhookOut, summary="The registered webhook (without its secret)",
            responses={**ERR_404, **_ERRORS})
def get_webhook(caller: Caller = Depends(current_caller), rt: Runtime = Depends(get_runtime)):
    with rt.db.session() as s:
        return webhooks.get(s, caller.tenant_id)


@router.delete("", status_code=204, summary="Remove the webhook", responses={**ERR_404, **_ERRORS})
def delete_webhook(caller: Caller = Depends(current_caller), rt: Runtime = Depends(get_runtime)):
    with rt.db.session() as s:
        webhooks.remove(s, caller.tenant_id)
    return Response(status_code=204)


@router.get("/deliveries", response_model=list[DeliveryOut], summary="Recent deliveries and their attempts",
            responses=_ERRORS)
def list_deliveries(
    call_id: str | None = Query(None, description="only deliveries about this call", max_length=MAX_ID,
                                json_schema_extra={"pattern": CALL_ID_PATTERN}),
    limit: int = Query(50, ge=1, le=200),
    caller: Caller = Depends(current_caller),
    rt: Runtime = Depends(get_runtime),
):
    with rt.db.session() as s:
        return webhooks.deliveries(s, caller.tenant_id, call_id=call_id, limit=limit)
