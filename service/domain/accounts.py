"""People who sign in to the pages: users of one tenant, each an admin, a coach or a rep.

- an **admin** sees the tenant's calls and trends and manages its users;
- a **coach** sees the tenant's calls and trends;
- a **rep** sees only the calls carrying their rep name (``User.rep``).

What someone may see is a ``Viewer``; the domain's read functions take its
``only_rep`` and refuse (``NotFound``) any call outside it, so a page or a data route
cannot show a rep another rep's call by forgetting a check.

Passwords are hashed with argon2id (``argon2-cffi``'s ``PasswordHasher`` defaults) and
rehashed at the next sign-in when those defaults change. After
``login_max_failures`` wrong passwords in a row an account refuses sign-in for
``login_lockout_s``; the error never says which of email, password or lockout was wrong.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from listenlens.errors import ListenlensError
from listenlens.service.db.models import Tenant, UiSession, User, utcnow
from listenlens.service.domain.auth import get_or_create_tenant
from listenlens.service.domain.errors import NotFound

MIN_PASSWORD = 10
MAX_PASSWORD = 1024  # argon2 takes any length; a bound keeps a megabyte "password" from costing anything extra


class Role(str, enum.Enum):
    admin = "admin"
    coach = "coach"
    rep = "rep"


class AccountError(ListenlensError):
    code = "invalid_request"
    http_status = 400


@dataclass(frozen=True)
class Viewer:
    """Who is looking: a user of a tenant, or an API key (``user_id`` None, the whole tenant)."""

    tenant_id: str
    tenant_name: str
    role: Role
    user_id: int | None = None
    email: str | None = None
    rep: str | None = None

    @property
    def only_rep(self) -> str | None:
        """The one rep whose calls this viewer may see; None: every call of the tenant."""
        return self.rep if self.role is Role.rep else None

    @property
    def is_admin(self) -> bool:
        return self.role is Role.admin and self.user_id is not None

    @classmethod
    def of_user(cls, user: User, tenant_name: str) -> Viewer:
        return cls(user.tenant_id, tenant_name, Role(user.role), user.id, user.email, user.rep)

    @classmethod
    def of_key(cls, tenant: Tenant) -> Viewer:
        return cls(tenant.id, tenant.name, Role.coach)


@dataclass(frozen=True)
class UserInfo:
    id: int
    tenant: str
    email: str
    role: str
    rep: str | None
    created_at: datetime
    last_login_at: datetime | None
    locked: bool


@cache
def _hasher():
    from argon2 import PasswordHasher

    return PasswordHasher()


@cache
def _dummy_hash() -> str:
    return _hasher().hash("not a password of anyone")


def normalise_email(email: str) -> str:
    text = (email or "").strip().lower()
    if "@" not in text or text.startswith("@") or text.endswith("@") or len(text) > 320 or any(c.isspace() for c in text):
        raise AccountError(f"{email!r} is not an email address: give one such as coach@example.com")
    return text


def check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"the password is too short: use at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise AccountError(f"the password is too long: use at most {MAX_PASSWORD} characters")
    return password


def hash_password(password: str) -> str:
    return _hasher().hash(check_password(password))


def _role(role: str | Role) -> Role:
    try:
        return Role(role)
    except ValueError:
        raise AccountError(f"unknown role {role!r}: use admin, coach or rep") from None


def _rep_for(role: Role, rep: str | None) -> str | None:
    rep = (rep or "").strip() or None
    if role is Role.rep and rep is None:
        raise AccountError("a rep user needs the rep name their calls carry (--rep NAME)")
    return rep


def create_user(session: Session, tenant_name: str, email: str, password: str, *, role: str | Role = Role.coach,
                rep: str | None = None) -> User:
    """A new user of ``tenant_name`` (created if new). Emails are unique across tenants."""
    role = _role(role)
    email = normalise_email(email)
    rep = _rep_for(role, rep)
    if session.scalar(select(User.id).where(User.email == email)) is not None:
        raise AccountError(f"a user {email} already exists: pick another email or delete that user first")
    tenant = get_or_create_tenant(session, tenant_name)
    user = User(tenant_id=tenant.id, email=email, role=role.value, rep=rep, password_hash=hash_password(password),
                failed_logins=0)
    session.add(user)
    session.flush()
    return user


def find_user(session: Session, email: str) -> User:
    user = session.scalar(select(User).where(User.email == normalise_email(email)))
    if user is None:
        raise AccountError(f"no user {email.strip().lower()}: see `listenlens users list`")
    return user


def tenant_user(session: Session, tenant_id: str, user_id: int) -> User:
    """The tenant's user ``user_id``; ``NotFound`` for another tenant's, like a missing one."""
    user = session.get(User, user_id)
    if user is None or user.tenant_id != tenant_id:
        raise NotFound("user")
    return user


def list_users(session: Session, tenant_name: str | None = None, *, tenant_id: str | None = None) -> list[UserInfo]:
    q = select(User, Tenant.name).join(Tenant, Tenant.id == User.tenant_id).order_by(Tenant.name, User.email)
    if tenant_name is not None:
        q = q.where(Tenant.name == tenant_name)
    if tenant_id is not None:
        q = q.where(User.tenant_id == tenant_id)
    now = utcnow()
    return [UserInfo(u.id, tname, u.email, u.role, u.rep, u.created_at, u.last_login_at,
                     u.locked_until is not None and u.locked_until > now)
            for u, tname in session.execute(q).all()]


def _other_admins(session: Session, user: User) -> int:
    return session.scalar(select(func.count()).select_from(User).where(
        User.tenant_id == user.tenant_id, User.role == Role.admin.value, User.id != user.id)) or 0


def set_role(session: Session, user: User, role: str | Role, rep: str | None = None) -> None:
    role = _role(role)
    rep = _rep_for(role, rep if rep is not None else user.rep)
    if user.role == Role.admin.value and role is not Role.admin and not _other_admins(session, user):
        raise AccountError(f"{user.email} is the tenant's last admin: make someone else admin first")
    user.role, user.rep = role.value, rep
    session.flush()


def delete_user(session: Session, user: User) -> None:
    """Delete the user and end their sessions at once."""
    if user.role == Role.admin.value and not _other_admins(session, user):
        raise AccountError(f"{user.email} is the tenant's last admin: make someone else admin first")
    end_user_sessions(session, user.id)
    session.delete(user)
    session.flush()


def set_password(session: Session, user: User, password: str) -> None:
    """A new password; it also lifts a lockout and signs the user out everywhere."""
    user.password_hash = hash_password(password)
    user.failed_logins, user.locked_until = 0, None
    end_user_sessions(session, user.id)
    session.flush()


def end_user_sessions(session: Session, user_id: int) -> None:
    from sqlalchemy import delete

    session.execute(delete(UiSession).where(UiSession.user_id == user_id))


def verify_sign_in(session: Session, email: str, password: str, *, max_failures: int,
                   lockout_s: float) -> Viewer | None:
    """The viewer for a right email and password, else None (whatever was wrong).

    Every path costs one argon2 verification, so timing does not tell a known email
    from an unknown one. The failure count is written in the caller's transaction.
    """
    from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

    ph = _hasher()
    try:
        email = normalise_email(email)
    except AccountError:
        email = ""
    user = session.scalar(select(User).where(User.email == email)) if email else None
    now = utcnow()
    if user is None or (user.locked_until is not None and user.locked_until > now):
        try:
            ph.verify(_dummy_hash(), password[:MAX_PASSWORD])
        except VerificationError:
            pass
        return None
    try:
        ph.verify(user.password_hash, password[:MAX_PASSWORD])
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        user.failed_logins = (user.failed_logins or 0) + 1
        if user.failed_logins >= max_failures:
            user.failed_logins, user.locked_until = 0, now + timedelta(seconds=lockout_s)
        return None
    user.failed_logins, user.locked_until, user.last_login_at = 0, None, now
    if ph.check_needs_rehash(user.password_hash):
        user.password_hash = ph.hash(password)
    tenant_name = session.scalar(select(Tenant.name).where(Tenant.id == user.tenant_id)) or ""
    return Viewer.of_user(user, tenant_name)
