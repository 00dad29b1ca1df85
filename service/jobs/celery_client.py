"""The Celery configuration shared by the API (which sends job ids) and the workers (which run them)."""

from __future__ import annotations

from celery import Celery

from listenlens.service.settings import ServiceSettings

RUN_JOB_TASK = "listenlens.run_job"


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
