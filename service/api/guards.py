"""ASGI guards around the whole app: what every request passes before any route runs.

- ``BodyLimit`` counts the bytes of a request body as they arrive and answers ``413``
  the moment the limit is crossed, whether the body declared its length or came
  chunked: nothing past the limit is read, buffered or written anywhere.
- ``RequestGuard`` answers ``405`` (with ``Allow``) to methods the service has no use
  for, and ``422`` to control characters in the path or the query string, so a NUL
  byte never reaches a database (PostgreSQL refuses them) or a log line.
- ``SecurityHeaders`` adds a Content-Security-Policy and its companions to every answer.
"""

from __future__ import annotations

import json
import re
from urllib.parse import parse_qsl

from starlette.routing import Match

# Multipart framing and the form fields add a little to the file itself.
MULTIPART_SLACK_BYTES = 1_000_000
# Every body other than an upload is a small JSON document or a form (webhook URL, sign-in).
MAX_OTHER_BODY_BYTES = 64 * 1024

SERVED_METHODS = ("GET", "HEAD", "POST", "PUT", "DELETE")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")

# The pages load their own scripts, styles, audio and status polls only: no inline script,
# no inline style (colours are classes; the verdict colours a stylesheet, /ui/verdicts.css).
PAGE_CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            "media-src 'self'; connect-src 'self'; font-src 'self'; form-action 'self'; base-uri 'none'; "
            "frame-ancestors 'none'")
# FastAPI's /docs and /redoc pages load Swagger UI / ReDoc from their CDN with an inline bootstrap script.
DOCS_CSP = ("default-src 'none'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
            "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net https://fonts.googleapis.com; "
            "font-src https://fonts.gstatic.com; img-src 'self' data: https://fastapi.tiangolo.com https://cdn.redoc.ly; "
            "connect-src 'self'; worker-src blob:; base-uri 'none'; frame-ancestors 'none'")
_DOCS_PATHS = ("/docs", "/redoc")
SECURITY_HEADERS = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def _json_error(status: int, code: str, message: str, headers: dict[str, str] | None = None):
    body = json.dumps({"error": {"code": code, "message": message}}).encode()
    raw = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    raw += [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    return {"type": "http.response.start", "status": status, "headers": raw}, \
        {"type": "http.response.body", "body": body}


async def _answer(send, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
    start, body = _json_error(status, code, message, headers)
    await send(start)
    await send(body)


class _BodyTooLarge(Exception):
    pass


class BodyLimit:
    """Stop reading a request body once it passes its limit and answer ``413 too_large``.

    A multipart body (an upload) may carry ``max_upload_bytes`` plus framing; any other
    body ``MAX_OTHER_BODY_BYTES``. The route's own answer to the cut-off body is dropped.
    """

    def __init__(self, app, max_upload_bytes: int, max_mb: float):
        self.app, self.max_upload_bytes, self.max_mb = app, max_upload_bytes, max_mb

    def _limit(self, scope) -> tuple[int, str]:
        headers = dict(scope.get("headers") or [])
        ctype = headers.get(b"content-type", b"").decode("latin-1").lower()
        if ctype.startswith("multipart/"):
            return (self.max_upload_bytes + MULTIPART_SLACK_BYTES,
                    f"the upload is over the {self.max_mb:g} MB limit: compress or split the recording")
        return (MAX_OTHER_BODY_BYTES,
                f"the request body is over {MAX_OTHER_BODY_BYTES // 1024} KB: only uploads (multipart/form-data) may be larger")

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["method"] not in ("POST", "PUT", "PATCH", "DELETE"):
            await self.app(scope, receive, send)
            return
        limit, message = self._limit(scope)
        length = dict(scope.get("headers") or []).get(b"content-length")
        if length is not None and length.strip().isdigit() and int(length) > limit:
            await _answer(send, 413, "too_large", message, {"Connection": "close"})
            return

        received = 0
        over = False
        started = False

        async def limited_receive():
            nonlocal received, over
            if over:
                return {"type": "http.disconnect"}
            message_in = await receive()
            if message_in["type"] == "http.request":
                received += len(message_in.get("body", b""))
                if received > limit:
                    over = True
                    raise _BodyTooLarge()
            return message_in

        async def guarded_send(message_out):
            nonlocal started
            if over and not started:
                return  # the route's answer to a cut-off body; 413 goes out instead
            if message_out["type"] == "http.response.start":
                started = True
            await send(message_out)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except _BodyTooLarge:
            pass
        except Exception:
            if not over:
                raise
        if over and not started:
            await _answer(send, 413, "too_large", message, {"Connection": "close"})


class RequestGuard:
    """``405`` with ``Allow`` for a method no route serves; ``422`` for control characters in the URL."""

    def __init__(self, app, router_app=None):
        self.app = app
        self.router_app = router_app  # the FastAPI app whose routes say what a path allows

    def _allowed(self, scope) -> list[str]:
        routes = getattr(self.router_app, "routes", []) if self.router_app is not None else []
        allowed = [m for m in SERVED_METHODS
                   if any(route.matches({**scope, "method": m})[0] == Match.FULL for route in routes)]
        return allowed or list(SERVED_METHODS)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["method"] not in SERVED_METHODS:
            allowed = self._allowed(scope)
            await _answer(send, 405, "method_not_allowed",
                          f"{scope['method']} is not supported here: use {', '.join(allowed)}",
                          {"Allow": ", ".join(allowed)})
            return
        bad = _control_in(scope)
        if bad:
            await _answer(send, 422, "invalid_request",
                          f"{bad} contains a control character (a byte below 0x20, or DEL): remove it")
            return
        await self.app(scope, receive, send)


def _control_in(scope) -> str | None:
    if _CONTROL.search(scope.get("path", "")):
        return "the path"
    query = scope.get("query_string", b"").decode("latin-1")
    if not query:
        return None
    try:
        pairs = parse_qsl(query, keep_blank_values=True, errors="strict")
    except (UnicodeDecodeError, ValueError):
        return None  # a badly encoded query is the route's to refuse
    for name, value in pairs:
        if _CONTROL.search(name):
            return "a query parameter name"
        if _CONTROL.search(value):
            return f"the query parameter {name!r}"
    return None


class SecurityHeaders:
    """Content-Security-Policy, X-Frame-Options, nosniff and Referrer-Policy on every answer."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        csp = DOCS_CSP if scope.get("path", "").startswith(_DOCS_PATHS) else PAGE_CSP
        extra = [(b"content-security-policy", csp.encode()),
                 *((k.lower().encode(), v.encode()) for k, v in SECURITY_HEADERS.items())]

        async def with_headers(message):
            if message["type"] == "http.response.start":
                present = {k.lower() for k, _ in message.get("headers", [])}
                message = {**message, "headers": [*message.get("headers", []),
                                                  *(h for h in extra if h[0] not in present)]}
            await send(message)

        await self.app(scope, receive, with_headers)
