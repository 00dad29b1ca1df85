"""Periodic upkeep, run by the in-process worker and by every Celery worker (``start_housekeeping_thread``).

- take back jobs whose worker died (lease expired) and fail those interrupted too often;
- in the scale-out setup, send queued jobs that are due to the broker (webhook retries,
  jobs whose dispatch was lost);
- apply the retention setting: recordings older than ``retention_days`` are deleted,
  their scorecards and metrics stay;
- prune finished job rows;
- remove upload temp folders and stored recordings without a call that a crashed process left behind.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import timedelta

from sqlalchemy import select

from listenlens.service.db.models import Call, Job, utcnow
from listenlens.service.domain import calls
from listenlens.service.jobs.queue import ANALYZE
from listenlens.service.storage import clean_stale_uploads

log = logging.getLogger("listenlens.service")

# A queued job sent to the broker this long ago and still not claimed is sent again.
# Duplicates are harmless (claims are atomic); this only bounds the wait after a lost message.
_REDISPATCH_AFTER_S = 600.0


def reap(runtime) -> list[int]:
    """Requeue jobs of dead workers; fail calls whose job was interrupted too often."""
    from listenlens.service.jobs.runner import fail_call

    requeued, given_up = runtime.queue.reap_expired()
    if requeued:
        with runtime.db.session() as s:
            for call_id in s.scalars(select(Job.call_id).where(Job.id.in_(requeued),
                                                                       Job.kind == ANALYZE)).all():
                call = calls.hold(s, call_id)  # a call erased meanwhile is gone, not an error
                if call is not None and call.status == "processing":
                    call.status, call.progress_stage, call.progress = "queued", "requeued", None
        log.info("requeued %d interrupted job(s)", len(requeued))
    for job in given_up:
        if job.kind == ANALYZE and job.call_id:
            fail_call(runtime, job.call_id, "worker_lost",
                      f"processing was interrupted {job.attempts} times (the worker stopped or ran out of memory); "
                      "upload the call again, or split a very long recording")
    return requeued


def apply_retention(runtime, days: float | None = None, *, now=None) -> int:
    """Delete recordings of finished calls uploaded more than ``days`` ago; return how many."""
    days = runtime.settings.retention_days if days is None else days
    if days is None:
        return 0
    cutoff = (now or utcnow()) - timedelta(days=days)
    removed = 0
    with runtime.db.session() as s:
        rows = s.execute(
            select(Call.id, Call.recording_key)
            .where(Call.recording_key.is_not(None), Call.status.in_(("done", "failed")), Call.created_at < cutoff)
        ).all()
    for call_id, key in rows:
        runtime.storage.delete(key)
        with runtime.db.session() as s:
            call = s.get(Call, call_id)
            if call is not None and call.recording_key == key:
                call.recording_key = None
                call.recording_deleted_at = utcnow()
        removed += 1
    if removed:
        log.info("retention: deleted %d recording(s) older than %s days", removed, days)
    return removed


def sweep_orphan_recordings(runtime, older_than_s: float | None = None, *, now: float | None = None) -> int:
    """Delete stored recordings no call row points at, older than ``older_than_s``; return how many.

    A process killed between storing an upload and committing its call (or between
    deleting a call's rows and its file) leaves such a file. Young files are kept: their
    upload may still be committing.
    """
    older_than_s = runtime.settings.stale_upload_s if older_than_s is None else older_than_s
    now = time.time() if now is None else now
    candidates = [(key, mtime) for key, mtime in runtime.storage.recordings()
                  if mtime is not None and now - mtime > older_than_s]
    if not candidates:
        return 0
    removed = 0
    for start in range(0, len(candidates), 500):
        batch = [key for key, _ in candidates[start:start + 500]]
        with runtime.db.session() as s:
            kept = set(s.scalars(select(Call.recording_key).where(Call.recording_key.in_(batch))).all())
        for key in batch:
            if key not in kept:
                runtime.storage.delete(key)
                removed += 1
    if removed:
        log.info("removed %d stored recording(s) without a call (left by a stopped process)", removed)
    return removed


class Housekeeper:
    """Runs ``tick`` every ``housekeeping_interval_s``; retention at most hourly."""

    RETENTION_EVERY_S = 3600.0

    def __init__(self, runtime, *, dispatch_due: bool):
        self.runtime = runtime
        self.dispatch_due = dispatch_due
        self._last_retention = float("-inf")
        self._resent_at_start = False

    def tick(self) -> None:
        rt = self.runtime
        requeued = reap(rt)
        if self.dispatch_due:
            # A worker killed with -9 takes the message it had reserved with it: Redis gives
            # it back only after the visibility timeout (hours). So a starting worker sends
            # every queued job again at once; duplicates only fail their claim.
            due = rt.queue.due_undispatched(_REDISPATCH_AFTER_S if self._resent_at_start else 0.0, limit=1000)
            if due:
                rt.dispatch(due)
            self._resent_at_start = True
        elif requeued:
            rt.wake.set()
        now = time.monotonic()
        if now - self._last_retention >= min(self.RETENTION_EVERY_S, rt.settings.housekeeping_interval_s * 10):
            self._last_retention = now
            apply_retention(rt)
            rt.queue.prune()
            clean_stale_uploads(rt.tmp_dir, rt.settings.stale_upload_s)
            sweep_orphan_recordings(rt)


def run_housekeeping(runtime, stop: threading.Event, *, dispatch_due: bool) -> None:
    """Tick every ``housekeeping_interval_s`` until ``stop`` is set; a failed tick is logged and retried."""
    keeper = Housekeeper(runtime, dispatch_due=dispatch_due)
    interval = runtime.settings.housekeeping_interval_s
    while True:
        try:
            keeper.tick()
        except Exception:
            log.exception("housekeeping failed")
        if stop.wait(interval):
            return


def start_housekeeping_thread(runtime, stop: threading.Event, *, dispatch_due: bool) -> threading.Thread:
    """``run_housekeeping`` in a daemon thread; ``dispatch_due``: send due jobs to the broker (scale-out)."""
    thread = threading.Thread(target=run_housekeeping, args=(runtime, stop), kwargs={"dispatch_due": dispatch_due},
                              name="listenlens-housekeeping", daemon=True)
    thread.start()
    return thread
