"""Signing in to the coaching pages: an API key exchanged for a signed session cookie.

The cookie holds ``tenant id | key prefix | expiry``, signed with HMAC-SHA256 under a
server secret (``LISTENLENS_UI_SECRET``, else a random one kept in
``LISTENLENS_HOME/ui-secret``). Each request re-checks that the key behind the session
is still active, so revoking a key also signs its sessions out. The key itself never
lands in the cookie.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from fastapi import Request

from listenlens.service.api.deps import Caller
from listenlens.service.domain.auth import active_key_tenant_name, authenticate, key_prefix

COOKIE = "listenlens_session"
SESSION_S = 12 * 3600  # a working day; a coach signs in again the next morning


@dataclass(frozen=True)
class Session:
    tenant_id: str
    prefix: str
    expires: int


def server_secret(home: Path, configured: str | None = None) -> bytes:
    """``configured`` (the ``service.ui_secret`` setting), else a random secret kept under ``home``."""
    if configured:
        return configured.encode()
    path = home / "ui-secret"
    if not path.exists():
        tmp = home / f".ui-secret.{secrets.token_hex(4)}"
        tmp.write_bytes(secrets.token_bytes(32))
        os.chmod(tmp, 0o600)
        try:
            # link() fails if another process got there first: both then read the winner's.
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            tmp.unlink(missing_ok=True)
    return path.read_bytes()


def _sign(secret: bytes, payload: str) -> str:
    mac = hmac.new(secret, payload.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode().rstrip("=")


def make_cookie(secret: bytes, tenant_id: str, prefix: str, now: float | None = None) -> str:
    expires = int((now or time.time()) + SESSION_S)
    payload = f"{tenant_id}|{prefix}|{expires}"
    return f"{payload}|{_sign(secret, payload)}"


def read_cookie(secret: bytes, value: str | None, now: float | None = None) -> Session | None:
    if not value or value.count("|") != 3:
        return None
    payload, sig = value.rsplit("|", 1)
    if not hmac.compare_digest(sig, _sign(secret, payload)):
        return None
    tenant_id, prefix, expires = payload.split("|")
    if not expires.isdigit() or int(expires) < (now or time.time()):
        return None
    return Session(tenant_id, prefix, int(expires))


def runtime_secret(request: Request) -> bytes:
    rt = request.app.state.runtime
    cached = getattr(rt, "_ui_secret", None)
    if cached is None:
        secret = rt.settings.ui_secret
        cached = server_secret(rt.home, secret.get_secret_value() if secret else None)
        rt._ui_secret = cached
    return cached


def sign_in(request: Request, key: str) -> tuple[Caller, str] | None:
    """The caller and a session cookie value for an active ``key``, else None."""
    rt = request.app.state.runtime
    with rt.db.session() as s:
        tenant = authenticate(s, key.strip())
        if tenant is None:
            return None
        caller = Caller(tenant.id, tenant.name)
    return caller, make_cookie(runtime_secret(request), caller.tenant_id, key_prefix(key))


def caller_from_request(request: Request) -> Caller | None:
    """Who is asking: a bearer key (scripts, tests) or a valid session cookie."""
    rt = request.app.state.runtime
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        with rt.db.session() as s:
            tenant = authenticate(s, auth[7:].strip())
            return Caller(tenant.id, tenant.name) if tenant else None
    session = read_cookie(runtime_secret(request), request.cookies.get(COOKIE))
    if session is None:
        return None
    with rt.db.session() as s:
        name = active_key_tenant_name(s, session.tenant_id, session.prefix)
    return None if name is None else Caller(session.tenant_id, name)
