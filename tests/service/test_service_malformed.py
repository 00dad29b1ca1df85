"""A corpus of malformed requests, made here: each answers a 4xx with a clear JSON error (or
its call fails with a reason), the server stays up, and nothing is left half-written.

Kinds: bad multipart, wrong content types, huge/negative/NaN numbers, bad dates,
overlong and control-character fields, bad ids, path tricks, bad JSON bodies, bad
channel maps, truncated and garbage audio, bad methods and bad keys. After the whole
corpus: every call row has its recording, every stored file belongs to a call, and the
temp folder is empty.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from service_helpers import bearer, make_settings, new_key, wait_status

pytestmark = pytest.mark.slow  # a few calls run through the worker to their failure


@dataclass
class Case:
    kind: str
    send: Callable[[Any], Any]  # (ctx) -> httpx response
    expect: tuple[int, ...]  # allowed statuses; 202 means "the call must then fail with a reason"
    words: str | None = None  # in the error message
    extra: dict = field(default_factory=dict)


def _multipart(parts: list[tuple[str, str | None, bytes]], boundary: str = "corpus") -> bytes:
    out = b""
    for name, filename, content in parts:
        disp = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename is not None else "")
        out += f"--{boundary}\r\nContent-Disposition: {disp}\r\n".encode("utf-8", "surrogateescape")
        out += (b"Content-Type: application/octet-stream\r\n" if filename is not None else b"") + b"\r\n"
        out += content + b"\r\n"
    return out + f"--{boundary}--\r\n".encode()


def _raw_upload(body: bytes, ctype: str = "multipart/form-data; boundary=corpus"):
    return lambda c: c.client.post("/v1/calls", headers={**c.a, "Content-Type": ctype}, content=body)


def _upload(name: str, content: bytes | Callable[[Any], bytes], **data):
    def send(c):
        raw = content(c) if callable(content) else content
        return c.client.post("/v1/calls", headers=c.a, files={"file": (name, raw, "audio/wav")}, data=data)
    return send


def _good(**data):
    return _upload("call.wav", lambda c: c.wav, **data)


def _get(path: str, **params):
    return lambda c: c.client.get(path, headers=c.a, params=params or None)


def _webhook(content: bytes, ctype: str = "application/json"):
    return lambda c: c.client.put("/v1/webhook", headers={**c.a, "Content-Type": ctype}, content=content)


def _pcm(seconds: float, channels: int = 1, rate: int = 16000, amp: float = 0.0, header_rate: int | None = None):
    def make(c):
        from audiofiles import pcm_wav

        n = int(seconds * rate)
        sig = (amp * np.sin(np.arange(n) * 0.1) * np.ones((channels, 1))).astype(np.float32)
        return pcm_wav(c.tmp / f"pcm-{seconds}-{channels}-{rate}-{amp}-{header_rate}.wav", sig, rate,
                       header_rate=header_rate).read_bytes()
    return make


def _derived(fn_name: str, **kwargs):
    def make(c):
        import audiofiles

        dst = c.tmp / f"{fn_name}.bin"
        return getattr(audiofiles, fn_name)(c.wav_path, dst, **kwargs).read_bytes()
    return make


def _wav_header(channels=1, rate=16000, bits=16, data_len=1 << 30) -> bytes:
    import struct

    block = channels * bits // 8
    return (b"RIFF" + struct.pack("<I", 36 + data_len) + b"WAVEfmt " +
            struct.pack("<IHHIIHH", 16, 1, channels, rate, rate * block, block, bits) +
            b"data" + struct.pack("<I", data_len))


A_DAY_AGO = "2026-11-17T10:00:00Z"
NUM_BAD = ["0", "-1", "21", "NaN", "inf", "1e400", "99999999999999999999999", "two", "2.5"]

CORPUS: list[Case] = [
    # -- multipart and content types --
    Case("multipart without a boundary", _raw_upload(b"xx", "multipart/form-data"), (400, 422)),
    Case("multipart, empty body", _raw_upload(b""), (400, 422)),
    Case("multipart, no closing boundary",
         _raw_upload(b'--corpus\r\nContent-Disposition: form-data; name="file"; filename="a.wav"\r\n\r\nabc'), (400, 422)),
    Case("multipart, garbage", _raw_upload(bytes(range(256)) * 8), (400, 422)),
    Case("multipart, no file field", _raw_upload(_multipart([("rep", None, b"sam")])), (422,), "file"),
    Case("multipart, file sent as a text field", _raw_upload(_multipart([("file", None, b"RIFF....")])), (422,)),
    Case("multipart, header without a name",
         _raw_upload(b"--corpus\r\nContent-Disposition: form-data\r\n\r\nx\r\n--corpus--\r\n"), (400, 422)),
    Case("multipart, part with a bad header line", _raw_upload(b"--corpus\r\nnonsense\r\n\r\nx\r\n--corpus--\r\n"), (400, 422)),
    Case("JSON body to the upload", _raw_upload(b'{"file": "call.wav"}', "application/json"), (422,)),
    Case("plain text body to the upload", _raw_upload(b"hello", "text/plain"), (422,)),
    Case("urlencoded body to the upload", _raw_upload(b"file=abc&rep=sam", "application/x-www-form-urlencoded"), (422,)),
    Case("no content type", lambda c: c.client.post("/v1/calls", headers=c.a, content=b"abc"), (422,)),
    Case("upload body over 64 KB with a non-multipart type", _raw_upload(b"x" * 70_000, "application/octet-stream"), (413,)),
    # -- the file itself --
    Case("empty file", _upload("empty.wav", b""), (422,), "empty"),
    Case("one byte", _upload("one.wav", b"R"), (422,)),
    Case("random bytes", _upload("noise.wav", np.random.default_rng(1).bytes(10_000)), (422,)),
    Case("text named .wav", _upload("notes.wav", b"meeting notes, not audio\n" * 100), (422,)),
    Case("html named .html", _upload("x.html", b"<html><script>alert(1)</script></html>"), (422,)),
    Case("png named .mp3", _upload("pic.mp3", b"\x89PNG\r\n\x1a\n" + b"\0" * 500), (422,)),
    Case("zip named .m4a", _upload("a.m4a", b"PK\x03\x04" + b"\0" * 500), (422,)),
    Case("WAV header only", _upload("hdr.wav", lambda c: c.wav[:44]), (422,)),
    Case("WAV header declaring a GB, 1 KB of data", _upload("liar.wav", _wav_header() + b"\0" * 1024), (422, 202)),
    Case("WAV with 0 channels", _upload("zero.wav", _wav_header(channels=0, data_len=1000) + b"\0" * 1000), (422,)),
    Case("WAV at 1 Hz", _upload("slow.wav", _pcm(0.5, header_rate=1)), (422,), "sample"),
    Case("WAV with 16 channels", _upload("many.wav", _pcm(0.5, channels=16)), (422,), "channels"),
    Case("WAV cut in half", _upload("half.wav", _derived("cut", keep=0.5)), (422, 202)),
    Case("WAV with random samples after the header", _upload("rand.wav", _derived("random_after_header")), (422, 202)),
    Case("WAV with a garbage middle", _upload("mid.wav", _derived("garbage_middle")), (422, 202)),
    Case("silent WAV", _upload("silence.wav", _pcm(3.0, channels=2)), (422, 202)),
    Case("a 20 ms WAV", _upload("blip.wav", _pcm(0.02, amp=0.5)), (422, 202)),
    Case("a FLAC decompression bomb", _upload("bomb.flac", lambda c: c.bomb), (422,), "limit"),
    # -- file names and path tricks --
    Case("file name with NUL", _raw_upload(_multipart([("file", "a\x00.wav", b"RIFF")])), (422,), "file name"),
    Case("file name with ESC", _raw_upload(_multipart([("file", "a\x1b[2J.wav", b"RIFF")])), (422,), "file name"),
    Case("file name of 300 characters", _upload("n" * 300 + ".wav", b"RIFF"), (422,), "file name"),
    Case("file name climbing out, garbage content", _upload("../../../../etc/passwd.wav", b"root:x:0:0"), (422,)),
    Case("absolute file name, garbage content", _upload("/etc/shadow", b"x" * 100), (422,)),
    Case("backslash file name, garbage content", _upload("..\\..\\boot.ini", b"[boot]"), (422,)),
    # -- form fields --
    Case("rep of 500 KB", _good(rep="r" * 500_000), (422,), "rep"),
    Case("rep with NUL", _good(rep="sam\x00"), (422,), "rep"),
    Case("team with an escape sequence", _good(team="west\x1b[31m"), (422,), "team"),
    Case("external_id with a newline", _good(external_id="a\nb"), (422,), "external_id"),
    Case("external_id of 201 characters", _good(external_id="e" * 201), (422,), "external_id"),
    Case("rep_hint of 101 characters", _good(rep_hint="S" * 101), (422,), "rep_hint"),
    Case("call_time in words", _good(call_time="yesterday"), (400,), "call_time"),
    Case("call_time before year 1 in UTC", _good(call_time="0001-01-01T00:00:00+01:00"), (400,), "call_time"),
    Case("call_time after year 9999 in UTC", _good(call_time="9999-12-31T23:00:00-05:00"), (400,), "call_time"),
    Case("call_time month 13", _good(call_time="2026-13-45"), (400,), "call_time"),
    Case("call_time of 65 characters", _good(call_time="2" * 65), (422,), "call_time"),
    Case("channels naming no rep", _good(channels="customer,customer"), (400,), "no rep"),
    Case("channels with an unknown role", _good(channels="rep,boss"), (400,)),
    Case("channels of commas only", _good(channels=",,,"), (400,), "one role per channel"),
    Case("channels for a mono recording", _upload("mono.wav", _pcm(1.0, amp=0.3), channels="rep,customer"), (400,),
         "channel"),
    Case("channels of 101 characters", _good(channels="rep," * 25 + "x"), (422,), "channels"),
    Case("unknown diarizer", _good(diarizer="bogus"), (422,), "diarizer"),
    *[Case(f"num_speakers={v!r}", _good(num_speakers=v), (422,), "num_speakers") for v in NUM_BAD],
    # -- listing --
    *[Case(f"list limit={v!r}", _get("/v1/calls", limit=v), (422,), "limit") for v in ("0", "101", "NaN", "-5")],
    *[Case(f"list offset={v!r}", _get("/v1/calls", offset=v), (422,), "offset")
      for v in ("-1", "9223372036854775808", "1e3", "1.5")],
    Case("list from= in words", _get("/v1/calls", **{"from": "last week"}), (400,), "from"),
    Case("list to= before year 1 in UTC", _get("/v1/calls", to="0001-01-01T00:00:00+01:00"), (400,), "to"),
    Case("list status unknown", _get("/v1/calls", status="lost"), (422,), "status"),
    Case("list rep of 201 characters", _get("/v1/calls", rep="r" * 201), (422,), "rep"),
    Case("list rep with NUL", _get("/v1/calls", rep="a\x00"), (422,), "control"),
    # -- ids and paths --
    Case("unknown call id", _get("/v1/calls/call_000000000000000000000000"), (404,), "no such call"),
    Case("call id of 1000 characters", _get("/v1/calls/" + "c" * 1000), (404,)),
    Case("call id with dots", _get("/v1/calls/..%2F..%2Fetc%2Fpasswd"), (404,)),
    Case("call id with a control character", _get("/v1/calls/call_%07"), (422,), "control"),
    Case("transcript of an unknown call", _get("/v1/calls/nope/transcript"), (404,)),
    Case("transcript in an unknown format", _get("/v1/calls/nope/transcript", format="docx"), (422,), "format"),
    Case("recording of an unknown call, with a Range", lambda c: c.client.get(
        "/v1/calls/nope/recording", headers={**c.a, "Range": "bytes=-0"}), (404,)),
    Case("delete an unknown call", lambda c: c.client.delete("/v1/calls/nope", headers=c.a), (404,)),
    Case("unknown route", _get("/v1/nothing/here"), (404,)),
    # -- trends and exports --
    Case("export week 0000-W01", _get("/v1/exports/weeks/0000-W01"), (400,), "week"),
    Case("export week 9999-W52", _get("/v1/exports/weeks/9999-W52"), (400,), "week"),
    Case("export week 2026-W54", _get("/v1/exports/weeks/2026-W54"), (400,), "W01 to W53"),
    Case("export week in words", _get("/v1/exports/weeks/last"), (400,), "ISO week"),
    Case("export in an unknown format", _get("/v1/exports/weeks/2026-W47", format="exe"), (400,), "format"),
    Case("trends from= in words", _get("/v1/reps/sam/trends", **{"from": "then"}), (400,), "from"),
    Case("trends to= after 9999 in UTC", _get("/v1/teams/west/trends", to="9999-12-31T23:59:59-01:00"), (400,), "to"),
    Case("trends rep of 201 characters", _get("/v1/reps/" + "r" * 201 + "/trends"), (422,)),
    Case("trends format unknown", _get("/v1/reps/sam/trends", format="xml"), (422,), "format"),
    # -- JSON bodies --
    Case("webhook: not JSON", _webhook(b"url=https://x"), (422,)),
    Case("webhook: JSON cut short", _webhook(b'{"url": "https://exa'), (422,)),
    Case("webhook: a JSON array", _webhook(b'["https://example.com"]'), (422,)),
    Case("webhook: url a number", _webhook(b'{"url": 5}'), (422,), "url"),
    Case("webhook: empty url", _webhook(b'{"url": ""}'), (422,), "url"),
    Case("webhook: no url", _webhook(b"{}"), (422,), "url"),
    Case("webhook: url with NUL", _webhook(json.dumps({"url": "https://example.com/\u0000"}).encode()), (422,), "url"),
    Case("webhook: url of 3000 characters", _webhook(json.dumps({"url": "https://e.com/" + "a" * 3000}).encode()),
         (422,), "url"),
    Case("webhook: ftp url", _webhook(b'{"url": "ftp://example.com/x"}'), (400,)),
    Case("webhook: loopback url", _webhook(b'{"url": "https://127.0.0.1/x"}'), (400,)),
    Case("webhook: body of 100 KB", _webhook(b'{"url": "' + b"a" * 100_000 + b'"}'), (413,)),
    Case("webhook: JSON nested 50,000 deep", _webhook(b"[" * 50_000 + b"]" * 50_000), (413,)),
    Case("webhook: JSON nested 20,000 deep", _webhook(b"[" * 20_000 + b"]" * 20_000), (400, 422)),
    Case("webhook: not UTF-8", _webhook(b'{"url": "\xff\xfe"}'), (400, 422)),
    Case("deliveries limit=0", _get("/v1/webhook/deliveries", limit="0"), (422,), "limit"),
    Case("deliveries call_id of 41 characters", _get("/v1/webhook/deliveries", call_id="c" * 41), (422,)),
    # -- keys and methods --
    Case("empty bearer", lambda c: c.client.get("/v1/calls", headers={"Authorization": "Bearer "}), (401,)),
    Case("basic auth", lambda c: c.client.get("/v1/calls", headers={"Authorization": "Basic YTpi"}), (401,)),
    Case("bearer of 10 KB", lambda c: c.client.get("/v1/calls", headers={"Authorization": "Bearer " + "k" * 10_000}),
         (401,)),
    Case("TRACE", lambda c: c.client.request("TRACE", "/v1/calls", headers=c.a), (405,)),
    Case("PATCH a call", lambda c: c.client.request("PATCH", "/v1/calls/nope", headers=c.a, content=b"{}"), (405,)),
]


def test_the_corpus_is_large_and_varied():
    assert len(CORPUS) >= 60
    assert len({c.kind for c in CORPUS}) == len(CORPUS)


@pytest.fixture(scope="module")
def ctx(tmp_path_factory, call_wav):
    from audiofiles import silent_flac
    from listenlens.config import Settings
    from listenlens.service.app import create_app

    home = tmp_path_factory.mktemp("home")
    tmp = tmp_path_factory.mktemp("corpus")
    settings = make_settings(home, max_upload_mb=2.0, webhook_allow_networks=[])
    app = create_app(settings, Settings(audio={"max_duration_s": 60.0}))
    with TestClient(app) as client:
        yield SimpleNamespace(client=client, settings=settings, home=home, tmp=tmp, wav_path=call_wav,
                              wav=call_wav.read_bytes(), bomb=silent_flac(tmp / "bomb.flac", 5 * 3600).read_bytes(),
                              a=bearer(new_key(settings, "acme")))


def test_every_malformed_request_is_refused_clearly_and_leaves_nothing_half_written(ctx):
    outcomes: dict[str, str] = {}
    accepted: list[tuple[Case, str]] = []
    for case in CORPUS:
        r = case.send(ctx)
        assert r.status_code in case.expect, (case.kind, r.status_code, r.text[:300])
        assert r.status_code < 500, (case.kind, r.text[:300])
        if r.status_code == 202:
            accepted.append((case, r.json()["id"]))
            continue
        assert r.headers["content-type"].startswith("application/json"), (case.kind, r.headers["content-type"])
        error = r.json()["error"]
        assert error["code"] and error["message"], case.kind
        if case.words:
            assert case.words.lower() in error["message"].lower(), (case.kind, error["message"])
        assert ctx.client.get("/healthz").status_code == 200, f"server down after {case.kind}"
        outcomes[case.kind] = f"{r.status_code} {error['code']}"
    # What the upload check let through fails in the worker, with a reason.
    for case, cid in accepted:
        call = wait_status(ctx.client, cid, ctx.a)
        assert call["status"] == "failed" and call["error"]["message"], (case.kind, call)
        outcomes[case.kind] = f"202 then failed: {call['error']['code']}"
    print(f"\ncorpus: {len(CORPUS)} kinds; outcomes:")
    for kind, outcome in outcomes.items():
        print(f"  {kind}: {outcome}")
    _assert_nothing_half_written(ctx)


def _assert_nothing_half_written(ctx):
    engine = create_engine(ctx.settings.resolved_database_url())
    try:
        with engine.connect() as conn:
            keys = {k for (k,) in conn.execute(text("SELECT recording_key FROM calls")).all()}
    finally:
        engine.dispose()
    root = ctx.home / "recordings"
    files = {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}
    assert None not in keys, "a call without a recording"
    assert keys == files, f"calls without files: {keys - files}; files without calls: {files - keys}"
    assert not list((ctx.home / "tmp").iterdir()), "upload temp files left behind"
    assert not list(Path(ctx.home).glob("**/*.part")), "a half-written recording"
