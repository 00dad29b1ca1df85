"""Trackers per tenant: named phrase lists (competitors, pricing, legal ...) that every call
the tenant scores is searched for; each hit is a moment on the call's scorecard.

Listed, created or replaced by name, deleted; every query is by tenant. ``for_scoring``
gives the job runner the tenant's trackers as ``ScorecardConfig.trackers`` takes them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import CursorResult, delete, select
from sqlalchemy.orm import Session

from listenlens.pipeline.metrics import TrackerError
from listenlens.pipeline.metrics.trackers import compile_trackers
from listenlens.service.db.models import Tracker, iso, utcnow
from listenlens.service.domain.errors import InvalidField, NotFound
from listenlens.service.domain.fields import text_field

MAX_TRACKER_NAME = 100  # String(100)
MAX_PHRASES = 200
MAX_PHRASE = 200
MAX_TRACKERS = 100  # per tenant: each is searched in every call


def name_field(name: str | None) -> str:
    value = text_field("tracker name", name, MAX_TRACKER_NAME)
    if not value:
        raise InvalidField("the tracker name is empty: name it, e.g. competitors or pricing")
    return value


def phrases_field(name: str, phrases: Sequence[Any] | None) -> list[str]:
    """The phrases stripped, blanks and repeats dropped; refused when none is left or one cannot match."""
    if phrases is None or isinstance(phrases, str) or not isinstance(phrases, (list, tuple)):
        raise InvalidField(f"tracker {name!r}: give its phrases as a list of strings, e.g. [\"price\", \"discount\"]")
    if len(phrases) > MAX_PHRASES:
        raise InvalidField(f"tracker {name!r} has {len(phrases)} phrases; the limit is {MAX_PHRASES}: split it in two")
    out: list[str] = []
    for p in phrases:
        if not isinstance(p, str):
            raise InvalidField(f"tracker {name!r}: every phrase is a string; {p!r} is not")
        value = text_field("a phrase", p, MAX_PHRASE)
        if value and value.lower() not in {x.lower() for x in out}:
            out.append(value)
    if not out:
        raise InvalidField(f"tracker {name!r} has no phrases: give at least one word or phrase to listen for")
    try:
        compile_trackers({name: out})
    except TrackerError as exc:
        raise InvalidField(exc.message) from None
    return out


def view(t: Tracker) -> dict[str, Any]:
    return {"name": t.name, "phrases": list(t.phrases), "created_at": iso(t.created_at), "updated_at": iso(t.updated_at)}


def list_trackers(session: Session, tenant_id: str) -> list[dict[str, Any]]:
    rows = session.scalars(select(Tracker).where(Tracker.tenant_id == tenant_id).order_by(Tracker.name))
    return [view(t) for t in rows]


def _find(session: Session, tenant_id: str, name: str) -> Tracker | None:
    return session.scalars(select(Tracker).where(Tracker.tenant_id == tenant_id, Tracker.name == name)).first()


def get(session: Session, tenant_id: str, name: str) -> dict[str, Any]:
    t = _find(session, tenant_id, name_field(name))
    if t is None:
        raise NotFound("tracker")
    return view(t)


def put(session: Session, tenant_id: str, name: str, phrases: Sequence[Any] | None) -> tuple[dict[str, Any], bool]:
    """Create or replace the tracker; (its view, whether it was created)."""
    name = name_field(name)
    clean = phrases_field(name, phrases)
    t = _find(session, tenant_id, name)
    created = t is None
    if t is None:
        count = len(session.scalars(select(Tracker.id).where(Tracker.tenant_id == tenant_id)).all())
        if count >= MAX_TRACKERS:
            raise InvalidField(f"this tenant has {count} trackers, the limit: delete one or add phrases to one")
        t = Tracker(tenant_id=tenant_id, name=name, phrases=clean, created_at=utcnow())
        session.add(t)
    else:
        t.phrases = clean
    t.updated_at = utcnow()
    session.flush()
    return view(t), created


def remove(session: Session, tenant_id: str, name: str) -> None:
    stmt = delete(Tracker).where(Tracker.tenant_id == tenant_id, Tracker.name == name_field(name))
    done = cast(CursorResult[Any], session.execute(stmt))  # a DELETE's result counts its rows
    if not done.rowcount:
        raise NotFound("tracker")


def for_scoring(session: Session, tenant_id: str) -> dict[str, list[str]]:
    """The tenant's trackers as ``ScorecardConfig.trackers`` takes them."""
    rows = session.scalars(select(Tracker).where(Tracker.tenant_id == tenant_id).order_by(Tracker.name))
    return {t.name: list(t.phrases) for t in rows}
