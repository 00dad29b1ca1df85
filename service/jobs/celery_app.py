"""Celery workers for the scale-out setup.

    LISTENLENS_DATABASE_URL=postgresql+psycopg://... LISTENLENS_BROKER_URL=redis://... \\
        celery -A listenlens.service.jobs.celery_app worker --concurrency 2

A message carries only a job id; the task claims the job in the database (atomic), so
a duplicated message does nothing and a lost one is re-sent by the housekeeper, which
runs as a thread in every worker's main process (expired leases, due webhook retries,
retention). ``acks_late`` plus ``reject_on_worker_lost`` put a message back when its
worker process dies mid-call. Models are loaded once per worker process and reused.
"""

from __future__ import annotations

import logging
import threading

from celery import Celery, signals

from listenlens.service.settings import ServiceSettings

log = logging.getLogger("listenlens.service")


def make_celery(settings: ServiceSettings) -> Celery:
    celery = Celery("listenlens", broker=settings.broker_url)
    celery.conf.update(
        task_default_queue=settings.celery_queue,
        task_ignore_result=True,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        broker_connection_retry_on_startup=True,
        worker_hijack_root_logger=False,
        # A call may take longer than Redis' default 1 h visibility timeout on a slow CPU.
        broker_transport_options={"visibility_timeout": 6 * 3600},
    )
    return celery


_settings = ServiceSettings()
app = make_celery(_settings)
_runtime = None
_runtime_lock = threading.Lock()


def runtime():
    """One Runtime per worker process (created lazily: after the fork in prefork pools)."""
    global _runtime
    with _runtime_lock:
        if _runtime is None:
            from listenlens.service.runtime import Runtime

            _runtime = Runtime(ServiceSettings())
        return _runtime


@app.task(name="listenlens.run_job")
def run_job(job_id: int) -> str:
    from listenlens.service.jobs.runner import execute
    from listenlens.service.jobs.worker import worker_name

    rt = runtime()
    name = worker_name("celery")
    job = rt.queue.claim(job_id, name)
    if job is None:
        return "skipped"  # someone else has it, it is done, or it is not due yet
    execute(rt, job, name)
    return "ran"


@signals.worker_ready.connect
def _start_housekeeper(**_kwargs) -> None:
    from listenlens.service.jobs.housekeeping import Housekeeper

    rt = runtime()
    keeper = Housekeeper(rt, dispatch_due=True)
    interval = rt.settings.housekeeping_interval_s
    stop = threading.Event()

    def loop() -> None:
        while True:
            try:
                keeper.tick()
            except Exception:
                log.exception("housekeeping failed")
            if stop.wait(interval):
                return

    threading.Thread(target=loop, name="listenlens-housekeeping", daemon=True).start()
    signals.worker_shutting_down.connect(lambda **_: stop.set(), weak=False)
