"""One tenant's slow webhook receiver does not hold back another tenant's deliveries.

Both receivers listen on 127.0.0.1. The slow one holds every request until the test lets
it go, so "not delayed" is checked by order (the other tenant is delivered while the slow
one is still held), never by a clock.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from service_helpers import make_settings, wait_for


class HeldReceiver:
    """Answers 200, but only once ``release`` is set; counts requests as they arrive."""

    def __init__(self):
        self.release = threading.Event()
        self.arrived = 0
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's naming
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver.lock:
                    receiver.arrived += 1
                receiver.release.wait(60)
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


def _queue_deliveries(rt, tenant_name: str, url: str, n: int) -> list[str]:
    from listenlens.service.db.models import Webhook, WebhookDelivery, utcnow
    from listenlens.service.domain.auth import get_or_create_tenant
    from listenlens.service.jobs.queue import WEBHOOK, enqueue

    ids = []
    with rt.db.session() as s:
        tenant = get_or_create_tenant(s, tenant_name).id
        s.merge(Webhook(tenant_id=tenant, url=url, secret="whsec_test"))
        for i in range(n):
            did = f"dlv_{tenant_name}_{i}"
            body = json.dumps({"id": did, "event": "call.done", "call": {"id": f"c_{tenant}_{i}"}})
            s.add(WebhookDelivery(id=did, tenant_id=tenant, call_id=f"c_{tenant}_{i}", event="call.done", url=url,
                                  body=body, next_attempt_at=utcnow()))
            s.flush()
            enqueue(s, WEBHOOK, tenant, call_id=f"c_{tenant}_{i}", delivery_id=did)
            ids.append(did)
    return ids


def _status(rt, delivery_id: str) -> str:
    from listenlens.service.db.models import WebhookDelivery

    with rt.db.session() as s:
        return s.get(WebhookDelivery, delivery_id).status


def test_a_slow_receiver_holds_one_delivery_thread_and_delays_no_other_tenant(tmp_path):
    from listenlens.service.jobs.worker import EmbeddedWorker
    from listenlens.service.runtime import Runtime

    settings = make_settings(tmp_path / "home", worker_threads=0, webhook_threads=2, webhook_timeout_s=60.0)
    slow, fast = HeldReceiver(), HeldReceiver()
    fast.release.set()
    rt = Runtime(settings)
    worker = EmbeddedWorker(rt)
    try:
        held = _queue_deliveries(rt, "slowco", slow.url, 3)  # queued first, so first in line
        quick = _queue_deliveries(rt, "fastco", fast.url, 2)
        worker.start()
        wait_for(lambda: all(_status(rt, d) == "delivered" for d in quick), "the other tenant's deliveries")
        # The slow tenant's receiver still holds its first request, and only that one: its
        # other deliveries wait for their own tenant instead of taking the second thread.
        assert slow.arrived == 1 and all(_status(rt, d) == "pending" for d in held)
        slow.release.set()
        wait_for(lambda: all(_status(rt, d) == "delivered" for d in held), "the slow tenant's deliveries")
    finally:
        slow.close()
        fast.close()
        worker.stop()
        rt.close()
