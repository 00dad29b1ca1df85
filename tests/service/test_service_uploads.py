"""Uploads, listing, limits, auth and keys: the API side alone (no worker runs here).

Without a worker the calls stay queued, which is all these tests need; they check the
database and the recordings folder directly to prove a refused upload left nothing.
"""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from service_helpers import bearer, make_settings, new_key


def _counts(settings) -> tuple[int, int, int]:
    engine = create_engine(settings.resolved_database_url())
    try:
        with engine.connect() as conn:
            calls = conn.execute(text("SELECT count(*) FROM calls")).scalar()
            jobs = conn.execute(text("SELECT count(*) FROM jobs")).scalar()
    finally:
        engine.dispose()
    files = sum(1 for p in (settings.resolved_home() / "recordings").rglob("*") if p.is_file())
    return calls, jobs, files


@pytest.fixture(scope="module")
def api(tmp_path_factory):
    from listenlens.config import Settings
    from listenlens.service.app import create_app

    home = tmp_path_factory.mktemp("home")
    settings = make_settings(home, max_upload_mb=1.0)
    # The synthesized call lasts ~12 s: a 60 s limit accepts it, a 5 s one would not.
    with TestClient(create_app(settings, Settings(audio={"max_duration_s": 60.0}), start_worker=False)) as client:
        yield SimpleNamespace(client=client, settings=settings, a=bearer(new_key(settings, "acme")),
                              b=bearer(new_key(settings, "globex")))


def _upload(api, path, headers=None, name="call.wav", **data):
    with open(path, "rb") as f:
        return api.client.post("/v1/calls", headers=headers or api.a, files={"file": (name, f, "audio/wav")},
                               data=data)


def test_healthz_needs_no_key(api):
    r = api.client.get("/healthz")
    assert r.status_code == 200 and r.json()["status"] == "ok" and r.json()["mode"] == "embedded"


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer ll_nope_nope"}, {"Authorization": "Basic abc"}])
def test_requests_without_a_valid_key_answer_401_json(api, headers):
    r = api.client.get("/v1/calls", headers=headers)
    assert r.status_code == 401
    assert r.json()["error"]["code"] == "unauthorized" and "key" in r.json()["error"]["message"]


def test_openapi_documents_the_endpoints_with_examples(api):
    spec = api.client.get("/openapi.json").json()
    for path in ("/v1/calls", "/v1/calls/{call_id}", "/v1/calls/{call_id}/transcript", "/v1/webhook",
                 "/v1/reps/{rep}/trends", "/v1/teams/{team}/trends", "/healthz"):
        assert path in spec["paths"], path
    assert spec["components"]["schemas"]["CallOut"]["examples"][0]["status"] == "done"
    assert "202" in spec["paths"]["/v1/calls"]["post"]["responses"]


def test_openapi_types_the_scorecard_down_to_each_metric(api):
    spec = api.client.get("/openapi.json").json()
    schemas = spec["components"]["schemas"]

    def resolve(node):
        while "$ref" in node or "anyOf" in node:
            node = schemas[node["$ref"].split("/")[-1]] if "$ref" in node else next(
                n for n in node["anyOf"] if n.get("type") != "null")
        return node

    ok = spec["paths"]["/v1/calls/{call_id}"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    card = resolve(resolve(ok)["properties"]["scorecard"])
    assert card["title"] == "Scorecard" and "schema" in card["properties"]
    metrics = resolve(card["properties"]["metrics"])
    rule = resolve(metrics["properties"]["four_second_rule"])
    assert rule["properties"]["share_honoured"]["anyOf"][0]["type"] == "number"
    assert rule["properties"]["share_honoured"]["description"]
    component = resolve(resolve(card["properties"]["components"])["items"])
    assert set(resolve(component["properties"]["name"])["enum"]) >= {"talk_ratio", "four_second_rule"}
    moment = resolve(card["properties"]["moments"])["items"]
    assert moment["discriminator"]["propertyName"] == "kind"


def test_list_filters_and_paginates(api, call_wav):
    times = ["2026-11-02T10:00:00Z", "2026-11-09T10:00:00Z", "2026-11-10T10:00:00+01:00", "2026-11-16T10:00:00Z",
             "2026-11-23T10:00:00Z"]
    reps = ["ann", "ann", "bob", "ann", "bob"]
    teams = ["north", "north", "north", "south", "south"]
    ids = []
    for i, (when, rep, team) in enumerate(zip(times, reps, teams)):
        r = _upload(api, call_wav, rep=rep, team=team, call_time=when, external_id=f"list-{i}")
        assert r.status_code == 202, r.text
        assert r.headers["Location"] == f"/v1/calls/{r.json()['id']}"
        ids.append(r.json()["id"])

    def listing(query: str) -> dict:
        r = api.client.get(f"/v1/calls?{query}", headers=api.a)
        assert r.status_code == 200, r.text
        return r.json()

    ann = listing("rep=ann")
    assert ann["total"] == 3 and {c["id"] for c in ann["items"]} == {ids[0], ids[1], ids[3]}
    assert [c["call_time"] for c in ann["items"]] == sorted((c["call_time"] for c in ann["items"]), reverse=True)
    assert {c["id"] for c in listing("team=south")["items"]} == {ids[3], ids[4]}
    # from inclusive, to exclusive; the +01:00 call is 09:00 UTC.
    ranged = listing("from=2026-11-09T09:00:00Z&to=2026-11-16")
    assert {c["id"] for c in ranged["items"]} == {ids[1], ids[2]}
    assert listing("rep=bob&team=north")["total"] == 1
    assert listing("status=queued")["total"] >= 5 and listing("status=done")["total"] == 0

    pages, offset = [], 0
    while offset is not None:
        page = listing(f"team=north&limit=2&offset={offset}")
        assert page["total"] == 3 and len(page["items"]) <= 2
        pages.append([c["id"] for c in page["items"]])
        offset = page["next_offset"]
    assert [len(p) for p in pages] == [2, 1]
    assert sorted(sum(pages, [])) == sorted([ids[0], ids[1], ids[2]])

    bad = api.client.get("/v1/calls?from=last-week", headers=api.a)
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid_request"
    assert api.client.get("/v1/calls?limit=1000", headers=api.a).status_code == 422


def test_queued_call_shows_status_and_no_scorecard(api, call_wav):
    r = _upload(api, call_wav, rep="cy", channels="rep,customer", num_speakers="2")
    call = api.client.get(f"/v1/calls/{r.json()['id']}", headers=api.a).json()
    assert call["status"] == "queued" and call["scorecard"] is None and call["progress"] is not None
    assert call["options"] == {"channels": "rep,customer", "num_speakers": 2}
    tr = api.client.get(f"/v1/calls/{call['id']}/transcript", headers=api.a)
    assert tr.status_code == 409 and tr.json()["error"]["code"] == "not_ready"


@pytest.mark.parametrize(
    "content, name, code, words",
    [
        (b"this is not audio at all, just text" * 50, "notes.wav", "bad_audio", "not a recording"),
        (b"", "empty.wav", "bad_audio", "empty"),
        (b"RIFF\x24\x00\x00\x00WAVEfmt ", "cut.wav", "bad_audio", "cut.wav"),
    ],
)
def test_bad_upload_is_refused_before_anything_is_queued(api, content, name, code, words):
    before = _counts(api.settings)
    r = api.client.post("/v1/calls", headers=api.a, files={"file": (name, content, "audio/wav")}, data={"rep": "x"})
    assert r.status_code == 422, r.text
    err = r.json()["error"]
    assert err["code"] == code and words in err["message"]
    assert _counts(api.settings) == before
    assert not any((api.settings.resolved_home() / "tmp").iterdir()), "temp upload left behind"


def _hostile(kind: str, folder) -> tuple[str, bytes]:
    """(file name, bytes) of an upload made to hurt the decoder; built here, never committed."""
    from audiofiles import Burst, pcm_wav, silent_flac, tone_bursts

    if kind.endswith("ch"):
        channels = int(kind[:-2])
        sig = tone_bursts(0.25, 16000, [Burst(0, 0.05, length=0.1)], channels=channels, noise_dbfs=-50)
        path = pcm_wav(folder / f"{kind}.wav", sig, 16000)
    else:  # five hours of silence: well under the 1 MB upload limit, 1.1 GB decoded
        path = silent_flac(folder / "bomb.flac", 5 * 3600)
    return path.name, path.read_bytes()


@pytest.mark.parametrize("kind, words", [
    ("16ch", "has 16 channels, over the 8-channel limit: mix it down"),
    ("64ch", "has 64 channels, over the 8-channel limit: mix it down"),
    ("bomb", "bomb.flac lasts over the 60.0 s limit: split the recording"),
])
def test_hostile_upload_is_refused_and_the_api_stays_up(api, tmp_path, kind, words):
    name, content = _hostile(kind, tmp_path)
    before = _counts(api.settings)
    r = api.client.post("/v1/calls", headers=api.a, files={"file": (name, content, "audio/wav")})
    assert r.status_code == 422, r.text
    assert r.json()["error"]["code"] == "bad_audio" and words in r.json()["error"]["message"]
    assert _counts(api.settings) == before
    assert api.client.get("/healthz").status_code == 200


def test_eight_channel_upload_is_accepted(api, tmp_path):
    # Eight channels crashed the decoder (and the API with it): now it is a recording like any other.
    name, content = _hostile("8ch", tmp_path)
    r = api.client.post("/v1/calls", headers=api.a, files={"file": (name, content, "audio/wav")})
    assert r.status_code == 202, r.text
    assert r.json()["recording"]["channels"] == 8


def test_decoder_crash_in_the_upload_check_is_a_422_not_a_dead_api(api, call_wav, monkeypatch):
    import audiofiles
    from listenlens.pipeline import audio as audio_mod

    before = _counts(api.settings)
    monkeypatch.setattr(audio_mod, "_probe_here", audiofiles.decoder_segfault)  # runs in the checking child
    r = _upload(api, call_wav, name="crasher.wav")
    assert r.status_code == 422, r.text
    message = r.json()["error"]["message"]
    assert r.json()["error"]["code"] == "bad_audio"
    assert message.startswith("could not decode crasher.wav: the decoder crashed on it") and "re-export" in message
    assert _counts(api.settings) == before
    monkeypatch.undo()
    assert api.client.get("/healthz").status_code == 200
    assert _upload(api, call_wav).status_code == 202  # the same process goes on serving


def test_too_long_recording_is_refused(tmp_path_factory, call_wav):
    from listenlens.config import Settings
    from listenlens.service.app import create_app

    settings = make_settings(tmp_path_factory.mktemp("home-short"))
    with TestClient(create_app(settings, Settings(audio={"max_duration_s": 5.0}), start_worker=False)) as client:
        with open(call_wav, "rb") as f:
            r = client.post("/v1/calls", headers=bearer(new_key(settings, "acme")),
                            files={"file": ("long.wav", f, "audio/wav")})
        assert r.status_code == 422 and r.json()["error"]["code"] == "bad_audio"
        assert "limit" in r.json()["error"]["message"]
        assert _counts(settings) == (0, 0, 0)


@pytest.mark.parametrize("seconds", [20, 40])
def test_over_size_upload_answers_413(api, tmp_path, seconds):
    """20 s (1.3 MB) is caught while reading the body; 40 s (2.6 MB) from Content-Length alone."""
    import numpy as np

    from callsynth import write_wav

    big = tmp_path / "big.wav"
    write_wav(big, np.zeros((2, 16000 * seconds), dtype=np.float32))
    before = _counts(api.settings)
    r = _upload(api, big)
    assert r.status_code == 413 and r.json()["error"]["code"] == "too_large"
    assert "1 MB" in r.json()["error"]["message"]
    assert _counts(api.settings) == before


@pytest.mark.parametrize("data, field", [
    ({"channels": "left,right"}, "channels"),
    ({"call_time": "yesterday"}, "call_time"),
    ({"diarizer": "magic"}, "diarizer"),
    ({"num_speakers": "0"}, "num_speakers"),
])
def test_bad_options_are_refused_with_json_errors(api, call_wav, data, field):
    before = _counts(api.settings)
    r = _upload(api, call_wav, **data)
    assert r.status_code in (400, 422), r.text
    assert field in r.json()["error"]["message"] or field in str(r.json()["error"].get("details"))
    assert _counts(api.settings) == before


def test_delete_queued_call_removes_recording(api, call_wav):
    r = _upload(api, call_wav, rep="del")
    cid = r.json()["id"]
    folder = api.settings.resolved_home() / "recordings"
    assert any(cid in str(p) for p in folder.rglob("*"))
    assert api.client.delete(f"/v1/calls/{cid}", headers=api.b).status_code == 404
    assert any(cid in str(p) for p in folder.rglob("*")), "another tenant's delete must not touch it"
    assert api.client.delete(f"/v1/calls/{cid}", headers=api.a).status_code == 204
    assert not any(cid in str(p) for p in folder.rglob("*"))
    assert api.client.get(f"/v1/calls/{cid}", headers=api.a).status_code == 404
    assert api.client.delete(f"/v1/calls/{cid}", headers=api.a).status_code == 404


def test_webhook_registration(api):
    assert api.client.get("/v1/webhook", headers=api.b).status_code == 404
    bad = api.client.put("/v1/webhook", json={"url": "ftp://example.com"}, headers=api.b)
    assert bad.status_code == 400
    # Only the loopback receiver the test settings allow: no name to resolve, nothing sent elsewhere.
    first = api.client.put("/v1/webhook", json={"url": "http://127.0.0.1:9/a"}, headers=api.b).json()
    second = api.client.put("/v1/webhook", json={"url": "http://127.0.0.1:9/b"}, headers=api.b).json()
    assert first["secret"].startswith("whsec_") and second["secret"] != first["secret"]
    assert api.client.get("/v1/webhook", headers=api.b).json() == {**second, "secret": None}
    assert api.client.get("/v1/webhook", headers=api.a).status_code == 404  # per tenant
    assert api.client.delete("/v1/webhook", headers=api.b).status_code == 204
    assert api.client.get("/v1/webhook", headers=api.b).status_code == 404


@pytest.mark.parametrize("url", ["http://10.0.0.1/x", "https://169.254.169.254/latest", "https://127.0.0.2/x",
                                 "https://[::1]/x", "https://0.0.0.0/x", "https://2130706434/x"])
def test_webhook_to_a_non_public_address_is_refused(api, url):
    answer = api.client.put("/v1/webhook", json={"url": url}, headers=api.b)
    assert answer.status_code == 400, answer.text
    assert "public addresses only" in answer.json()["error"]["message"]
    assert api.client.get("/v1/webhook", headers=api.b).status_code == 404


def test_keys_cli_create_list_revoke(api, monkeypatch):
    from listenlens.cli import app as cli

    monkeypatch.setenv("LISTENLENS_HOME", str(api.settings.resolved_home()))
    monkeypatch.delenv("LISTENLENS_DATABASE_URL", raising=False)
    runner = CliRunner()
    made = runner.invoke(cli, ["keys", "create", "initech", "--name", "crm"])
    assert made.exit_code == 0, made.output
    key = made.stdout.strip().splitlines()[0]
    assert re.fullmatch(r"ll_[0-9a-f]{12}_[A-Za-z0-9_-]{40,}", key)
    headers = bearer(key)
    assert api.client.get("/v1/calls", headers=headers).json()["total"] == 0  # a new, empty tenant
    listed = runner.invoke(cli, ["keys", "list", "initech"])
    prefix = key.split("_")[1]
    assert prefix in listed.stdout and key not in listed.stdout  # the key itself is never shown again
    assert runner.invoke(cli, ["keys", "revoke", prefix]).exit_code == 0
    r = api.client.get("/v1/calls", headers=headers)
    assert r.status_code == 401
    again = runner.invoke(cli, ["keys", "revoke", key])
    assert again.exit_code != 0
