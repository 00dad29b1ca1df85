"""The coaching pages (``/ui``).

``create_app`` calls ``register(app)`` when this package is installed.
"""

from __future__ import annotations

from pathlib import Path

STATIC = Path(__file__).resolve().parent / "static"


def register(app) -> None:
    from fastapi.staticfiles import StaticFiles

    from listenlens.service.ui import accounts, reps
    from listenlens.service.ui.errorpages import HtmlErrors, wrap_server_errors
    from listenlens.service.ui.routes import router
    from listenlens.service.ui.session import Refused, SignInFirst
    from listenlens.service.ui.trackers import router as trackers_router
    from listenlens.service.ui.voiceprints import router as voiceprints_router

    app.include_router(accounts.router)
    app.include_router(reps.router)
    app.include_router(voiceprints_router)
    app.include_router(trackers_router)
    app.include_router(router)
    app.add_exception_handler(SignInFirst, lambda _request, exc: exc.response)
    app.add_exception_handler(Refused, accounts.refused)
    app.add_middleware(HtmlErrors)
    wrap_server_errors(app)
    app.mount("/ui/static", StaticFiles(directory=str(STATIC)), name="ui-static")
