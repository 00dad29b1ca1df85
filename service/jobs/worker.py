"""The in-process worker of the embedded setup: threads that poll the jobs table.

Analysis threads (``worker_threads``) take analyze jobs; delivery threads
(``webhook_threads``) send webhooks, so a notification never waits behind a long call.
A delivery thread skips the tenants another one is sending to, so a slow receiver holds at
most one thread (for at most ``webhook_timeout_s`` an attempt) and every other tenant's
deliveries go on in the rest; one housekeeping thread
takes back jobs of dead workers and applies retention. On a graceful stop the running
jobs are handed back to the queue at once; after a crash they come back when their
lease expires. Either way a restart finishes them.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid

from listenlens.service.jobs.housekeeping import start_housekeeping_thread
from listenlens.service.jobs.queue import ANALYZE, WEBHOOK
from listenlens.service.jobs.runner import execute

log = logging.getLogger("listenlens.service")


def worker_name(role: str) -> str:
    return f"{socket.gethostname()}/{os.getpid()}/{role}-{uuid.uuid4().hex[:6]}"


class EmbeddedWorker:
    def __init__(self, runtime):
        self.runtime = runtime
        self.stop_event = threading.Event()
        self.threads: list[threading.Thread] = []
        self.names: list[str] = []
        self._sending_to: dict[str, int] = {}  # tenant -> delivery threads busy with it
        self._sending_lock = threading.Lock()

    def start(self) -> None:
        n = self.runtime.settings.worker_threads
        loops = [(f"analyze{i}", [ANALYZE]) for i in range(n)]
        loops += [(f"deliver{i}", [WEBHOOK]) for i in range(self.runtime.settings.webhook_threads)]
        for role, kinds in loops:
            name = worker_name(role)
            self.names.append(name)
            self.threads.append(threading.Thread(target=self._loop, args=(name, kinds), name=f"listenlens-{role}",
                                                 daemon=True))
        for t in self.threads:
            t.start()
        self.threads.append(start_housekeeping_thread(self.runtime, self.stop_event, dispatch_due=False))

    def stop(self, timeout: float = 10.0) -> None:
        self.stop_event.set()
        self.runtime.wake.set()
        for t in self.threads:
            t.join(timeout=timeout)
        for name in self.names:
            try:
                self.runtime.queue.release(name)
            except Exception as exc:  # the DB may be gone at shutdown; leases expire anyway
                log.warning("could not hand back jobs of %s: %s", name, exc)

    def _loop(self, name: str, kinds: list[str]) -> None:
        rt = self.runtime
        delivering = WEBHOOK in kinds
        while not self.stop_event.is_set():
            try:
                job = self._claim_delivery(name, kinds) if delivering else rt.queue.claim_next(name, kinds)
            except Exception as exc:
                log.warning("claiming a job failed: %s", exc)
                job = None
            if job is None:
                rt.wake.wait(rt.settings.poll_interval_s)
                rt.wake.clear()
                continue
            try:
                execute(rt, job, name, self.stop_event)
            except Exception:
                # execute() turns pipeline errors into failed calls; reaching here is a
                # bug in the service itself. The lease expiry retries the job.
                log.exception("job %s crashed the worker loop", job.id)
            finally:
                if delivering:
                    with self._sending_lock:
                        self._sending_to[job.tenant_id] -= 1

    def _claim_delivery(self, name: str, kinds: list[str]):
        # Claiming and marking the tenant busy happen under one lock, or two threads could
        # both pick the same slow tenant in the same instant.
        with self._sending_lock:
            busy = [tenant for tenant, n in self._sending_to.items() if n]
            job = self.runtime.queue.claim_next(name, kinds, skip_tenants=busy)
            if job is not None:
                self._sending_to[job.tenant_id] = self._sending_to.get(job.tenant_id, 0) + 1
            return job
