"""Celery workers for the scale-out setup.

    LISTENLENS_DATABASE_URL=postgresql+psycopg://... LISTENLENS_BROKER_URL=redis://... \\
        celery -A listenlens.service.jobs.celery_app worker --concurrency 2

A message carries only a job id; the task claims the job in the database (atomic), so
a duplicated message does nothing and a lost one is re-sent by the housekeeper, which
runs as a thread in every worker's main process (expired leases, due webhook retries,
retention). ``acks_late`` plus ``reject_on_worker_lost`` put a message back when its
worker process dies mid-call. Models are loaded once per worker process and reused.

The module's ``app`` (what ``celery -A`` looks up) is built on first access, from the
``LISTENLENS_*`` settings of that moment; ``create_celery_app`` builds one for given settings.
"""

from __future__ import annotations

import logging
import os
import threading
from contextlib import ExitStack

from celery import Celery, signals

from listenlens.service.jobs.celery_client import RUN_JOB_TASK, make_celery
from listenlens.service.settings import ServiceSettings

log = logging.getLogger("listenlens.service")


class _ProcessRuntime:
    """One runtime per worker process, opened on first use (after the fork in prefork pools)."""

    def __init__(self, settings: ServiceSettings):
        self.settings = settings
        self._lock = threading.Lock()
        self._stack: ExitStack | None = None
        self._runtime = None
        self._pid: int | None = None

    def get(self):
        from listenlens.service.runtime import open_runtime

        with self._lock:
            # A forked child must not share its parent's database connections.
            if self._runtime is None or self._pid != os.getpid():
                self._stack = ExitStack()
                self._runtime = self._stack.enter_context(open_runtime(self.settings))
                self._pid = os.getpid()
            return self._runtime

    def close(self) -> None:
        with self._lock:
            if self._stack is not None and self._pid == os.getpid():
                self._stack.close()
            self._stack = self._runtime = self._pid = None


def create_celery_app(settings: ServiceSettings | None = None) -> Celery:
    if settings is None:
        from listenlens.config import load_settings

        settings = load_settings().service
    celery = make_celery(settings)
    process = _ProcessRuntime(settings)
    stop_housekeeping = threading.Event()
    housekeeping: list[threading.Thread] = []

    @celery.task(name=RUN_JOB_TASK)
    def run_job(job_id: int) -> str:
        from listenlens.service.jobs.runner import execute
        from listenlens.service.jobs.worker import worker_name

        rt = process.get()
        name = worker_name("celery")
        job = rt.queue.claim(job_id, name)
        if job is None:
            return "skipped"  # someone else has it, it is done, or it is not due yet
        execute(rt, job, name)
        return "ran"

    def start_housekeeping(**_kwargs) -> None:
        from listenlens.service.jobs.housekeeping import start_housekeeping_thread

        housekeeping.append(start_housekeeping_thread(process.get(), stop_housekeeping, dispatch_due=True))

    def stop(**_kwargs) -> None:
        stop_housekeeping.set()

    def close(**_kwargs) -> None:
        # After the running tasks are done (or the pool process ends): nothing uses the runtime any more.
        for thread in housekeeping:
            thread.join(timeout=10)
        process.close()

    signals.worker_ready.connect(start_housekeeping, weak=False)
    signals.worker_shutting_down.connect(stop, weak=False)
    signals.worker_shutdown.connect(close, weak=False)
    signals.worker_process_shutdown.connect(close, weak=False)
    return celery


_app: Celery | None = None
_app_lock = threading.Lock()


def __getattr__(name: str):
    if name == "app":
        global _app
        with _app_lock:
            if _app is None:
                _app = create_celery_app()
            return _app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
