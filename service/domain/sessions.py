"""Server-side page sessions: a random token in the cookie, its SHA-256 in ``ui_sessions``.

A session belongs to a user and carries that session's CSRF token. It ends when it
expires, at sign-out (the row is deleted, so a saved cookie stops working at once),
when the user is deleted or gets a new password. Each request re-reads the user, so a
role change applies at once. The token has 256 random bits, so a fast hash is enough:
a stolen database does not hand out live sessions.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from listenlens.service.db.models import Tenant, UiSession, User, utcnow
from listenlens.service.domain.accounts import Viewer

TOUCH_EVERY_S = 60  # last_seen_at is written at most this often: a write per request would serialize SQLite


@dataclass(frozen=True)
class SignedIn:
    viewer: Viewer
    csrf_token: str


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(session: Session, viewer: Viewer, *, hours: float, replaces: str | None = None) -> str:
    """A new session for the signed-in ``viewer``; returns the cookie token.

    ``replaces`` (the cookie the browser came with) is ended first, so signing in
    always gets a fresh id and a planted one is worthless. Expired sessions are
    swept out here too.
    """
    now = utcnow()
    if replaces:
        end_session(session, replaces)
    session.execute(delete(UiSession).where(UiSession.expires_at <= now))
    token = secrets.token_urlsafe(32)
    session.add(UiSession(id_hash=_hash(token), user_id=viewer.user_id, csrf_token=secrets.token_urlsafe(32),
                          created_at=now, last_seen_at=now, expires_at=now + timedelta(hours=hours)))
    session.flush()
    return token


def read_session(session: Session, token: str | None) -> SignedIn | None:
    """The viewer and CSRF token of a live session, else None (unknown, ended or expired)."""
    if not token or len(token) > 200:
        return None
    row = session.execute(
        select(UiSession, User, Tenant.name)
        .join(User, User.id == UiSession.user_id)
        .join(Tenant, Tenant.id == User.tenant_id)
        .where(UiSession.id_hash == _hash(token))
    ).first()
    if row is None:
        return None
    ui, user, tenant_name = row
    now = utcnow()
    if ui.expires_at <= now:
        session.delete(ui)
        return None
    if (now - ui.last_seen_at).total_seconds() > TOUCH_EVERY_S:
        ui.last_seen_at = now
    return SignedIn(Viewer.of_user(user, tenant_name), ui.csrf_token)


def end_session(session: Session, token: str) -> None:
    session.execute(delete(UiSession).where(UiSession.id_hash == _hash(token)))
