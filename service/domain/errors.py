"""What a request can get wrong about the service's data; the API answers each with its status.

Each is a ``ListenlensError``, so the API's handler turns it into
``{"error": {"code", "message"}}`` with ``http_status``, and the CLI prints its line.
"""

from __future__ import annotations

from listenlens.errors import ListenlensError


class InvalidRequest(ListenlensError):
    code = "invalid_request"
    http_status = 400


class NotFound(ListenlensError):
    """Also what another tenant's row answers, so ids never leak across tenants."""

    code = "not_found"
    http_status = 404

    def __init__(self, what: str = "call"):
        super().__init__(f"no such {what} for this API key")


class NotReady(ListenlensError):
    code = "not_ready"
    http_status = 409


class Gone(ListenlensError):
    code = "gone"
    http_status = 410


class TooLarge(ListenlensError):
    code = "too_large"
    http_status = 413


class InvalidField(ListenlensError):
    """A text field is too long, empty where a value is needed, or holds control characters."""

    code = "invalid_request"
    http_status = 422


class Unavailable(ListenlensError):
    """The database or the recordings store cannot take a write right now; the client should retry."""

    code = "unavailable"
    http_status = 503
    retry_after_s = 5
