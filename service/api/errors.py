"""Every error the API answers is ``{"error": {"code", "message"}}`` with its HTTP status."""

from __future__ import annotations

import logging

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from listenlens.errors import ListenlensError

log = logging.getLogger("listenlens.service")


class ApiError(Exception):
    """Answered as ``{"error": {"code", "message"}}`` with ``status``."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def error_response(status: int, code: str, message: str, **extra) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message, **extra}}, status_code=status)


_HTTP_CODES = {400: "invalid_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
               405: "method_not_allowed", 409: "conflict", 413: "too_large", 415: "unsupported_media_type"}


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(_request, exc: ApiError):
        return error_response(exc.status, exc.code, exc.message)

    @app.exception_handler(ListenlensError)
    async def _listenlens_error(_request, exc: ListenlensError):
        return error_response(exc.http_status, exc.code, exc.message)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_request, exc: StarletteHTTPException):
        return error_response(exc.status_code, _HTTP_CODES.get(exc.status_code, f"http_{exc.status_code}"),
                              str(exc.detail))

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_request, exc: RequestValidationError):
        parts = []
        for err in exc.errors():
            where = ".".join(str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path"))
            parts.append(f"{where}: {err.get('msg')}" if where else str(err.get("msg")))
        details = [{"loc": list(e.get("loc", ())), "msg": e.get("msg"), "type": e.get("type")} for e in exc.errors()]
        return error_response(422, "invalid_request", "; ".join(parts) or "invalid request", details=details)

    @app.exception_handler(Exception)
    async def _unexpected(_request, exc: Exception):
        log.exception("unhandled error", exc_info=exc)
        return error_response(500, "internal_error", f"internal error ({exc.__class__.__name__}); it has been logged")


class UploadLimit:
    """Refuse an over-size upload from its Content-Length, before reading the body."""

    def __init__(self, app, max_bytes: int, max_mb: float):
        self.app, self.max_bytes, self.max_mb = app, max_bytes, max_mb

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and scope["method"] == "POST":
            length = dict(scope.get("headers") or []).get(b"content-length")
            # Multipart framing and form fields add a little over the file itself.
            if length is not None and length.isdigit() and int(length) > self.max_bytes + 1_000_000:
                response = error_response(413, "too_large",
                                          f"the upload is over the {self.max_mb:g} MB limit: compress or split the recording")
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)
