"""Every error the API answers is ``{"error": {"code", "message"}}`` with its HTTP status."""

from __future__ import annotations

import logging

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from listenlens.errors import ListenlensError

log = logging.getLogger("listenlens.service")


class ApiError(Exception):
    """Answered as ``{"error": {"code", "message"}}`` with ``status``."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def error_response(status: int, code: str, message: str, *, headers: dict[str, str] | None = None,
                   **extra) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message, **extra}}, status_code=status, headers=headers)


RETRY_AFTER_S = 5


def unavailable(message: str) -> JSONResponse:
    """``503`` with ``Retry-After``: the service is up but cannot take this request right now."""
    return error_response(503, "unavailable", message, headers={"Retry-After": str(RETRY_AFTER_S)})


_HTTP_CODES = {400: "invalid_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
               405: "method_not_allowed", 409: "conflict", 413: "too_large", 415: "unsupported_media_type"}


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(_request, exc: ApiError):
        return error_response(exc.status, exc.code, exc.message)

    @app.exception_handler(ListenlensError)
    async def _listenlens_error(_request, exc: ListenlensError):
        if exc.http_status == 503:
            return unavailable(exc.message)
        return error_response(exc.http_status, exc.code, exc.message)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_request, exc: StarletteHTTPException):
        # Keeps the exception's headers: Allow on a 405, WWW-Authenticate on a 401.
        return error_response(exc.status_code, _HTTP_CODES.get(exc.status_code, f"http_{exc.status_code}"),
                              str(exc.detail), headers=getattr(exc, "headers", None))

    @app.exception_handler(OperationalError)
    async def _database_unavailable(_request, exc: OperationalError):
        # A locked SQLite file, a full disk, a database server that went away: the request
        # was fine, the store was not; the client may retry it as it is.
        log.warning("database unavailable: %s", exc.orig if exc.orig is not None else exc)
        reason = str(exc.orig if exc.orig is not None else exc).splitlines()[0][:200]
        return unavailable(f"the database cannot take this request right now ({reason}); retry in a few seconds")

    @app.exception_handler(DataError)
    async def _data_error(_request, exc: DataError):
        log.warning("database refused a value: %s", exc.orig if exc.orig is not None else exc)
        return error_response(422, "invalid_request", "a value is out of the range the database stores: "
                                                      "shorten it or give a smaller number")

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
        # Answered outside the other middleware (Starlette's ServerErrorMiddleware): the headers go on here.
        from listenlens.service.api.guards import PAGE_CSP, SECURITY_HEADERS

        return error_response(500, "internal_error", f"internal error ({exc.__class__.__name__}); it has been logged",
                              headers={"Content-Security-Policy": PAGE_CSP, **SECURITY_HEADERS})
