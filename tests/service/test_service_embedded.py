"""The embedded setup end to end: real SQLite, the in-process worker, the real pipeline.

One call is uploaded and processed once per module and shared by the tests; the tests
that destroy it (retention, delete) come last.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from callsynth import write_wav
from service_helpers import WebhookReceiver, bearer, make_settings, new_key, wait_for, wait_status

pytestmark = pytest.mark.slow  # runs the real pipeline (tiny.en) on a synthesized call

CALL_TIME = "2026-11-18T14:05:00Z"


@pytest.fixture(scope="module")
def svc(tmp_path_factory, call_wav):
    from listenlens.service.app import create_app

    home = tmp_path_factory.mktemp("home")
    settings = make_settings(home)
    receiver = WebhookReceiver(fail_first=1)
    with TestClient(create_app(settings)) as client:
        key_a, key_b = new_key(settings, "acme"), new_key(settings, "globex")
        a, b = bearer(key_a), bearer(key_b)
        hook = client.put("/v1/webhook", json={"url": receiver.url}, headers=a)
        assert hook.status_code == 200, hook.text
        with open(call_wav, "rb") as f:
            up = client.post(
                "/v1/calls", headers=a, files={"file": ("sales call.wav", f, "audio/wav")},
                data={"rep": "sam", "team": "emea", "call_time": CALL_TIME, "external_id": "zoom-1",
                      "channels": "rep,customer"},
            )
        assert up.status_code == 202, up.text
        call = wait_status(client, up.json()["id"], a)
        yield SimpleNamespace(client=client, settings=settings, home=home, a=a, b=b, upload=up.json(), call=call,
                              secret=hook.json()["secret"], receiver=receiver, call_wav=call_wav)
    receiver.close()


def test_upload_answers_202_queued_with_location(svc):
    up = svc.upload
    assert up["status"] == "queued"
    assert up["id"].startswith("call_")
    assert up["rep"] == "sam" and up["team"] == "emea" and up["external_id"] == "zoom-1"
    assert up["call_time"] == "2026-11-18T14:05:00Z"
    assert up["recording"]["channels"] == 2
    assert 9.0 < up["recording"]["duration_s"] < 15.0


def test_processed_call_has_a_scorecard(svc):
    call = svc.call
    assert call["status"] == "done", call.get("error")
    assert call["error"] is None and call["progress"] is None
    card = call["scorecard"]
    assert 0 <= card["score"] <= 100 and call["score"] == pytest.approx(card["score"])
    assert 0.0 < card["metrics"]["talk_ratio"] < 1.0
    # The channel map put the rep on the left channel: the scorecard says so.
    assert {s["role"] for s in card["speakers"]} == {"rep", "customer"}
    assert card["roles"]["source"] == "channel_map"
    # The rep asks two questions in the script.
    assert card["metrics"]["four_second_rule"]["asked"] >= 1


def test_transcript_json_vtt_and_rttm(svc):
    cid = svc.call["id"]
    tr = svc.client.get(f"/v1/calls/{cid}/transcript", headers=svc.a)
    assert tr.status_code == 200 and tr.headers["content-type"].startswith("application/json")
    body = tr.json()
    text = " ".join(w["text"] for w in body["words"]).lower()
    assert "acme" in text and "voices" in text  # "invoices", however the recogniser splits it
    assert body["segments"][0]["role"] == "rep"
    # The stored result says what ran: the effective settings, echoed by the pipeline.
    ran = body["source"]["settings"]
    assert ran["diarizer"]["backend"] == "auto" and ran["asr"]["model"] == "base"
    assert ran["diarizer"]["pyannote"]["hf_token"] in (None, "**********")
    vtt = svc.client.get(f"/v1/calls/{cid}/transcript?format=vtt", headers=svc.a)
    assert vtt.headers["content-type"].startswith("text/vtt")
    assert vtt.text.startswith("WEBVTT") and "-->" in vtt.text and "Acme" in vtt.text
    by_accept = svc.client.get(f"/v1/calls/{cid}/transcript", headers={**svc.a, "Accept": "text/vtt"})
    assert by_accept.text == vtt.text
    rttm = svc.client.get(f"/v1/calls/{cid}/transcript?format=rttm", headers=svc.a)
    assert rttm.text.startswith("SPEAKER ")


def test_recording_is_served_back(svc):
    rec = svc.client.get(f"/v1/calls/{svc.call['id']}/recording", headers=svc.a)
    assert rec.status_code == 200
    assert rec.content == Path(svc.call_wav).read_bytes()


def test_webhook_retried_signed_and_verifiable(svc):
    from listenlens.service.domain.webhooks import verify_signature

    cid = svc.call["id"]
    got = wait_for(lambda: [r for r in svc.receiver.for_call(cid) if r["answered"] == 200], "the webhook retry")
    attempts = svc.receiver.for_call(cid)
    # The receiver refused the first attempt; the retry carried the same delivery id.
    assert [r["answered"] for r in attempts[:2]] == [500, 200]
    assert len({r["headers"]["X-Listenlens-Delivery"] for r in attempts}) == 1
    req = got[0]
    h = req["headers"]
    assert verify_signature(svc.secret, h["X-Listenlens-Timestamp"], req["body"], h["X-Listenlens-Signature"])
    assert not verify_signature("whsec_wrong", h["X-Listenlens-Timestamp"], req["body"], h["X-Listenlens-Signature"])
    assert not verify_signature(svc.secret, h["X-Listenlens-Timestamp"], req["body"] + b" ", h["X-Listenlens-Signature"])
    event = json.loads(req["body"])
    assert event["event"] == "call.done" and h["X-Listenlens-Event"] == "call.done"
    assert event["call"]["status"] == "done" and event["call"]["scorecard"]["score"] == svc.call["score"]

    def delivered():
        rows = svc.client.get(f"/v1/webhook/deliveries?call_id={cid}", headers=svc.a).json()
        return rows if rows and rows[0]["status"] == "delivered" else None

    rows = wait_for(delivered, "the delivery record")
    assert rows[0]["attempts"] == 2
    assert [a["status_code"] for a in rows[0]["attempt_log"]] == [500, 200]
    # The secret is shown once only.
    assert svc.client.get("/v1/webhook", headers=svc.a).json()["secret"] is None


def test_same_external_id_returns_the_existing_call(svc, call_wav):
    with open(call_wav, "rb") as f:
        again = svc.client.post("/v1/calls", headers=svc.a, files={"file": ("x.wav", f, "audio/wav")},
                                data={"external_id": "zoom-1", "rep": "someone-else"})
    assert again.status_code == 200
    assert again.json()["id"] == svc.call["id"] and again.json()["rep"] == "sam"
    listing = svc.client.get("/v1/calls", headers=svc.a).json()
    assert listing["total"] == 1


def test_other_tenant_sees_nothing(svc):
    cid = svc.call["id"]
    for path in (f"/v1/calls/{cid}", f"/v1/calls/{cid}/transcript", f"/v1/calls/{cid}/recording"):
        r = svc.client.get(path, headers=svc.b)
        assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    assert svc.client.delete(f"/v1/calls/{cid}", headers=svc.b).status_code == 404
    assert svc.client.get("/v1/calls", headers=svc.b).json()["total"] == 0
    assert svc.client.get("/v1/reps/sam/trends", headers=svc.b).json()["weeks"] == []
    assert svc.client.get(f"/v1/webhook/deliveries?call_id={cid}", headers=svc.b).json() == []
    # ...and the call is still there for its owner.
    assert svc.client.get(f"/v1/calls/{cid}", headers=svc.a).status_code == 200


def test_trends_per_iso_week_as_json_and_csv(svc):
    week = datetime.fromisoformat(CALL_TIME.replace("Z", "+00:00")).isocalendar()
    expected_week = f"{week[0]}-W{week[1]:02d}"
    js = svc.client.get("/v1/reps/sam/trends", headers=svc.a).json()
    assert [w["week"] for w in js["weeks"]] == [expected_week]
    wk = js["weeks"][0]
    assert wk["calls"] == 1
    assert wk["metrics"]["score"] == {"count": 1, "mean": svc.call["score"], "median": svc.call["score"]}
    ratio = svc.call["scorecard"]["metrics"]["talk_ratio"]
    assert wk["metrics"]["talk_ratio"]["mean"] == pytest.approx(ratio, abs=1e-4)
    team = svc.client.get("/v1/teams/emea/trends?metrics=score,talk_ratio", headers=svc.a).json()
    assert team["metrics"] == ["score", "talk_ratio"] and team["weeks"][0]["calls"] == 1
    assert svc.client.get("/v1/teams/other/trends", headers=svc.a).json()["weeks"] == []
    out_of_range = svc.client.get("/v1/reps/sam/trends?from=2026-12-01", headers=svc.a).json()
    assert out_of_range["weeks"] == []
    csv = svc.client.get("/v1/reps/sam/trends?format=csv", headers=svc.a)
    assert csv.headers["content-type"].startswith("text/csv")
    lines = csv.text.strip().splitlines()
    assert lines[0] == "week,metric,calls,count,mean,median"
    score_line = next(line for line in lines if line.split(",")[1] == "score")
    assert score_line.startswith(f"{expected_week},score,1,1,")


def test_pipeline_failure_marks_the_call_failed_and_notifies(svc, tmp_path):
    silent = tmp_path / "silent.wav"
    write_wav(silent, np.zeros((1, 16000 * 3), dtype=np.float32))
    with open(silent, "rb") as f:
        up = svc.client.post("/v1/calls", headers=svc.a, files={"file": ("silent.wav", f, "audio/wav")},
                             data={"rep": "sam"})
    assert up.status_code == 202, up.text  # readable audio: accepted, the pipeline finds it silent
    call = wait_status(svc.client, up.json()["id"], svc.a)
    assert call["status"] == "failed"
    assert call["error"]["code"] == "bad_audio" and "silent" in call["error"]["message"]
    assert call["scorecard"] is None
    events = wait_for(lambda: [r for r in svc.receiver.for_call(call["id"]) if r["answered"] == 200],
                      "the call.failed webhook")
    body = json.loads(events[0]["body"])
    assert body["event"] == "call.failed" and body["call"]["error"]["code"] == "bad_audio"
    # Failed calls are listed, filterable by status; they count in no trend.
    failed = svc.client.get("/v1/calls?status=failed", headers=svc.a).json()
    assert [c["id"] for c in failed["items"]] == [call["id"]]
    trends = svc.client.get("/v1/reps/sam/trends", headers=svc.a).json()
    assert trends["weeks"][0]["calls"] == 1
    assert svc.client.delete(f"/v1/calls/{call['id']}", headers=svc.a).status_code == 204


def test_decoder_crash_in_the_worker_fails_that_call_only(svc, monkeypatch):
    import audiofiles
    from listenlens.pipeline import audio as audio_mod

    monkeypatch.setattr(audio_mod, "_load_here", audiofiles.decoder_segfault)  # runs in the decoding child
    with open(svc.call_wav, "rb") as f:
        up = svc.client.post("/v1/calls", headers=svc.a, files={"file": ("crasher.wav", f, "audio/wav")},
                             data={"rep": "crash-test"})
    assert up.status_code == 202, up.text  # the upload check is not patched: it passes
    call = wait_status(svc.client, up.json()["id"], svc.a)
    assert call["status"] == "failed" and call["error"]["code"] == "bad_audio"
    assert call["error"]["message"].startswith("could not decode crasher.wav: the decoder crashed on it")
    monkeypatch.undo()
    # The worker that ran it is still there and analyses the next call.
    with open(svc.call_wav, "rb") as f:
        again = svc.client.post("/v1/calls", headers=svc.a, files={"file": ("after.wav", f, "audio/wav")},
                                data={"rep": "crash-test", "channels": "rep,customer"})
    assert wait_status(svc.client, again.json()["id"], svc.a)["status"] == "done"
    for c in (call["id"], again.json()["id"]):
        assert svc.client.delete(f"/v1/calls/{c}", headers=svc.a).status_code == 204


def test_retention_deletes_recordings_and_keeps_metrics(svc):
    from listenlens.cli import app as cli
    from listenlens.service.jobs.housekeeping import apply_retention
    from listenlens.service.runtime import Runtime

    cid = svc.call["id"]
    recordings = svc.home / "recordings"
    def stored():
        return [p for p in recordings.rglob("*") if p.is_file() and cid in str(p)]

    assert [p.name for p in stored()] == ["sales call.wav"]
    rt = Runtime(svc.settings)
    try:
        assert apply_retention(rt, days=1) == 0  # uploaded minutes ago: kept
    finally:
        rt.close()
    env = {"LISTENLENS_HOME": str(svc.home), "LISTENLENS_DATABASE_URL": "", "LISTENLENS_STORAGE_URL": ""}
    ran = CliRunner().invoke(cli, ["retention", "--days", "0"], env=env)
    assert ran.exit_code == 0, ran.output
    assert "deleted 1 recording" in ran.stdout
    assert stored() == []
    call = svc.client.get(f"/v1/calls/{cid}", headers=svc.a).json()
    assert call["recording"]["available"] is False and call["recording"]["deleted_at"]
    assert call["scorecard"]["score"] == svc.call["score"]
    gone = svc.client.get(f"/v1/calls/{cid}/recording", headers=svc.a)
    assert gone.status_code == 410 and gone.json()["error"]["code"] == "gone"
    assert svc.client.get(f"/v1/calls/{cid}/transcript", headers=svc.a).status_code == 200
    assert svc.client.get("/v1/reps/sam/trends", headers=svc.a).json()["weeks"][0]["calls"] == 1


def test_delete_removes_everything(svc, call_wav):
    from sqlalchemy import create_engine, text

    with open(call_wav, "rb") as f:
        up = svc.client.post("/v1/calls", headers=svc.a, files={"file": ("b.wav", f, "audio/wav")},
                             data={"rep": "sam", "external_id": "zoom-2"})
    cid = up.json()["id"]
    done = wait_status(svc.client, cid, svc.a)
    assert done["status"] == "done"
    folder = svc.home / "recordings"
    assert any(cid in str(p) for p in folder.rglob("*"))
    assert svc.client.delete(f"/v1/calls/{cid}", headers=svc.a).status_code == 204
    assert svc.client.get(f"/v1/calls/{cid}", headers=svc.a).status_code == 404
    assert svc.client.get(f"/v1/calls/{cid}/transcript", headers=svc.a).status_code == 404
    assert not any(cid in str(p) for p in folder.rglob("*"))
    engine = create_engine(svc.settings.resolved_database_url())
    with engine.connect() as conn:
        for table, col in (("calls", "id"), ("call_results", "call_id"), ("jobs", "call_id"),
                           ("webhook_deliveries", "call_id")):
            n = conn.execute(text(f"SELECT count(*) FROM {table} WHERE {col} = :c"), {"c": cid}).scalar()
            assert n == 0, table
    engine.dispose()
    # The external id is free again once its call is deleted.
    assert svc.client.get("/v1/calls?external_id=zoom-2", headers=svc.a).json()["total"] == 0
