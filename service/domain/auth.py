"""API keys: created and revoked from the CLI, stored hashed, each owned by one tenant.

A key reads ``ll_<prefix>_<secret>``. The prefix (public, unique) finds the row; the
whole key's SHA-256 is what is stored and compared. The secret part carries 256 bits
from ``secrets``, so a fast hash is enough: there is nothing to brute-force (a slow
password hash only helps low-entropy, human-chosen secrets).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from listenlens.errors import ListenlensError
from listenlens.service.db.models import ApiKey, Tenant, utcnow

KEY_PREFIX = "ll_"


@dataclass(frozen=True)
class KeyInfo:
    prefix: str
    tenant: str
    name: str | None
    created_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def get_or_create_tenant(session: Session, name: str) -> Tenant:
    name = name.strip()
    if not name:
        raise ListenlensError("tenant name is empty: give a name such as `acme`")
    tenant = session.scalar(select(Tenant).where(Tenant.name == name))
    if tenant is None:
        tenant = Tenant(id=uuid.uuid4().hex, name=name)
        session.add(tenant)
        session.flush()
    return tenant


def choose_tenant(session: Session, name: str | None) -> Tenant:
    """The tenant called ``name``; without a name, the only tenant there is."""
    tenants = list(session.scalars(select(Tenant).order_by(Tenant.name)).all())
    if name is not None:
        chosen = next((t for t in tenants if t.name == name), None)
        if chosen is None:
            known = ", ".join(t.name for t in tenants) or "none"
            raise ListenlensError(f"no tenant named {name!r} (tenants: {known})")
        return chosen
    if len(tenants) == 1:
        return tenants[0]
    if not tenants:
        raise ListenlensError("the database has no tenants yet: create one with `listenlens keys create TENANT`")
    raise ListenlensError(f"{len(tenants)} tenants in the database: name one with --tenant "
                          f"({', '.join(t.name for t in tenants)})")


def create_key(session: Session, tenant_name: str, name: str | None = None) -> str:
    """Make a new key for ``tenant_name`` (created if new); return the key, shown once."""
    tenant = get_or_create_tenant(session, tenant_name)
    prefix = secrets.token_hex(6)
    key = f"{KEY_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    session.add(ApiKey(tenant_id=tenant.id, prefix=prefix, key_hash=hash_key(key), name=name))
    session.flush()
    return key


def key_prefix(key_or_prefix: str) -> str:
    text = key_or_prefix.strip()
    if text.startswith(KEY_PREFIX):
        text = text[len(KEY_PREFIX) :]
    return text.split("_", 1)[0]


def revoke_key(session: Session, key_or_prefix: str) -> bool:
    """Revoke by the full key or its prefix; False when no active key matches."""
    row = session.scalar(select(ApiKey).where(ApiKey.prefix == key_prefix(key_or_prefix)))
    if row is None or row.revoked_at is not None:
        return False
    row.revoked_at = utcnow()
    return True


def list_keys(session: Session, tenant_name: str | None = None) -> list[KeyInfo]:
    q = select(ApiKey, Tenant.name).join(Tenant, Tenant.id == ApiKey.tenant_id).order_by(Tenant.name, ApiKey.created_at)
    if tenant_name:
        q = q.where(Tenant.name == tenant_name)
    return [
        KeyInfo(k.prefix, tname, k.name, k.created_at, k.revoked_at, k.last_used_at)
        for k, tname in session.execute(q).all()
    ]


def active_key_tenant_name(session: Session, tenant_id: str, prefix: str) -> str | None:
    """The tenant's name while its key ``prefix`` is active, else None (revoked or unknown)."""
    row = session.execute(
        select(ApiKey.revoked_at, Tenant.name)
        .join(Tenant, Tenant.id == ApiKey.tenant_id)
        .where(ApiKey.prefix == prefix, ApiKey.tenant_id == tenant_id)
    ).first()
    if row is None or row.revoked_at is not None:
        return None
    return row.name


def authenticate(session: Session, key: str) -> Tenant | None:
    """The tenant owning an active ``key``, else None. Constant-time hash comparison."""
    if not key.startswith(KEY_PREFIX):
        return None
    row = session.scalar(select(ApiKey).where(ApiKey.prefix == key_prefix(key)))
    if row is None or row.revoked_at is not None:
        return None
    if not hmac.compare_digest(row.key_hash, hash_key(key)):
        return None
    now = utcnow()
    # Touch at most once a minute: a write per request would serialize SQLite readers.
    if row.last_used_at is None or (now - row.last_used_at).total_seconds() > 60:
        row.last_used_at = now
    return session.get(Tenant, row.tenant_id)
