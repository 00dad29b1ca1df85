"""``/healthz``: liveness and a database round trip, without a key."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse
from sqlalchemy import text

from listenlens.service.api.deps import get_runtime
from listenlens.service.api.schemas import Health
from listenlens.service.runtime import Runtime

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=Health, summary="Liveness and database check (no key)")
def healthz(rt: Runtime = Depends(get_runtime)):
    from listenlens import __version__

    try:
        with rt.db.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        db = "ok"
    except Exception as exc:
        db = f"error: {exc.__class__.__name__}"
    body = {"status": "ok" if db == "ok" else "degraded", "database": db,
            "mode": "embedded" if rt.settings.embedded else "celery", "version": __version__}
    return JSONResponse(body, status_code=200 if db == "ok" else 503)
