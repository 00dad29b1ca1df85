"""``/healthz`` (liveness: the process answers and the database can be read) and ``/readyz``
(readiness: the database, the recordings store and the temp folder can be written), without a key."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse
from sqlalchemy import text

from listenlens.service.api.deps import get_runtime
from listenlens.service.api.errors import RETRY_AFTER_S
from listenlens.service.api.schemas import Health, Readiness
from listenlens.service.domain.readiness import check_ready
from listenlens.service.runtime import Runtime

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=Health, summary="Liveness and database check (no key)",
            responses={503: {"model": Health, "description": "the database cannot be reached"}})
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


@router.get("/readyz", response_model=Readiness, summary="Ready to take uploads: every store can be written (no key)",
            responses={503: {"model": Readiness, "description": "a part cannot be written: `checks` says which and why",
                             "headers": {"Retry-After": {"schema": {"type": "integer"}}}}})
def readyz(rt: Runtime = Depends(get_runtime)):
    checks = check_ready(rt)
    ready = all(v == "ok" for v in checks.values())
    body = {"status": "ready" if ready else "not_ready", "checks": checks}
    if ready:
        return JSONResponse(body)
    return JSONResponse(body, status_code=503, headers={"Retry-After": str(RETRY_AFTER_S)})
