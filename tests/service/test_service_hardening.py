"""What a hostile client tries, each answered with a clear 4xx (or 503 with Retry-After), never a 500.

Body limits counted while streaming, bad times and numbers, over-long and control-character
fields, names with "/", a locked database and an unwritable recordings folder, readiness,
security headers, recordings as downloads with Range, and methods no route serves. No
worker runs here: calls stay queued, which is all these checks need.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import sqlite3
import threading
import time
from types import SimpleNamespace

import pytest
from fastapi.testclient import TestClient

from service_helpers import bearer, free_port, make_settings, new_key, wait_for


@pytest.fixture(scope="module")
def api(tmp_path_factory):
    from listenlens.config import Settings
    from listenlens.service.app import create_app

    home = tmp_path_factory.mktemp("home")
    settings = make_settings(home, max_upload_mb=1.0, db_busy_timeout_s=0.5)
    app = create_app(settings, Settings(audio={"max_duration_s": 60.0}), start_worker=False)
    with TestClient(app) as client:
        yield SimpleNamespace(client=client, app=app, settings=settings, home=home,
                              a=bearer(new_key(settings, "acme")), b=bearer(new_key(settings, "globex")))


def _upload(api, path, name="call.wav", headers=None, **data):
    with open(path, "rb") as f:
        return api.client.post("/v1/calls", headers=headers or api.a, files={"file": (name, f, "audio/wav")},
                               data=data)


def _error(r, status: int, code: str | None = None) -> dict:
    assert r.status_code == status, (r.status_code, r.text[:300])
    body = r.json()["error"]
    assert body["message"]
    if code:
        assert body["code"] == code, body
    return body


def _leftovers(api) -> list:
    return [p for p in (api.home / "tmp").iterdir()]


# -- body limits, counted as the bytes arrive ------------------------------------

def _asgi_post(app_callable, chunks: list[bytes], headers: list[tuple[bytes, bytes]]):
    """Run one POST through an ASGI callable; return (status, body, number of chunks it read)."""
    read = 0
    sent: list[dict] = []

    async def receive():
        nonlocal read
        if read < len(chunks):
            read += 1
            return {"type": "http.request", "body": chunks[read - 1], "more_body": read < len(chunks)}
        await asyncio.sleep(3600)

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/v1/calls", "raw_path": b"/v1/calls", "query_string": b"",
             "headers": headers, "scheme": "http", "server": ("t", 80), "client": ("c", 1), "root_path": "",
             "http_version": "1.1", "asgi": {"version": "3.0"}}
    asyncio.run(asyncio.wait_for(app_callable(scope, receive, send), 30))
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return start["status"], body, read


def test_body_limit_stops_reading_a_chunked_body_at_the_limit():
    from listenlens.service.api.guards import MULTIPART_SLACK_BYTES, BodyLimit

    reached = []

    async def app(scope, receive, send):  # reads everything, like a form parser
        while True:
            message = await receive()
            reached.append(len(message.get("body", b"")))
            if not message.get("more_body"):
                break
        await send({"type": "http.response.start", "status": 202, "headers": []})
        await send({"type": "http.response.body", "body": b"accepted"})

    limit = 1 << 20
    guard = BodyLimit(app, max_upload_bytes=limit, max_mb=1)
    chunks = [b"x" * (256 << 10)] * 64  # 16 MB, no Content-Length: chunked
    status, body, read = _asgi_post(guard, chunks, [(b"content-type", b"multipart/form-data; boundary=x")])
    assert status == 413 and json.loads(body)["error"]["code"] == "too_large"
    # It stopped at the first chunk past limit + framing slack, far short of the 64 sent.
    assert read == (limit + MULTIPART_SLACK_BYTES) // (256 << 10) + 1 < len(chunks)


def test_chunked_upload_over_the_limit_answers_413_on_a_real_server_and_leaves_nothing(api, tmp_path):
    import uvicorn

    from listenlens.config import Settings
    from listenlens.service.app import create_app

    home = tmp_path / "home"
    settings = make_settings(home, max_upload_mb=1.0)
    key = new_key(settings, "acme")
    app = create_app(settings, Settings(audio={"max_duration_s": 60.0}), start_worker=False)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        wait_for(lambda: server.started, "uvicorn to start", deadline_s=60, every=0.05)
        sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        boundary = "hardening"
        head = (f"POST /v1/calls HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {key}\r\n"
                f"Content-Type: multipart/form-data; boundary={boundary}\r\nTransfer-Encoding: chunked\r\n\r\n")
        sock.sendall(head.encode())
        part = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.wav\"\r\n"
                "Content-Type: audio/wav\r\n\r\n").encode()
        sent = 0
        chunk = b"\0" * (256 << 10)
        answer = b""
        sock.settimeout(0.01)
        for i in range(1200):  # up to 300 MB, stopped by the answer
            data = part + chunk if i == 0 else chunk
            try:
                sock.sendall(f"{len(data):x}\r\n".encode() + data + b"\r\n")
                sent += len(data)
                answer += sock.recv(65536)
            except (TimeoutError, BlockingIOError):
                continue
            except OSError:
                break
            if answer:
                break
        sock.settimeout(10)
        try:
            while b"\r\n\r\n" not in answer:
                more = sock.recv(65536)
                if not more:
                    break
                answer += more
        except OSError:
            pass
        sock.close()
        assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
        assert sent < 50 << 20, f"the server kept reading: {sent} bytes sent before the 413"
        assert not list((home / "tmp").iterdir())
        assert not [p for p in (home / "recordings").rglob("*") if p.is_file()]
        # The server is alive and still takes requests.
        import httpx

        assert httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=10).status_code == 200
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def test_a_large_non_upload_body_answers_413(api):
    r = api.client.put("/v1/webhook", headers={**api.a, "Content-Type": "application/json"},
                       content=json.dumps({"url": "https://example.com/" + "a" * 100_000}))
    _error(r, 413, "too_large")


# -- times, numbers, weeks ---------------------------------------------------------

@pytest.mark.parametrize("value", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"])
def test_a_time_outside_utc_range_is_a_400(api, call_wav, value):
    _error(_upload(api, call_wav, call_time=value), 400, "invalid_request")
    for path in ("/v1/calls", "/v1/reps/sam/trends", "/v1/teams/west/trends"):
        for name in ("from", "to"):
            body = _error(api.client.get(path, params={name: value}, headers=api.a), 400, "invalid_request")
            assert name in body["message"]
    assert not _leftovers(api)


@pytest.mark.parametrize("offset", ["9223372036854775808", "-1", "1e3", "NaN"])
def test_an_offset_out_of_range_is_a_422(api, offset):
    _error(api.client.get("/v1/calls", params={"offset": offset}, headers=api.a), 422, "invalid_request")


@pytest.mark.parametrize("week", ["0000-W01", "9999-W52", "2026-W54", "2026-W00"])
def test_an_impossible_week_is_a_400(api, week):
    _error(api.client.get(f"/v1/exports/weeks/{week}", headers=api.a), 400)


# -- text fields ---------------------------------------------------------------------

@pytest.mark.parametrize("field, value, words", [
    ("rep", "r" * 500_000, "rep is 500000 characters long"),
    ("team", "t" * 201, "limit is 200"),
    ("external_id", "e" * 201, "limit is 200"),
    ("rep", "sam\x00", "control character"),
    ("team", "west\x1b[31m", "control character"),
    ("external_id", "a\nb", "control character"),
    ("channels", "rep,customer\x00", "control character"),
])
def test_overlong_and_control_character_fields_are_a_422(api, call_wav, field, value, words):
    body = _error(_upload(api, call_wav, **{field: value}), 422, "invalid_request")
    assert field in body["message"] or "string" in body["message"], body
    assert not _leftovers(api)


@pytest.mark.parametrize("name", ["call\x00.wav", "call\x1b.wav", "c" * 300 + ".wav"])
def test_a_bad_file_name_is_a_422(api, call_wav, name):
    # Written by hand: httpx would percent-encode the control characters.
    body = (b'--b\r\nContent-Disposition: form-data; name="file"; filename="' + name.encode() + b'"\r\n'
            b"Content-Type: audio/wav\r\n\r\n" + call_wav.read_bytes() + b"\r\n--b--\r\n")
    r = api.client.post("/v1/calls", headers={**api.a, "Content-Type": "multipart/form-data; boundary=b"}, content=body)
    assert "file name" in _error(r, 422, "invalid_request")["message"]
    assert not _leftovers(api)


def test_the_domain_refuses_what_the_form_layer_might_let_through(api, call_wav):
    """The upload page reaches ``submit_call`` without the API's form checks."""
    from listenlens.service.domain.errors import InvalidField
    from listenlens.service.domain.submit import submit_call

    for kwargs in ({"rep": "x" * 201}, {"team": "a\x00b"}, {"external_id": "\x7f"}):
        with open(call_wav, "rb") as f, pytest.raises(InvalidField):
            submit_call(api.app.state.runtime, "t", f, "call.wav", **kwargs)


@pytest.mark.parametrize("path", ["/v1/calls/call_%01", "/v1/reps/a%00b/trends", "/v1/calls?rep=a%00"])
def test_control_characters_in_the_url_are_a_422(api, path):
    _error(api.client.get(path, headers=api.a), 422, "invalid_request")


def test_a_name_with_a_slash_round_trips(api, call_wav):
    rep, team = "emea/smb rep #1?", "emea/smb"
    assert _upload(api, call_wav, rep=rep, team=team).status_code == 202
    from urllib.parse import quote

    r = api.client.get(f"/v1/reps/{quote(rep, safe='')}/trends", headers=api.a)
    assert r.status_code == 200 and r.json()["rep"] == rep
    r = api.client.get(f"/v1/teams/{quote(team, safe='')}/trends", headers=api.a)
    assert r.status_code == 200 and r.json()["team"] == team
    listed = api.client.get("/v1/calls", params={"rep": rep}, headers=api.a).json()
    assert listed["total"] == 1 and listed["items"][0]["team"] == team
    # The pages too: the rep page exists (the call is queued, so it has no weeks yet).
    page = api.client.get(f"/ui/reps/{quote(rep, safe='')}", headers=api.a)
    assert page.status_code == 200 and "emea/smb rep #1?" in page.text
    page = api.client.get(f"/ui/teams/{quote(team, safe='')}", headers=api.a)
    assert page.status_code == 200


# -- the stores failing ----------------------------------------------------------------

def test_a_locked_database_answers_503_with_retry_after_and_readyz_says_so(api, call_wav):
    db = sqlite3.connect(api.home / "listenlens.db", timeout=1)
    db.execute("BEGIN EXCLUSIVE")
    try:
        r = _upload(api, call_wav, external_id="locked-1")
        body = _error(r, 503, "unavailable")
        assert int(r.headers["Retry-After"]) > 0 and "database" in body["message"]
        ready = api.client.get("/readyz")
        assert ready.status_code == 503 and ready.json()["checks"]["database"].startswith("error")
        assert ready.headers["Retry-After"]
    finally:
        db.rollback()
        db.close()
    assert not _leftovers(api)
    assert not [p for p in (api.home / "recordings").rglob("*locked*")]
    assert api.client.get("/readyz").json() == {"status": "ready",
                                                "checks": {"database": "ok", "storage": "ok", "tmp": "ok"}}
    # Nothing of the refused upload remains: no call, and no recording without a call.
    assert api.client.get("/v1/calls", params={"external_id": "locked-1"}, headers=api.a).json()["total"] == 0


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes through folder permissions")
def test_an_unwritable_recordings_folder_answers_503_and_readyz_says_so(api, call_wav):
    recordings = api.home / "recordings"
    before = api.client.get("/v1/calls", headers=api.a).json()["total"]
    recordings.chmod(0o500)
    try:
        r = _upload(api, call_wav)
        body = _error(r, 503, "unavailable")
        assert "recordings" in body["message"] and r.headers["Retry-After"]
        ready = api.client.get("/readyz")
        assert ready.status_code == 503 and ready.json()["checks"]["storage"].startswith("error")
        assert ready.json()["checks"]["database"] == "ok"
    finally:
        recordings.chmod(0o700)
    assert api.client.get("/v1/calls", headers=api.a).json()["total"] == before
    assert not _leftovers(api)


def test_an_unwritable_recordings_store_answers_503_whoever_runs_it(api, call_wav, monkeypatch):
    """The same as above through the storage layer, so it also runs as root (where chmod does not bind)."""
    storage = api.app.state.runtime.storage

    def full_disk(*_a, **_k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(storage, "put", full_disk)
    monkeypatch.setattr(storage, "check_writable", full_disk)
    before = api.client.get("/v1/calls", headers=api.a).json()["total"]
    r = _upload(api, call_wav)
    assert "No space left" in _error(r, 503, "unavailable")["message"] and r.headers["Retry-After"]
    assert api.client.get("/readyz").json()["checks"]["storage"].startswith("error: OSError")
    assert api.client.get("/v1/calls", headers=api.a).json()["total"] == before


def test_healthz_and_readyz_answer_without_a_key(api):
    assert api.client.get("/healthz").json()["status"] == "ok"
    r = api.client.get("/readyz")
    assert r.status_code == 200 and r.json()["status"] == "ready"
    assert not [p for p in (api.home / "recordings").iterdir() if p.name.startswith(".readyz")]


# -- temp leftovers ----------------------------------------------------------------------

def test_stale_upload_temp_folders_are_removed_at_start_and_by_housekeeping(tmp_path):
    from listenlens.service.jobs.housekeeping import Housekeeper
    from listenlens.service.runtime import Runtime
    from listenlens.service.storage import clean_stale_uploads, upload_dir_name

    home = tmp_path / "home"
    tmp = home / "tmp"
    tmp.mkdir(parents=True)
    dead = tmp / "upload-999999999-0123abcd"  # no such pid
    dead.mkdir()
    (dead / "call.wav").write_bytes(b"x" * 1000)
    mine = tmp / upload_dir_name()  # this process: alive, in use
    mine.mkdir()
    old = tmp / "upload-0123456789abcdef"  # another naming: kept until old
    old.mkdir()
    rt = Runtime(make_settings(home, stale_upload_s=3600))
    try:
        assert not dead.exists() and mine.exists() and old.exists()
        past = time.time() - 7200
        os.utime(old, (past, past))
        rt.settings.housekeeping_interval_s = 0.01
        Housekeeper(rt, dispatch_due=False).tick()
        assert not old.exists() and mine.exists()
        assert clean_stale_uploads(tmp, 3600, now=time.time() + 7200) == 1 and not mine.exists()
    finally:
        rt.close()


# -- headers, recordings, methods ------------------------------------------------------

@pytest.mark.parametrize("path", ["/healthz", "/v1/calls", "/ui/login", "/openapi.json", "/v1/nope", "/ui/static/ui.css"])
def test_every_answer_carries_the_security_headers(api, path):
    r = api.client.get(path, headers=api.a)
    csp = r.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp and "default-src 'none'" in csp
    assert r.headers["X-Frame-Options"] == "DENY"
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["Referrer-Policy"] == "no-referrer"


def test_a_recording_named_html_is_a_download_not_a_page(api, call_wav):
    cid = _upload(api, call_wav, name="x.html").json()["id"]
    r = api.client.get(f"/v1/calls/{cid}/recording", headers=api.a)
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/octet-stream"
    assert r.headers["content-disposition"].startswith("attachment;") and 'filename="x.html"' in r.headers[
        "content-disposition"]
    assert r.headers["x-content-type-options"] == "nosniff"


def test_a_recording_is_served_with_its_audio_type_and_byte_ranges(api, call_wav):
    cid = _upload(api, call_wav, name="Sales call (1).wav").json()["id"]
    whole = api.client.get(f"/v1/calls/{cid}/recording", headers=api.a)
    assert whole.headers["content-type"] == "audio/wav" and whole.content == call_wav.read_bytes()
    assert whole.headers["content-disposition"].startswith("attachment;")
    assert whole.headers["accept-ranges"] == "bytes"
    part = api.client.get(f"/v1/calls/{cid}/recording", headers={**api.a, "Range": "bytes=100-199"})
    assert part.status_code == 206 and part.content == call_wav.read_bytes()[100:200]
    assert part.headers["content-range"] == f"bytes 100-199/{call_wav.stat().st_size}"
    tail = api.client.get(f"/v1/calls/{cid}/recording", headers={**api.a, "Range": "bytes=-10"})
    assert tail.status_code == 206 and tail.content == call_wav.read_bytes()[-10:]
    past = api.client.get(f"/v1/calls/{cid}/recording", headers={**api.a, "Range": "bytes=999999999-"})
    assert past.status_code == 416


def test_remote_store_recordings_answer_ranges_too(call_wav):
    from listenlens.service.api.responses import recording
    from listenlens.service.domain.calls import RecordingFile

    data = call_wav.read_bytes()

    class Remote:
        def __init__(self):
            import io

            self.buf, self.size = io.BytesIO(data), len(data)

        def __getattr__(self, name):
            return getattr(self.buf, name)

    async def body(response):
        chunks = [c async for c in response.body_iterator]
        return b"".join(c if isinstance(c, bytes) else c.encode() for c in chunks)

    r = recording(RecordingFile("call.wav", "audio/wav", stream=Remote()), "bytes=10-19")
    assert r.status_code == 206 and asyncio.run(body(r)) == data[10:20]
    assert r.headers["content-disposition"] == 'attachment; filename="call.wav"'
    r = recording(RecordingFile("call.wav", "audio/wav", stream=Remote()), None)
    assert r.status_code == 200 and asyncio.run(body(r)) == data
    assert recording(RecordingFile("call.wav", "audio/wav", stream=Remote()), f"bytes={len(data)}-").status_code == 416


@pytest.mark.parametrize("method", ["TRACE", "PATCH", "OPTIONS", "PROPFIND"])
def test_unknown_methods_answer_405_with_allow(api, method):
    r = api.client.request(method, "/v1/calls", headers=api.a)
    assert r.status_code == 405 and r.json()["error"]["code"] == "method_not_allowed"
    assert set(r.headers["Allow"].split(", ")) == {"GET", "POST"}


def test_a_served_method_on_the_wrong_route_answers_405_with_allow(api):
    r = api.client.put("/v1/calls", headers=api.a)
    assert r.status_code == 405 and "Allow" in r.headers


def test_openapi_lists_every_status_and_the_formats(api):
    spec = api.client.get("/openapi.json").json()
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            codes = set(op["responses"])
            if path.startswith("/v1"):
                assert {"401", "422", "503"} <= codes, (method, path, codes)
            if "{call_id}" in path:
                assert "404" in codes, (method, path)
    upload = spec["paths"]["/v1/calls"]["post"]
    assert {"200", "202", "400", "413", "422"} <= set(upload["responses"])
    form = spec["components"]["schemas"][upload["requestBody"]["content"]["multipart/form-data"]["schema"]["$ref"]
                                          .split("/")[-1]]["properties"]
    assert form["file"]["format"] == "binary"
    assert "date-time" in json.dumps(form["call_time"])
    assert any(o.get("maxLength") == 200 for o in form["rep"]["anyOf"])
    param = spec["paths"]["/v1/calls/{call_id}"]["get"]["parameters"][0]
    assert param["schema"]["pattern"].startswith("^call_")
    rec = spec["paths"]["/v1/calls/{call_id}/recording"]["get"]["responses"]
    assert {"200", "206", "416"} <= set(rec)
    assert "/readyz" in spec["paths"]


def test_stored_recordings_without_a_call_are_swept_once_old(api, call_wav):
    from listenlens.service.jobs.housekeeping import sweep_orphan_recordings

    rt = api.app.state.runtime
    cid = _upload(api, call_wav, name="kept.wav").json()["id"]
    rt.storage.put(call_wav, "tenant-x/call_000000000000000000000000/orphan.wav")  # a killed upload's file
    rt.storage.put(call_wav, "tenant-x/call_000000000000000000000001/young.wav.part")
    assert sweep_orphan_recordings(rt, 3600) == 0  # young: its upload may still be committing
    assert sweep_orphan_recordings(rt, 3600, now=time.time() + 7200) == 2
    files = [p.name for p in (api.home / "recordings").rglob("*") if p.is_file()]
    assert "orphan.wav" not in files and "young.wav.part" not in files and "kept.wav" in files
    assert api.client.get(f"/v1/calls/{cid}/recording", headers=api.a).status_code == 200
    assert not (api.home / "recordings" / "tenant-x").exists()


def test_even_a_bug_answers_json_with_the_security_headers(tmp_path, monkeypatch):
    from listenlens.service.app import create_app
    from listenlens.service.domain import calls

    settings = make_settings(tmp_path / "home")
    headers = bearer(new_key(settings, "acme"))

    def bug(*_a, **_k):
        raise RuntimeError("a bug")

    monkeypatch.setattr(calls, "list_calls", bug)
    with TestClient(create_app(settings, start_worker=False), raise_server_exceptions=False) as client:
        r = client.get("/v1/calls", headers=headers)
    assert r.status_code == 500 and r.json()["error"]["code"] == "internal_error"
    assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
    assert r.headers["x-content-type-options"] == "nosniff"


def test_a_starting_worker_resends_every_queued_job_then_only_stale_ones(tmp_path):
    """A message a killed Celery worker had reserved comes back from Redis only after hours."""
    from listenlens.service.jobs.housekeeping import Housekeeper
    from listenlens.service.jobs.queue import ANALYZE, enqueue
    from listenlens.service.runtime import Runtime

    rt = Runtime(make_settings(tmp_path / "home"))
    sent: list[list[int]] = []
    rt.dispatch = lambda ids: sent.append(list(ids))
    try:
        with rt.db.session() as s:
            job_id = enqueue(s, ANALYZE, "t", call_id="call_x").id
        rt.queue.mark_dispatched(job_id)  # sent a moment ago, to a worker since killed
        keeper = Housekeeper(rt, dispatch_due=True)
        keeper.tick()
        keeper.tick()
        assert sent == [[job_id]]  # at start, then not again until it is stale
    finally:
        rt.close()


def test_an_api_beside_celery_workers_cleans_its_own_temp_folder(tmp_path):
    """Such an API runs no housekeeping (the workers do), yet its temp folder is its own."""
    from listenlens.service.runtime import open_runtime

    settings = make_settings(tmp_path / "home", broker_url="redis://127.0.0.1:1/0", housekeeping_interval_s=0.01,
                             stale_upload_s=0.5)
    with open_runtime(settings, worker=True) as rt:
        left = rt.tmp_dir / f"upload-{os.getpid()}-abandoned"  # this process: only its age removes it
        left.mkdir()
        assert left.exists()
        wait_for(lambda: not left.exists(), "the stale temp folder to be removed", deadline_s=30, every=0.05)
