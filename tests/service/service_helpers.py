"""Shared pieces of the service tests: a short call, a webhook receiver, polling."""

from __future__ import annotations

import json
import socket
import threading
import time
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from callsynth import Line, make_call

SCRIPT = [
    Line("rep", "Hi, this is Sam from Acme. How are you today?", at=0.4),
    Line("customer", "Good, thanks. Our invoices keep going out late.", gap=0.9),
    Line("rep", "So what you're saying is billing is slow. What happens then?", gap=0.7),
]

# Waits are hang guards for background work, not speed checks: generous on a busy CI box.
PROCESS_DEADLINE_S = 300.0


def synth_call(path: Path) -> Path:
    """A ~10 s two-party stereo call (rep on the left channel)."""
    make_call(SCRIPT, path, stereo=True)
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate, what: str, deadline_s: float = PROCESS_DEADLINE_S, every: float = 0.2):
    end = time.monotonic() + deadline_s
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > end:
            raise AssertionError(f"gave up waiting for {what} after {deadline_s:.0f} s")
        time.sleep(every)


def wait_status(client, call_id: str, headers: dict, statuses=("done", "failed")) -> dict:
    def check():
        body = client.get(f"/v1/calls/{call_id}", headers=headers).json()
        return body if body.get("status") in statuses else None

    return wait_for(check, f"call {call_id} to reach {statuses}")


class WebhookReceiver:
    """A real HTTP server on 127.0.0.1 that records every POST.

    ``fail_first``: answer 500 to that many requests first, to exercise the retries.
    """

    def __init__(self, fail_first: int = 0):
        self.requests: list[dict] = []
        self.fail_first = fail_first
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver.lock:
                    failing = receiver.fail_first > 0
                    if failing:
                        receiver.fail_first -= 1
                    receiver.requests.append({"headers": dict(self.headers), "body": body,
                                              "answered": 500 if failing else 200})
                self.send_response(500 if failing else 200)
                self.end_headers()
                self.wfile.write(b"no" if failing else b"ok")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def for_call(self, call_id: str) -> list[dict]:
        with self.lock:
            return [r for r in self.requests if json.loads(r["body"])["call"]["id"] == call_id]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def make_settings(home: Path, **overrides):
    """Embedded settings under ``home``; explicit so a LISTENLENS_* variable cannot leak in."""
    from listenlens.service.settings import ServiceSettings

    values = dict(home=home, database_url=None, broker_url=None, storage_url=None, retention_days=None,
                  housekeeping_interval_s=0.5, poll_interval_s=0.2, webhook_backoff_s=0.3, worker_threads=1,
                  job_lease_s=60.0, max_upload_mb=50.0,
                  # The tests' webhook receivers listen on loopback, which only an allow-list opens.
                  webhook_allow_networks=["127.0.0.1/32"])
    values.update(overrides)
    return ServiceSettings(**values)


def new_key(settings, tenant: str) -> str:
    from listenlens.service.db.database import Database
    from listenlens.service.domain.auth import create_key

    db = Database(settings.resolved_database_url())
    db.migrate()
    try:
        with db.session() as s:
            return create_key(s, tenant)
    finally:
        db.dispose()


def bearer(key: str) -> dict:
    return {"Authorization": f"Bearer {key}"}


@contextmanager
def postgres_schema():
    """A fresh schema in the PostgreSQL on 127.0.0.1:5432 (database ``test``), dropped after;
    yields its SQLAlchemy URL, or skips the test when no server answers."""
    import uuid

    import pytest
    from sqlalchemy import create_engine, text
    from sqlalchemy.exc import OperationalError

    schema = f"ll_test_{uuid.uuid4().hex[:12]}"
    for user in ("postgres", "root"):
        base = f"postgresql+psycopg://{user}@127.0.0.1:5432/test"
        engine = create_engine(base)
        try:
            with engine.begin() as conn:
                conn.execute(text(f'CREATE SCHEMA "{schema}"'))
            break
        except OperationalError:
            engine.dispose()
    else:
        pytest.skip("PostgreSQL is not reachable on 127.0.0.1:5432 (database test, user postgres or root)")
    try:
        yield f"{base}?options=-csearch_path%3D{schema}"
    finally:
        with engine.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        engine.dispose()
