"""The coaching pages (``/ui``) and the week exports API (``/v1/exports``).

``create_app`` calls ``register(app)`` when this package is installed.
"""

from __future__ import annotations

from pathlib import Path

STATIC = Path(__file__).resolve().parent.parent / "static"


def register(app) -> None:
    from fastapi.staticfiles import StaticFiles

    from listenlens.service.ui import exports_api
    from listenlens.service.ui.routes import router

    app.include_router(router)
    app.include_router(exports_api.router)
    app.mount("/ui/static", StaticFiles(directory=str(STATIC)), name="ui-static")
