"""A restart loses nothing: a job in flight in a killed server finishes in the next one.

``listenlens serve`` runs as a real process; it is killed with SIGKILL while it analyzes
the first call (the second waits in the queue). A new app on the same LISTENLENS_HOME
takes the interrupted job over once its lease expires, and runs the queued one too.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from service_helpers import bearer, free_port, make_settings, new_key, wait_for, wait_status

pytestmark = pytest.mark.slow

LEASE_S = 2.0


def test_killed_server_jobs_resume_in_a_new_instance(tmp_path, call_wav):
    from listenlens.service.app import create_app

    home = tmp_path / "home"
    settings = make_settings(home, job_lease_s=LEASE_S)
    headers = bearer(new_key(settings, "acme"))
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("LISTENLENS_")}
    env.update(LISTENLENS_HOME=str(home), LISTENLENS_JOB_LEASE_S=str(LEASE_S), LISTENLENS_POLL_INTERVAL_S="0.2")
    exe = Path(sys.executable).with_name("listenlens")
    log = open(tmp_path / "serve.log", "wb")
    server = subprocess.Popen([str(exe), "serve", "--port", str(port), "--log-level", "warning"], env=env,
                              stdout=log, stderr=subprocess.STDOUT)
    try:
        base = f"http://127.0.0.1:{port}"

        def up():
            try:
                return httpx.get(f"{base}/healthz", timeout=2).status_code == 200
            except httpx.HTTPError:
                assert server.poll() is None, (tmp_path / "serve.log").read_text()
                return False

        wait_for(up, "listenlens serve to start", deadline_s=120)
        ids = []
        for i in range(2):
            with open(call_wav, "rb") as f:
                r = httpx.post(f"{base}/v1/calls", headers=headers, files={"file": ("call.wav", f, "audio/wav")},
                               data={"rep": "sam", "external_id": f"restart-{i}", "channels": "rep,customer"},
                               timeout=60)
            assert r.status_code == 202, r.text
            ids.append(r.json()["id"])

        def processing():
            body = httpx.get(f"{base}/v1/calls/{ids[0]}", headers=headers, timeout=10).json()
            assert body["status"] in ("queued", "processing"), body  # must not finish before the kill
            return body["status"] == "processing"

        wait_for(processing, "the first call to start", every=0.05)
        server.send_signal(signal.SIGKILL)
        server.wait(timeout=30)
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
        log.close()

    engine = create_engine(settings.resolved_database_url())
    with engine.connect() as conn:
        states = dict(conn.execute(text("SELECT call_id, status FROM jobs WHERE kind='analyze'")).all())
    assert states == {ids[0]: "running", ids[1]: "queued"}

    with TestClient(create_app(settings)) as client:
        calls = [wait_status(client, cid, headers) for cid in ids]
    assert [c["status"] for c in calls] == ["done", "done"], [c["error"] for c in calls]
    assert all(c["scorecard"]["score"] is not None for c in calls)
    with engine.connect() as conn:
        attempts = dict(conn.execute(text("SELECT call_id, attempts FROM jobs WHERE kind='analyze'")).all())
        done = conn.execute(text("SELECT count(*) FROM jobs WHERE status='done'")).scalar()
    engine.dispose()
    # The interrupted call ran twice (killed, then resumed); the queued one once.
    assert attempts == {ids[0]: 2, ids[1]: 1}
    assert done == 2
