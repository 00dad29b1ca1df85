"""Request plumbing shared by the routes: the runtime, the caller's tenant, query values."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from listenlens.service.api.errors import ApiError
from listenlens.service.domain.auth import authenticate
from listenlens.service.runtime import Runtime


@dataclass(frozen=True)
class Caller:
    tenant_id: str
    tenant_name: str


_bearer = HTTPBearer(auto_error=False, description="an API key from `listenlens keys create TENANT`")


def get_runtime(request: Request) -> Runtime:
    return request.app.state.runtime


def current_caller(
    request: Request,
    creds: HTTPAuthorizationCredentials | None = Depends(_bearer),
) -> Caller:
    if creds is None or creds.scheme.lower() != "bearer" or not creds.credentials:
        raise ApiError(401, "unauthorized",
                       "send an API key as `Authorization: Bearer KEY` (create one with `listenlens keys create TENANT`)")
    rt = get_runtime(request)
    with rt.db.session() as s:
        tenant = authenticate(s, creds.credentials.strip())
        if tenant is None:
            raise ApiError(401, "unauthorized", "the API key is unknown or revoked: create one with `listenlens keys create TENANT`")
        return Caller(tenant.id, tenant.name)


def parse_time(text: str, field: str) -> datetime:
    """An ISO 8601 date or time as naive UTC; ``400`` for anything else, or a time UTC cannot hold."""
    shown = text if len(text) <= 60 else text[:60] + "..."
    try:
        when = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
        if when.tzinfo is not None:
            when = when.astimezone(timezone.utc).replace(tzinfo=None)
    except ValueError:
        raise ApiError(400, "invalid_request",
                       f"{field}={shown!r} is not an ISO 8601 date or time, e.g. 2026-11-18T14:05:00Z") from None
    except OverflowError:
        # 0001-01-01T00:00:00+01:00 is in year 0 once moved to UTC.
        raise ApiError(400, "invalid_request",
                       f"{field}={shown!r} is outside the years 0001 to 9999 once moved to UTC") from None
    return when
