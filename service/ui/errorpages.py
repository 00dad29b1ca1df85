"""Friendly HTML pages for every error a browser can reach under ``/ui``.

The API answers errors as ``{"error": {"code", "message"}}``. A person who follows a bad
link, posts the upload form without JavaScript or hits a server fault should read a
page instead: ``HtmlErrors`` turns such an answer into ``error.html`` when the request
is a browser's page navigation (``Accept: text/html``) under ``/ui``. Scripts, the
pages' own fetches (``Accept: */*``) and the API keep the JSON.
"""

from __future__ import annotations

import json
from http import HTTPStatus

TITLES = {
    400: "That request was not understood",
    401: "Please sign in",
    403: "Not allowed",
    404: "Page not found",
    405: "Not allowed here",
    409: "That clashes with something already there",
    410: "Gone",
    413: "The file is too large",
    415: "That kind of file is not supported",
    422: "Something in the form needs fixing",
    429: "Too many requests",
    500: "Something went wrong on our side",
    503: "The service is busy",
}


# What to say when the answer carries only the HTTP reason phrase ("Not Found").
SAY = {
    404: "There is no page at this address. Check the link, or start again from the calls.",
    405: "This address cannot be used that way. Start again from the calls.",
    500: "The error has been logged. Try again, or go back to the calls.",
}


def wants_page(scope) -> bool:
    if scope.get("type") != "http" or not scope.get("path", "").startswith("/ui"):
        return False
    if scope.get("path", "").startswith("/ui/static"):
        return False
    headers = dict(scope.get("headers") or [])
    accept = headers.get(b"accept", b"").decode("latin-1")
    return "text/html" in accept


def render(status: int, message: str, code: str | None = None, request=None) -> bytes:
    from listenlens.service.ui.routes import templates

    template = templates().get_template("error.html")
    return template.render(status=status, title=TITLES.get(status, "Something went wrong"), message=message,
                           code=code, caller=None, request=request).encode("utf-8")


_PHRASES = {s.value for s in HTTPStatus}


class HtmlErrors:
    """ASGI middleware: a JSON error answered to a page navigation under /ui becomes a page."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if not wants_page(scope):
            await self.app(scope, receive, send)
            return
        state: dict = {}

        async def relay(message):
            if message["type"] == "http.response.start":
                headers = dict(message.get("headers") or [])
                ctype = headers.get(b"content-type", b"").decode("latin-1")
                if message["status"] >= 400 and ctype.startswith("application/json"):
                    state["start"] = message
                    state["body"] = b""
                    return
                await send(message)
                return
            if message["type"] == "http.response.body" and "start" in state:
                state["body"] += message.get("body", b"")
                if message.get("more_body"):
                    return
                start = state.pop("start")
                await send_page(start, state["body"])
                return
            await send(message)

        async def send_page(start, body: bytes):
            try:
                err = json.loads(body or b"{}").get("error") or {}
            except ValueError:
                err = {}
            status = start["status"]
            message = err.get("message") or ""
            phrase = HTTPStatus(status).phrase if status in _PHRASES else ""
            if not message or message.lower() == phrase.lower():
                message = SAY.get(status, TITLES.get(status, "Something went wrong."))
            html = render(status, message, err.get("code"))
            keep = [(k, v) for k, v in start.get("headers") or []
                    if k.lower() not in (b"content-type", b"content-length")]
            await send({"type": "http.response.start", "status": status,
                        "headers": keep + [(b"content-type", b"text/html; charset=utf-8"),
                                           (b"content-length", str(len(html)).encode())]})
            await send({"type": "http.response.body", "body": html})

        await self.app(scope, receive, relay)


def wrap_server_errors(app) -> None:
    """A page for an unexpected fault too (FastAPI answers those outside any middleware)."""
    from starlette.responses import HTMLResponse

    original = app.exception_handlers.get(Exception)
    if original is None:
        return

    async def handler(request, exc):
        response = await original(request, exc)
        if wants_page(request.scope):
            return HTMLResponse(render(500, SAY[500], "internal_error"), status_code=500)
        return response

    app.exception_handlers[Exception] = handler
