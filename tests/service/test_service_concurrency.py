"""Twenty uploads at once to a real server lose none; ten at once with one external_id make one call.

The server is uvicorn on 127.0.0.1 with the embedded setup and no analysis threads, so
the check is about the upload path alone: every accepted call has its row, its queued
job and its recording, and nothing is left in the temp folder.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace

import httpx
import pytest
from sqlalchemy import create_engine, text

from service_helpers import bearer, free_port, make_settings, new_key, wait_for

UPLOADS = 20


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    import uvicorn

    from listenlens.config import Settings
    from listenlens.service.app import create_app

    home = tmp_path_factory.mktemp("home")
    settings = make_settings(home, worker_threads=0)
    key = new_key(settings, "acme")
    app = create_app(settings, Settings(audio={"max_duration_s": 60.0}))
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_for(lambda: server.started, "uvicorn to start", deadline_s=60, every=0.05)
    yield SimpleNamespace(url=f"http://127.0.0.1:{port}", headers=bearer(key), settings=settings, home=home)
    server.should_exit = True
    thread.join(timeout=30)


def _post(live, wav: bytes, i: int, external_id: str | None = None) -> httpx.Response:
    data = {"rep": f"rep-{i % 4}", "team": "west"}
    if external_id:
        data["external_id"] = external_id
    return httpx.post(f"{live.url}/v1/calls", headers=live.headers, data=data,
                      files={"file": (f"call-{i}.wav", wav, "audio/wav")}, timeout=300)


def _rows(live, sql: str):
    engine = create_engine(live.settings.resolved_database_url())
    try:
        with engine.connect() as conn:
            return conn.execute(text(sql)).all()
    finally:
        engine.dispose()


def test_twenty_concurrent_uploads_lose_none(live, call_wav):
    wav = call_wav.read_bytes()
    with ThreadPoolExecutor(UPLOADS) as pool:
        answers = list(pool.map(lambda i: _post(live, wav, i), range(UPLOADS)))
    assert [r.status_code for r in answers] == [202] * UPLOADS, [r.text[:200] for r in answers if r.status_code != 202]
    ids = {r.json()["id"] for r in answers}
    assert len(ids) == UPLOADS
    stored = dict(_rows(live, "SELECT id, recording_key FROM calls"))
    assert ids <= set(stored)
    jobs = {cid for (cid,) in _rows(live, "SELECT call_id FROM jobs WHERE kind='analyze' AND status='queued'")}
    assert ids <= jobs
    for cid in ids:
        assert (live.home / "recordings" / stored[cid]).stat().st_size == len(wav)
    listed = httpx.get(f"{live.url}/v1/calls", headers=live.headers, params={"team": "west", "limit": 100}).json()
    assert ids <= {c["id"] for c in listed["items"]}
    assert not list((live.home / "tmp").iterdir())


def test_concurrent_uploads_with_one_external_id_make_one_call(live, call_wav):
    wav = call_wav.read_bytes()
    with ThreadPoolExecutor(10) as pool:
        answers = list(pool.map(lambda i: _post(live, wav, i, external_id="zoom-1"), range(10)))
    assert sorted({r.status_code for r in answers}) in ([200, 202], [202]), [r.text[:200] for r in answers]
    assert [r.status_code for r in answers].count(202) >= 1
    assert len({r.json()["id"] for r in answers}) == 1
    [(n,)] = _rows(live, "SELECT count(*) FROM calls WHERE external_id='zoom-1'")
    assert n == 1
    keys = {k for (k,) in _rows(live, "SELECT recording_key FROM calls")}
    files = {p.relative_to(live.home / "recordings").as_posix()
             for p in (live.home / "recordings").rglob("*") if p.is_file()}
    assert keys == files, "a recording without its call, or a call without its recording"
