"""Erasing everything a tenant holds about one rep: a rep who left, a GDPR erasure request.

What carries a rep's name, and goes:

- their calls (``calls.rep``), each with its results (scorecard, transcript), its jobs not
  yet run, its webhook deliveries and their attempts, and its stored recording;
- their voiceprint (``voiceprints.rep``: the embedding; no audio is ever kept);
- the sign-in accounts of role ``rep`` filed under the name (``users.rep``), whose sessions
  end with them; an admin's or a coach's leftover rep name is cleared, the account stays.

Trends, team medians and week exports are computed from the calls when asked for, so
they lose the rep with the calls; nothing else stores the name.

The calls' rows are taken with an UPDATE before anything else, and the worker writes
an analysis' result the same way (``calls.hold``): on PostgreSQL the two wait for each
other on the call row, on SQLite on the write lock. Either the result lands first and is
deleted with the call, or the erasure does and the result is dropped; a webhook event the
result queued is deleted before it is sent.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from listenlens.errors import ListenlensError
from listenlens.service.db.models import (
    Call,
    CallResult,
    Job,
    User,
    Voiceprint,
    WebhookDelivery,
)
from listenlens.service.domain import calls as calls_domain
from listenlens.service.domain.accounts import Role, end_user_sessions
from listenlens.service.domain.errors import NotFound
from listenlens.service.domain.voiceprints import rep_field

log = logging.getLogger("listenlens.service")


@dataclass(frozen=True)
class RepData:
    """How much the tenant holds about a rep (what an erasure removes, or removed)."""

    rep: str
    calls: int = 0
    scorecards: int = 0
    recordings: int = 0
    jobs: int = 0  # analyses and webhook sends not yet run
    webhook_deliveries: int = 0
    voiceprints: int = 0
    users: int = 0  # accounts of role rep filed under the name

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def empty(self) -> bool:
        return not any((self.calls, self.voiceprints, self.users))


class UnknownRep(NotFound):
    def __init__(self, rep: str):
        ListenlensError.__init__(self, f"no call, voiceprint or rep account of this tenant carries the rep name {rep!r}: "
                                       "check the spelling and case (the calls list shows each call's rep)")


def _count(session: Session, stmt) -> int:
    return int(session.scalar(stmt) or 0)


def footprint(session: Session, tenant_id: str, rep: str) -> RepData:
    """What an erasure of ``rep`` would remove now (nothing is changed)."""
    rep = rep_field(rep)
    call_ids = select(Call.id).where(Call.tenant_id == tenant_id, Call.rep == rep)
    return RepData(
        rep=rep,
        calls=_count(session, select(func.count()).select_from(Call).where(Call.tenant_id == tenant_id,
                                                                            Call.rep == rep)),
        scorecards=_count(session, select(func.count()).select_from(CallResult)
                          .where(CallResult.call_id.in_(call_ids))),
        recordings=_count(session, select(func.count()).select_from(Call).where(
            Call.tenant_id == tenant_id, Call.rep == rep, Call.recording_key.is_not(None))),
        jobs=_count(session, select(func.count()).select_from(Job).where(
            Job.tenant_id == tenant_id, Job.call_id.in_(call_ids), Job.status.in_(("queued", "running")))),
        webhook_deliveries=_count(session, select(func.count()).select_from(WebhookDelivery).where(
            WebhookDelivery.tenant_id == tenant_id, WebhookDelivery.call_id.in_(call_ids))),
        voiceprints=_count(session, select(func.count()).select_from(Voiceprint).where(
            Voiceprint.tenant_id == tenant_id, Voiceprint.rep == rep)),
        users=_count(session, select(func.count()).select_from(User).where(
            User.tenant_id == tenant_id, User.rep == rep, User.role == Role.rep.value)),
    )


def known_reps(session: Session, tenant_id: str) -> list[RepData]:
    """Every rep name the tenant holds something about (calls, a voiceprint, rep accounts), in name order."""
    calls = dict(session.execute(select(Call.rep, func.count()).where(Call.tenant_id == tenant_id, Call.rep.is_not(None))
                                 .group_by(Call.rep)).all())
    voices = dict(session.execute(select(Voiceprint.rep, func.count()).where(Voiceprint.tenant_id == tenant_id)
                                  .group_by(Voiceprint.rep)).all())
    users = dict(session.execute(select(User.rep, func.count()).where(
        User.tenant_id == tenant_id, User.role == Role.rep.value, User.rep.is_not(None)).group_by(User.rep)).all())
    names = sorted(name for name in set(calls) | set(voices) | set(users) if name is not None)
    return [RepData(rep=name, calls=calls.get(name, 0), voiceprints=voices.get(name, 0), users=users.get(name, 0))
            for name in names]


def preview(session: Session, tenant_id: str, rep: str) -> RepData:
    """``footprint``, or ``NotFound`` when the tenant holds nothing about ``rep``."""
    found = footprint(session, tenant_id, rep)
    if found.empty:
        raise UnknownRep(found.rep)
    return found


def erase(runtime, tenant_id: str, rep: str) -> RepData:
    """Delete every call, recording, result, pending job and webhook delivery of ``rep`` in
    the tenant, their voiceprint and their rep accounts; return what was removed.

    ``NotFound`` when the tenant holds nothing about the rep (never did, or it was erased).
    """
    rep = rep_field(rep)
    with runtime.db.session() as s:
        # The UPDATE takes the rows (and SQLite's write lock) first: a worker writing a
        # result for one of these calls either finished already or waits and finds it gone.
        s.execute(update(Call).where(Call.tenant_id == tenant_id, Call.rep == rep).values(status=Call.status)
                  .execution_options(synchronize_session=False))
        before = footprint(s, tenant_id, rep)
        if before.empty:
            raise UnknownRep(rep)
        keys = []
        for call in s.scalars(select(Call).where(Call.tenant_id == tenant_id, Call.rep == rep)).all():
            key = calls_domain.purge(s, call)
            if key:
                keys.append(key)
        s.execute(delete(Voiceprint).where(Voiceprint.tenant_id == tenant_id, Voiceprint.rep == rep))
        for user in s.scalars(select(User).where(User.tenant_id == tenant_id, User.rep == rep)).all():
            if user.role == Role.rep.value:
                end_user_sessions(s, user.id)
                s.delete(user)
            else:
                user.rep = None  # meaningless outside the rep role; kept, it would file a future rep role under it
    removed = 0
    for key in keys:
        try:
            existed = runtime.storage.exists(key)
            runtime.storage.delete(key)
            removed += existed
        except OSError as exc:
            # The rows are gone; housekeeping deletes a stored file no call points at.
            log.warning("erasing %s: could not delete %s now (%s); housekeeping will", rep, key, exc)
    return RepData(rep=rep, calls=before.calls, scorecards=before.scorecards, recordings=removed, jobs=before.jobs,
                   webhook_deliveries=before.webhook_deliveries, voiceprints=before.voiceprints, users=before.users)
