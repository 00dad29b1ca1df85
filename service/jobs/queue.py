"""The job queue, kept in the ``jobs`` table.

A worker (thread or Celery task) owns a job while it holds a lease: ``claim`` sets
``status='running'`` and ``lease_until`` in one conditional UPDATE, so exactly one
claimant wins on SQLite and PostgreSQL alike; the owner renews the lease while it works
(``heartbeat``). A worker that dies stops renewing, and ``reap_expired`` hands the job
back to the queue, or fails it after ``job_max_attempts`` interruptions so a recording
that kills its worker cannot loop forever. Finishing is conditional on still owning
the job, so a worker that lost its lease cannot overwrite its successor's result.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import and_, delete, or_, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Session
from sqlalchemy.sql import Executable

from listenlens.service.db.database import Database
from listenlens.service.db.models import Job, utcnow

ANALYZE = "analyze"
WEBHOOK = "webhook"


@dataclass(frozen=True)
class Claimed:
    id: int
    kind: str
    tenant_id: str
    call_id: str | None
    delivery_id: str | None
    attempts: int


def enqueue(
    session: Session,
    kind: str,
    tenant_id: str,
    *,
    call_id: str | None = None,
    delivery_id: str | None = None,
    run_after: datetime | None = None,
) -> Job:
    """Add a job in the caller's transaction; dispatch it after the commit."""
    job = Job(kind=kind, tenant_id=tenant_id, call_id=call_id, delivery_id=delivery_id, run_after=run_after or utcnow())
    session.add(job)
    session.flush()
    return job


def _changed(session: Session, statement: Executable) -> CursorResult[Any]:
    """Run an UPDATE or DELETE; its result says how many rows it changed."""
    return cast(CursorResult[Any], session.execute(statement))


class JobQueue:
    def __init__(self, db: Database, lease_s: float, max_attempts: int):
        self.db = db
        self.lease = timedelta(seconds=lease_s)
        self.max_attempts = max_attempts

    def claim_next(self, worker: str, kinds: Iterable[str], *, skip_tenants: Collection[str] = ()) -> Claimed | None:
        """The oldest due job of ``kinds``, not of a tenant in ``skip_tenants``."""
        kinds = list(kinds)
        now = utcnow()
        with self.db.session() as s:
            q = select(Job.id).where(Job.status == "queued", Job.kind.in_(kinds), Job.run_after <= now)
            if skip_tenants:
                q = q.where(Job.tenant_id.not_in(list(skip_tenants)))
            ids = s.scalars(q.order_by(Job.run_after, Job.id).limit(5)).all()
        for job_id in ids:
            got = self.claim(job_id, worker)
            if got is not None:
                return got
        return None

    def claim(self, job_id: int, worker: str) -> Claimed | None:
        """Take ``job_id`` if it is queued and due; None when someone else has it or it is done."""
        now = utcnow()
        with self.db.session() as s:
            res = _changed(s,
                update(Job)
                .where(Job.id == job_id, Job.status == "queued", Job.run_after <= now)
                .values(status="running", claimed_by=worker, lease_until=now + self.lease, attempts=Job.attempts + 1)
            )
            if res.rowcount != 1:
                return None
            job = s.get_one(Job, job_id)
            return Claimed(job.id, job.kind, job.tenant_id, job.call_id, job.delivery_id, job.attempts)

    def heartbeat(self, job_id: int, worker: str) -> bool:
        """Renew the lease; False when the job is no longer ours."""
        with self.db.session() as s:
            res = _changed(s,
                update(Job)
                .where(Job.id == job_id, Job.claimed_by == worker, Job.status == "running")
                .values(lease_until=utcnow() + self.lease)
            )
            return res.rowcount == 1

    def finish(self, job_id: int, worker: str, *, failed: bool = False, error: str | None = None,
               session: Session | None = None) -> bool:
        """Mark our job done/failed. Pass ``session`` to commit it with the job's results."""
        stmt = (
            update(Job)
            .where(Job.id == job_id, Job.claimed_by == worker, Job.status == "running")
            .values(status="failed" if failed else "done", finished_at=utcnow(), lease_until=None, last_error=error)
        )
        if session is not None:
            return _changed(session, stmt).rowcount == 1
        with self.db.session() as s:
            return _changed(s, stmt).rowcount == 1

    def owns(self, session: Session, job_id: int, worker: str) -> bool:
        return (
            session.scalar(
                select(Job.id).where(Job.id == job_id, Job.claimed_by == worker, Job.status == "running")
            )
            is not None
        )

    def release(self, worker: str) -> int:
        """Put our running jobs back (graceful stop); the interrupted attempt does not count."""
        with self.db.session() as s:
            res = _changed(s,
                update(Job)
                .where(Job.claimed_by == worker, Job.status == "running")
                .values(status="queued", claimed_by=None, lease_until=None, dispatched_at=None,
                        attempts=Job.attempts - 1)
            )
            return res.rowcount

    def reap_expired(self) -> tuple[list[int], list[Claimed]]:
        """Requeue jobs whose lease ran out; return (requeued ids, jobs given up on)."""
        now = utcnow()
        requeued: list[int] = []
        given_up: list[Claimed] = []
        with self.db.session() as s:
            rows = s.scalars(select(Job).where(Job.status == "running", Job.lease_until < now)).all()
            for job in rows:
                cond = and_(Job.id == job.id, Job.status == "running", Job.lease_until < now)
                if job.attempts >= self.max_attempts:
                    res = _changed(s, update(Job).where(cond).values(
                        status="failed", finished_at=now, lease_until=None,
                        last_error=f"interrupted {job.attempts} times"))
                    if res.rowcount == 1:
                        given_up.append(Claimed(job.id, job.kind, job.tenant_id, job.call_id, job.delivery_id, job.attempts))
                else:
                    res = _changed(s, update(Job).where(cond).values(
                        status="queued", claimed_by=None, lease_until=None, dispatched_at=None))
                    if res.rowcount == 1:
                        requeued.append(job.id)
        return requeued, given_up

    def due_undispatched(self, redispatch_after_s: float, limit: int = 100) -> list[int]:
        """Queued, due jobs never sent to the broker (or sent long ago and still waiting)."""
        now = utcnow()
        stale = now - timedelta(seconds=redispatch_after_s)
        with self.db.session() as s:
            return list(s.scalars(
                select(Job.id)
                .where(Job.status == "queued", Job.run_after <= now,
                       or_(Job.dispatched_at.is_(None), Job.dispatched_at < stale))
                .order_by(Job.run_after, Job.id)
                .limit(limit)
            ).all())

    def mark_dispatched(self, job_id: int) -> None:
        with self.db.session() as s:
            s.execute(update(Job).where(Job.id == job_id).values(dispatched_at=utcnow()))

    def prune(self, older_than_days: float = 7.0) -> int:
        cutoff = utcnow() - timedelta(days=older_than_days)
        with self.db.session() as s:
            res = _changed(s, delete(Job).where(Job.status.in_(("done", "failed")), Job.finished_at < cutoff))
            return res.rowcount

    def pending_for_call(self, session: Session, call_id: str) -> int:
        return len(session.scalars(
            select(Job.id).where(Job.call_id == call_id, Job.status.in_(("queued", "running")))
        ).all())
