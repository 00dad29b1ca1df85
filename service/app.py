"""The FastAPI application.

``create_app()`` reads ``ServiceSettings``/``PipelineSettings`` from the environment;
at start it migrates the database and, in the embedded setup (no broker configured),
starts the in-process worker, which resumes whatever was queued or interrupted.
Every error answers ``{"error": {"code", "message"}}``.

A module ``listenlens.service.ui`` with ``register(app)``, when present, adds the
coaching pages (issue 6) to the same app.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy import text
from starlette.exceptions import HTTPException as StarletteHTTPException

from listenlens.config import PipelineSettings
from listenlens.errors import ListenlensError
from listenlens.service.api.deps import ApiError
from listenlens.service.api.schemas import Health
from listenlens.service.settings import ServiceSettings

log = logging.getLogger("listenlens.service")

DESCRIPTION = """
Upload a recorded sales call, get a listening scorecard: talk ratio, monologues,
interruptions, questions and the four-second rule, patience, paraphrasing, and a 0-100
listening score with the moments behind it.

Authenticate with an API key (`listenlens keys create TENANT`) sent as
`Authorization: Bearer KEY`. Uploads return at once (`202`); processing runs in the
background: poll `GET /v1/calls/{id}` or register a webhook. Errors are JSON:
`{"error": {"code": "...", "message": "..."}}`.
"""


def create_app(settings: ServiceSettings | None = None, pipeline_settings: PipelineSettings | None = None,
               *, start_worker: bool = True) -> FastAPI:
    settings = settings or ServiceSettings()
    pipeline_settings = pipeline_settings or PipelineSettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        from listenlens.service.runtime import Runtime

        runtime = Runtime(settings, pipeline_settings)
        app.state.runtime = runtime
        worker = None
        if settings.embedded and start_worker:
            from listenlens.service.jobs.worker import EmbeddedWorker

            worker = EmbeddedWorker(runtime)
            worker.start()
        app.state.worker = worker
        try:
            yield
        finally:
            if worker is not None:
                worker.stop()
            runtime.close()

    from listenlens import __version__

    app = FastAPI(
        title="listenlens",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        openapi_tags=[
            {"name": "calls", "description": "upload recordings, read scorecards and transcripts"},
            {"name": "trends", "description": "metrics per ISO week for a rep or a team"},
            {"name": "webhooks", "description": "be told when a call is done or failed"},
        ],
    )
    app.state.settings = settings
    _install_error_handlers(app)
    app.add_middleware(_UploadLimit, max_bytes=settings.max_upload_bytes, max_mb=settings.max_upload_mb)

    from listenlens.service.api.routes import calls, exports, trends, webhooks

    app.include_router(calls.router)
    app.include_router(trends.router)
    app.include_router(webhooks.router)

    @app.get("/healthz", response_model=Health, tags=["health"], summary="Liveness and database check (no key)")
    def healthz(request: Request):
        rt = request.app.state.runtime
        try:
            with rt.db.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            db = "ok"
        except Exception as exc:
            db = f"error: {exc.__class__.__name__}"
        body = {"status": "ok" if db == "ok" else "degraded", "database": db,
                "mode": "embedded" if settings.embedded else "celery", "version": __version__}
        return JSONResponse(body, status_code=200 if db == "ok" else 503)

    app.include_router(exports.router)

    if importlib.util.find_spec("listenlens.service.ui") is not None:
        register_ui = getattr(importlib.import_module("listenlens.service.ui"), "register", None)
        if callable(register_ui):
            register_ui(app)
    return app


def _error(status: int, code: str, message: str, **extra) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message, **extra}}, status_code=status)


_HTTP_CODES = {400: "invalid_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
               405: "method_not_allowed", 409: "conflict", 413: "too_large", 415: "unsupported_media_type"}


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(_request, exc: ApiError):
        return _error(exc.status, exc.code, exc.message)

    @app.exception_handler(ListenlensError)
    async def _listenlens_error(_request, exc: ListenlensError):
        return _error(exc.http_status, exc.code, exc.message)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_request, exc: StarletteHTTPException):
        return _error(exc.status_code, _HTTP_CODES.get(exc.status_code, f"http_{exc.status_code}"), str(exc.detail))

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_request, exc: RequestValidationError):
        parts = []
        for err in exc.errors():
            where = ".".join(str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path"))
            parts.append(f"{where}: {err.get('msg')}" if where else str(err.get("msg")))
        details = [{"loc": list(e.get("loc", ())), "msg": e.get("msg"), "type": e.get("type")} for e in exc.errors()]
        return _error(422, "invalid_request", "; ".join(parts) or "invalid request", details=details)

    @app.exception_handler(Exception)
    async def _unexpected(_request, exc: Exception):
        log.exception("unhandled error", exc_info=exc)
        return _error(500, "internal_error", f"internal error ({exc.__class__.__name__}); it has been logged")


class _UploadLimit:
    """Refuse an over-size upload from its Content-Length, before reading the body."""

    def __init__(self, app, max_bytes: int, max_mb: float):
        self.app, self.max_bytes, self.max_mb = app, max_bytes, max_mb

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and scope["method"] == "POST":
            length = dict(scope.get("headers") or []).get(b"content-length")
            # Multipart framing and form fields add a little over the file itself.
            if length is not None and length.isdigit() and int(length) > self.max_bytes + 1_000_000:
                response = _error(413, "too_large",
                                  f"the upload is over the {self.max_mb:g} MB limit: compress or split the recording")
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)
