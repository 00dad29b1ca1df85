"""The scale-out setup against the real servers: PostgreSQL, Redis and a Celery worker process.

Needs PostgreSQL on 127.0.0.1:5432 (database ``test``, trust auth) and Redis on
127.0.0.1:6379. Each run works in its own PostgreSQL schema and Celery queue, both
removed afterwards, so runs never collide. Nothing is mocked: the API runs in-process
with ``LISTENLENS_BROKER_URL`` set, so it only queues; a ``celery worker`` started here
does the work.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path
from types import SimpleNamespace

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from service_helpers import WebhookReceiver, bearer, make_settings, new_key, postgres_schema, wait_for, wait_status

pytestmark = [pytest.mark.scaleout, pytest.mark.slow]

REDIS_URL = "redis://127.0.0.1:6379/0"
LEASE_S = 3.0


@pytest.fixture(scope="module")
def pg_url():
    with postgres_schema() as url:
        yield url


@pytest.fixture(scope="module")
def queue():
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.RedisError:
        pytest.skip("Redis is not reachable on 127.0.0.1:6379")
    name = f"listenlens-test-{uuid.uuid4().hex[:12]}"
    yield name
    for key in client.scan_iter(f"*{name}*"):
        client.delete(key)
    client.close()


class CeleryWorker:
    """``celery -A listenlens.service.jobs.celery_app worker`` as a child process."""

    def __init__(self, env: dict, log: Path):
        self.env, self.log_path = env, log
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        self.log = open(self.log_path, "ab")
        start_at = self.log_path.stat().st_size
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "listenlens.service.jobs.celery_app", "worker", "--pool=solo",
             "-Q", self.env["LISTENLENS_CELERY_QUEUE"], "-n", f"{uuid.uuid4().hex[:8]}@%h", "--loglevel=INFO",
             "--without-mingle", "--without-gossip", "--without-heartbeat"],
            env=self.env, stdout=self.log, stderr=subprocess.STDOUT,
        )

        def ready():
            assert self.proc.poll() is None, self.log_path.read_text()[-3000:]
            return b"ready." in self.log_path.read_bytes()[start_at:]

        wait_for(ready, "the celery worker to start", deadline_s=180)

    def kill(self) -> None:
        self.proc.kill()
        self.proc.wait(timeout=30)
        self.log.close()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc is not None:
            self.log.close()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory, pg_url, queue, call_wav):
    from listenlens.service.app import create_app

    home = tmp_path_factory.mktemp("scaleout")
    settings = make_settings(home, database_url=pg_url, broker_url=REDIS_URL, storage_url=str(home / "objects"),
                             celery_queue=queue, job_lease_s=LEASE_S)
    env = {k: v for k, v in os.environ.items() if not k.startswith("LISTENLENS_")}
    env.update(
        LISTENLENS_HOME=str(home / "worker-home"), LISTENLENS_DATABASE_URL=pg_url, LISTENLENS_BROKER_URL=REDIS_URL,
        LISTENLENS_STORAGE_URL=str(home / "objects"), LISTENLENS_CELERY_QUEUE=queue,
        LISTENLENS_JOB_LEASE_S=str(LEASE_S), LISTENLENS_HOUSEKEEPING_INTERVAL_S="0.5",
        LISTENLENS_WEBHOOK_BACKOFF_S="0.3", LISTENLENS_WEBHOOK_ALLOW_NETWORKS='["127.0.0.1/32"]', HF_HUB_OFFLINE="1",
    )
    receiver = WebhookReceiver(fail_first=1)
    with TestClient(create_app(settings)) as client:
        worker = CeleryWorker(env, home / "celery.log")
        worker.start()
        try:
            a, b = bearer(new_key(settings, "acme")), bearer(new_key(settings, "globex"))
            hook = client.put("/v1/webhook", json={"url": receiver.url}, headers=a).json()
            with open(call_wav, "rb") as f:
                up = client.post("/v1/calls", headers=a, files={"file": ("call.wav", f, "audio/wav")},
                                 data={"rep": "sam", "team": "emea", "external_id": "pg-1", "channels": "rep,customer",
                                       "call_time": "2026-11-18T14:05:00Z"})
            assert up.status_code == 202, up.text
            call = wait_status(client, up.json()["id"], a)
            yield SimpleNamespace(client=client, settings=settings, a=a, b=b, call=call, secret=hook["secret"],
                                  receiver=receiver, worker=worker, home=home, pg_url=pg_url)
        finally:
            worker.stop()
            receiver.close()


def test_health_reports_celery_mode(cluster):
    assert cluster.client.get("/healthz").json() == {"status": "ok", "database": "ok", "mode": "celery",
                                                     "version": cluster.client.app.version}


def test_celery_worker_processes_the_call(cluster):
    call = cluster.call
    assert call["status"] == "done", (call["error"], cluster.worker.log_path.read_text()[-3000:])
    assert 0 <= call["scorecard"]["score"] <= 100
    assert call["scorecard"]["roles"]["source"] == "channel_map"
    vtt = cluster.client.get(f"/v1/calls/{call['id']}/transcript?format=vtt", headers=cluster.a)
    assert vtt.text.startswith("WEBVTT") and "Acme" in vtt.text
    # The rows really are in PostgreSQL, in this run's schema.
    engine = create_engine(cluster.pg_url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT status FROM calls WHERE id = :i"), {"i": call["id"]}).scalar() == "done"
    engine.dispose()


def test_webhook_from_the_worker_is_retried_and_verifies(cluster):
    from listenlens.service.domain.webhooks import verify_signature

    cid = cluster.call["id"]
    ok = wait_for(lambda: [r for r in cluster.receiver.for_call(cid) if r["answered"] == 200], "the webhook")
    assert [r["answered"] for r in cluster.receiver.for_call(cid)][:2] == [500, 200]
    h = ok[0]["headers"]
    assert verify_signature(cluster.secret, h["X-Listenlens-Timestamp"], ok[0]["body"], h["X-Listenlens-Signature"])
    assert json.loads(ok[0]["body"])["call"]["score"] == cluster.call["score"]


def test_idempotent_reupload_and_tenant_isolation(cluster, call_wav):
    with open(call_wav, "rb") as f:
        again = cluster.client.post("/v1/calls", headers=cluster.a, files={"file": ("call.wav", f, "audio/wav")},
                                    data={"external_id": "pg-1"})
    assert again.status_code == 200 and again.json()["id"] == cluster.call["id"]
    assert cluster.client.get(f"/v1/calls/{cluster.call['id']}", headers=cluster.b).status_code == 404
    assert cluster.client.get("/v1/calls", headers=cluster.b).json()["total"] == 0
    assert cluster.client.get("/v1/calls", headers=cluster.a).json()["total"] == 1
    trends = cluster.client.get("/v1/teams/emea/trends", headers=cluster.a).json()
    assert trends["weeks"][0]["calls"] == 1


def test_killed_worker_job_is_finished_by_a_new_worker(cluster, call_wav):
    with open(call_wav, "rb") as f:
        up = cluster.client.post("/v1/calls", headers=cluster.a, files={"file": ("call.wav", f, "audio/wav")},
                                 data={"rep": "sam", "external_id": "pg-2"})
    cid = up.json()["id"]

    def processing():
        status = cluster.client.get(f"/v1/calls/{cid}", headers=cluster.a).json()["status"]
        assert status in ("queued", "processing")
        return status == "processing"

    wait_for(processing, "the worker to start the call", every=0.05)
    cluster.worker.kill()
    cluster.worker.start()
    call = wait_status(cluster.client, cid, cluster.a)
    assert call["status"] == "done", call["error"]
    engine = create_engine(cluster.pg_url)
    with engine.connect() as conn:
        attempts = conn.execute(text("SELECT attempts FROM jobs WHERE call_id = :i AND kind = 'analyze'"),
                                {"i": cid}).scalar()
    engine.dispose()
    assert attempts == 2


def test_delete_removes_the_recording_from_storage(cluster):
    cid = cluster.call["id"]
    objects = cluster.home / "objects"
    assert any(cid in str(p) for p in objects.rglob("*"))
    assert cluster.client.delete(f"/v1/calls/{cid}", headers=cluster.a).status_code == 204
    assert not any(cid in str(p) for p in objects.rglob("*"))
    assert cluster.client.get(f"/v1/calls/{cid}", headers=cluster.a).status_code == 404


def test_erasing_a_rep_while_the_worker_analyzes_their_call_leaves_nothing(cluster, call_wav):
    """The Celery worker is mid-analysis when the rep is erased: no call, result, voiceprint,
    recording or webhook comes back, and the other tenant's rep of the same name stays."""
    c, a, b = cluster.client, cluster.a, cluster.b

    def upload(headers, rep):
        with open(call_wav, "rb") as f:
            r = c.post("/v1/calls", headers=headers, files={"file": ("call.wav", f, "audio/wav")},
                       data={"rep": rep, "channels": "rep,customer"})
        assert r.status_code == 202, r.text
        return r.json()["id"]

    theirs = upload(b, "leaver")
    assert wait_status(c, theirs, b)["status"] == "done"
    cid = upload(a, "leaver")
    wait_for(lambda: c.get(f"/v1/calls/{cid}", headers=a).json()["status"] != "queued", "the worker to start the call",
             every=0.05)
    r = c.delete("/v1/reps/leaver", headers=a)
    assert r.status_code == 200, r.text
    assert r.json()["calls"] == 1 and r.json()["recordings"] == 1
    # One task at a time (--pool=solo): once a later call is done, the erased call's task has ended.
    assert wait_status(c, upload(a, "stays"), a)["status"] == "done"
    engine = create_engine(cluster.pg_url)
    with engine.connect() as conn:
        for table, column in (("calls", "id"), ("call_results", "call_id"), ("jobs", "call_id"),
                              ("webhook_deliveries", "call_id")):
            assert conn.execute(text(f"SELECT count(*) FROM {table} WHERE {column} = :i"), {"i": cid}).scalar() == 0
        assert conn.execute(text("SELECT count(*) FROM voiceprints WHERE rep = 'leaver'")).scalar() == 1  # globex's
    engine.dispose()
    assert not any(cid in str(p) for p in (cluster.home / "objects").rglob("*"))
    if r.json()["scorecards"] == 0:  # erased before the result was written: its call.done is never sent
        assert cluster.receiver.for_call(cid) == []
    assert c.get("/v1/reps/leaver/voiceprint", headers=a).status_code == 404
    assert c.get("/v1/reps/leaver/voiceprint", headers=b).status_code == 200
    assert c.get(f"/v1/calls/{theirs}", headers=b).json()["status"] == "done"
