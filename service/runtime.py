"""What the API, the in-process worker, Celery workers and the CLI share: settings, DB, storage, queue.

``open_runtime`` is the one way anything starts and stops it: it opens the database
(migrated to the newest schema), the storage and the queue, optionally runs the
in-process worker, and closes everything on the way out.

``Runtime.dispatch`` is how a freshly committed job reaches a worker: the embedded
setup wakes its threads; the scale-out setup sends the job id to Celery. Dispatch is
only a nudge: if it is lost (broker down, process killed) the housekeeper finds the
queued job in the table and dispatches it again.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from listenlens.config import Settings, load_settings
from listenlens.service.db.database import Database
from listenlens.service.jobs.queue import JobQueue
from listenlens.service.settings import ServiceSettings
from listenlens.service.storage import Storage, clean_stale_uploads

log = logging.getLogger("listenlens.service")


class Runtime:
    def __init__(self, settings: ServiceSettings | None = None, pipeline_settings: Settings | None = None,
                 *, migrate: bool = True):
        """``pipeline_settings``: the whole tree the analyses run with; ``settings``: its
        service section unless given apart (both default to ``load_settings()``)."""
        if settings is None or pipeline_settings is None:
            loaded = load_settings()
            settings = settings or loaded.service
            pipeline_settings = pipeline_settings or loaded
        self.settings = settings
        self.pipeline_settings = pipeline_settings
        self.home = self.settings.resolved_home()
        self.home.mkdir(parents=True, exist_ok=True)
        self.tmp_dir = self.home / "tmp"
        self.tmp_dir.mkdir(exist_ok=True)
        removed = clean_stale_uploads(self.tmp_dir, self.settings.stale_upload_s)
        if removed:
            log.info("removed %d upload temp folder(s) left by a stopped process", removed)
        self.db = Database(self.settings.resolved_database_url(), busy_timeout_s=self.settings.db_busy_timeout_s)
        if migrate:
            self.db.migrate()
        self.storage = Storage(self.settings.resolved_storage_url())
        self.queue = JobQueue(self.db, self.settings.job_lease_s, self.settings.job_max_attempts)
        self.wake = threading.Event()
        self._celery = None

    def dispatch(self, job_ids: list[int]) -> None:
        if not job_ids:
            return
        if self.settings.embedded:
            self.wake.set()
            return
        from listenlens.service.jobs.celery_client import RUN_JOB_TASK

        for job_id in job_ids:
            try:
                self.celery.send_task(RUN_JOB_TASK, args=[job_id], queue=self.settings.celery_queue)
                self.queue.mark_dispatched(job_id)
            except Exception as exc:  # broker down: the housekeeper retries from the table
                log.warning("could not send job %s to the broker (%s); it stays queued", job_id, exc)

    @property
    def celery(self):
        """A Celery client for sending jobs (the tasks themselves live in ``jobs.celery_app``)."""
        if self._celery is None:
            from listenlens.service.jobs.celery_client import make_celery

            self._celery = make_celery(self.settings)
        return self._celery

    def close(self) -> None:
        self.db.dispose()


@contextmanager
def open_runtime(settings: ServiceSettings | None = None, pipeline_settings: Settings | None = None,
                 *, migrate: bool = True, worker: bool = False) -> Iterator[Runtime]:
    """A started runtime, closed on exit; ``worker``: also run the in-process worker (embedded setup only)."""
    runtime = Runtime(settings, pipeline_settings, migrate=migrate)
    embedded_worker = None
    stop_cleaning = threading.Event()
    try:
        if worker and runtime.settings.embedded:
            from listenlens.service.jobs.worker import EmbeddedWorker

            embedded_worker = EmbeddedWorker(runtime)
            embedded_worker.start()
        elif worker:
            # An API beside Celery workers runs no housekeeping, but keeps its own temp folder.
            threading.Thread(target=_clean_uploads_until, args=(runtime, stop_cleaning),
                             name="listenlens-tmp-cleaner", daemon=True).start()
        yield runtime
    finally:
        stop_cleaning.set()
        if embedded_worker is not None:
            embedded_worker.stop()
        runtime.close()


def _clean_uploads_until(runtime: Runtime, stop: threading.Event) -> None:
    every = max(runtime.settings.housekeeping_interval_s * 10, 1.0)
    while not stop.wait(every):
        try:
            clean_stale_uploads(runtime.tmp_dir, runtime.settings.stale_upload_s)
        except Exception:
            log.exception("cleaning upload temp folders failed")
