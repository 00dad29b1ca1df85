"""kill -9, again and again: of the API process and of Celery workers, mid-upload and
mid-job, on the SQLite path and on the PostgreSQL path. Afterwards every call the API
accepted (answered 202) is done: none lost, none stuck, and every call row has its
recording.

Each kill hits a real process (``listenlens serve``, ``celery worker``) with SIGKILL.
Calls are short synthesized ones; leases are short so interrupted jobs are taken back
quickly, and the attempt limit is raised so a call interrupted several times is still
finished rather than failed.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text

from service_helpers import bearer, free_port, make_settings, new_key, wait_for
from test_service_scaleout import REDIS_URL, CeleryWorker, pg_url, queue  # noqa: F401 - fixtures

pytestmark = pytest.mark.slow

KILLS = 10
LEASE_S = 2.0


@pytest.fixture(scope="module")
def short_wav(tmp_path_factory) -> bytes:
    from callsynth import Line, make_call

    path = tmp_path_factory.mktemp("kills") / "short.wav"
    make_call([Line("rep", "Hi, how are you today?", at=0.3), Line("customer", "Good, thanks for asking.", gap=0.6)],
              path, stereo=True)
    return path.read_bytes()


def _env(home: Path, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LISTENLENS_")}
    env.update(LISTENLENS_HOME=str(home), LISTENLENS_JOB_LEASE_S=str(LEASE_S), LISTENLENS_JOB_MAX_ATTEMPTS="50",
               LISTENLENS_POLL_INTERVAL_S="0.2", LISTENLENS_HOUSEKEEPING_INTERVAL_S="0.5", HF_HUB_OFFLINE="1",
               LISTENLENS_MAX_DURATION_S="60", **extra)
    return env


class Serve:
    """``listenlens serve`` as a child process that can be killed and started again."""

    def __init__(self, env: dict, log: Path):
        self.env, self.log_path = env, log
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        exe = Path(sys.executable).with_name("listenlens")
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen([str(exe), "serve", "--port", str(self.port), "--log-level", "warning"],
                                     env=self.env, stdout=self.log, stderr=subprocess.STDOUT)

        def up():
            assert self.proc.poll() is None, self.log_path.read_text()[-3000:]
            try:
                return httpx.get(f"{self.url}/healthz", timeout=2).status_code == 200
            except httpx.HTTPError:
                return False

        wait_for(up, "listenlens serve to start", deadline_s=120, every=0.1)

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
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
            self.log.close()


def _upload(url: str, headers: dict, wav: bytes, i: int) -> httpx.Response:
    return httpx.post(f"{url}/v1/calls", headers=headers, data={"rep": "sam", "external_id": f"kill-{i}"},
                      files={"file": ("short.wav", wav, "audio/wav")}, timeout=120)


def _upload_killed_midway(server: Serve, headers: dict, wav: bytes, i: int, after_s: float) -> str | None:
    """Upload while the server is killed ``after_s`` in; the call id if the 202 arrived first."""
    answer: list = []

    def send():
        try:
            answer.append(_upload(server.url, headers, wav, i))
        except httpx.HTTPError:
            pass

    thread = threading.Thread(target=send)
    thread.start()
    time.sleep(after_s)
    server.kill()
    thread.join(timeout=120)
    return answer[0].json()["id"] if answer and answer[0].status_code == 202 else None


def _statuses(db_url: str) -> dict[str, tuple[str, str | None]]:
    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            return {cid: (status, key) for cid, status, key in
                    conn.execute(text("SELECT id, status, recording_key FROM calls")).all()}
    finally:
        engine.dispose()


def _any_processing(db_url: str, ids: list[str]) -> bool:
    states = _statuses(db_url)
    wanted = [states.get(cid, ("missing", None))[0] for cid in ids]
    return "processing" in wanted or all(s in ("done", "failed") for s in wanted)


def _assert_none_lost_or_stuck(db_url: str, storage: Path, ids: list[str], kills: int) -> None:
    def finished():
        states = _statuses(db_url)
        return all(states.get(cid, ("missing",))[0] in ("done", "failed", "missing") for cid in ids)

    wait_for(finished, "every accepted call to finish", deadline_s=900, every=0.5)
    states = _statuses(db_url)
    lost = [cid for cid in ids if cid not in states]
    not_done = {cid: states[cid][0] for cid in ids if cid in states and states[cid][0] != "done"}
    print(f"\n{kills} kills, {len(ids)} accepted calls, {len(lost)} lost, {len(not_done)} not done")
    assert not lost, f"accepted calls lost: {lost}"
    assert not not_done, f"calls not done: {not_done}"
    for cid in ids:
        key = states[cid][1]
        assert key and (storage / key).is_file(), f"{cid} has no recording"
    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            stuck = conn.execute(text("SELECT count(*) FROM jobs WHERE kind='analyze' AND status IN "
                                      "('queued', 'running')")).scalar()
    finally:
        engine.dispose()
    assert stuck == 0


def test_sqlite_api_killed_ten_times_loses_no_call(tmp_path, short_wav):
    home = tmp_path / "home"
    settings = make_settings(home)
    headers = bearer(new_key(settings, "acme"))
    server = Serve(_env(home), tmp_path / "serve.log")
    ids: list[str] = []
    db_url = settings.resolved_database_url()
    try:
        for i in range(KILLS):
            server.start()
            if i % 3 == 2:  # killed while the upload is being received, checked or stored
                cid = _upload_killed_midway(server, headers, short_wav, i, after_s=0.05 * (i % 5 + 1))
                ids += [cid] if cid else []
                continue
            r = _upload(server.url, headers, short_wav, i)
            assert r.status_code == 202, r.text
            ids.append(r.json()["id"])
            if i % 3 == 0:  # killed mid-job: the in-process worker dies with the API
                wait_for(lambda ids=ids: _any_processing(db_url, ids), "a call to be processing", every=0.05)
            server.kill()
        server.start()
        _assert_none_lost_or_stuck(db_url, home / "recordings", ids, KILLS)
    finally:
        server.stop()


@pytest.mark.scaleout
def test_postgres_api_and_celery_workers_killed_ten_times_each_lose_no_call(
        tmp_path, short_wav, pg_url, queue):  # noqa: F811 - the fixtures imported above
    home = tmp_path / "home"
    objects = tmp_path / "objects"
    settings = make_settings(home, database_url=pg_url, broker_url=REDIS_URL, storage_url=str(objects),
                             celery_queue=queue)
    headers = bearer(new_key(settings, "acme"))
    common = dict(LISTENLENS_DATABASE_URL=pg_url, LISTENLENS_BROKER_URL=REDIS_URL, LISTENLENS_STORAGE_URL=str(objects),
                  LISTENLENS_CELERY_QUEUE=queue)
    server = Serve(_env(home, **common), tmp_path / "serve.log")
    worker = CeleryWorker(_env(tmp_path / "worker-home", **common), tmp_path / "celery.log")
    ids: list[str] = []
    try:
        worker.start()
        # The API, killed ten times while uploads arrive; the worker keeps analyzing.
        for i in range(KILLS):
            server.start()
            if i % 2 == 1:
                cid = _upload_killed_midway(server, headers, short_wav, i, after_s=0.05 * (i % 4 + 1))
                ids += [cid] if cid else []
                continue
            r = _upload(server.url, headers, short_wav, i)
            assert r.status_code == 202, r.text
            ids.append(r.json()["id"])
            server.kill()
        server.start()
        # The Celery worker, killed ten times mid-job.
        for i in range(KILLS):
            r = _upload(server.url, headers, short_wav, 100 + i)
            assert r.status_code == 202, r.text
            ids.append(r.json()["id"])
            wait_for(lambda ids=ids: _any_processing(pg_url, ids), "a call to be processing", every=0.05)
            worker.kill()
            worker.start()
        _assert_none_lost_or_stuck(pg_url, objects, ids, 2 * KILLS)
    finally:
        worker.stop()
        server.stop()
