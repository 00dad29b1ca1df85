"""The FastAPI application: the API under ``/v1`` and the coaching pages under ``/ui``.

``create_app()`` reads the settings tree (``listenlens.config.load_settings``);
at start it opens the runtime (``open_runtime``: the database is migrated) and, in the
embedded setup (no broker configured), starts the in-process worker, which resumes
whatever was queued or interrupted. Every error answers ``{"error": {"code", "message"}}``.
"""

from __future__ import annotations

from contextlib import asynccontextmanager

from fastapi import FastAPI

from listenlens.config import Settings, load_settings
from listenlens.service.api.errors import install_error_handlers
from listenlens.service.api.guards import BodyLimit, RequestGuard, SecurityHeaders
from listenlens.service.runtime import open_runtime
from listenlens.service.settings import ServiceSettings

DESCRIPTION = """
Upload a recorded sales call, get a listening scorecard: talk ratio, monologues,
interruptions, questions and the four-second rule, patience, paraphrasing, and a 0-100
listening score with the moments behind it.

Authenticate with an API key (`listenlens keys create TENANT`) sent as
`Authorization: Bearer KEY`. Uploads return at once (`202`); processing runs in the
background: poll `GET /v1/calls/{id}` or register a webhook. Errors are JSON:
`{"error": {"code": "...", "message": "..."}}`.
"""


def create_app(settings: ServiceSettings | None = None, pipeline_settings: Settings | None = None,
               *, start_worker: bool = True) -> FastAPI:
    from listenlens import __version__
    from listenlens.service import ui
    from listenlens.service.api.routes import calls, exports, health, reps, trackers, trends, voiceprints, webhooks

    if settings is None or pipeline_settings is None:
        loaded = load_settings()
        settings = settings or loaded.service
        pipeline_settings = pipeline_settings or loaded

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        from listenlens.pipeline import decode_sandbox

        decode_sandbox.start()  # uploads are checked in its children: ready before the first one
        with open_runtime(settings, pipeline_settings, worker=start_worker) as runtime:
            app.state.runtime = runtime
            yield

    app = FastAPI(
        title="listenlens",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        openapi_tags=[
            {"name": "calls", "description": "upload recordings, read scorecards and transcripts"},
            {"name": "trends", "description": "metrics per ISO week for a rep or a team"},
            {"name": "webhooks", "description": "be told when a call is done or failed"},
            {"name": "trackers", "description": "phrase lists (competitors, pricing ...) found in every call scored"},
            {"name": "reps", "description": "erase everything held about a rep (a rep who left, a GDPR request)"},
        ],
    )
    app.state.settings = settings
    install_error_handlers(app)
    # The last added runs first: headers on every answer, then the method and URL checks,
    # then the body limit, which counts bytes as they arrive.
    app.add_middleware(BodyLimit, max_upload_bytes=settings.max_upload_bytes, max_mb=settings.max_upload_mb)
    app.add_middleware(RequestGuard, router_app=app)
    app.add_middleware(SecurityHeaders)
    # reps last: its DELETE /v1/reps/{rep} would otherwise take /v1/reps/{rep}/voiceprint.
    for router in (calls.router, trends.router, webhooks.router, voiceprints.router, trackers.router, health.router,
                   exports.router, reps.router):
        app.include_router(router)
    ui.register(app)
    return app
