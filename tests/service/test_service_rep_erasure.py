"""Erasing a rep (``DELETE /v1/reps/{rep}``): every call with its recording, results, pending
jobs and webhook deliveries, the voiceprint and the rep's accounts go; the same name in
another tenant and the tenant's other reps stay; a result being written meanwhile is
dropped, never written back.

Runs on SQLite and, when it answers on 127.0.0.1:5432, on PostgreSQL (a throwaway schema).
The API, the upload path, the job queue and the worker's write path are the real ones;
analyses are not run (their result is written through the worker's own ``save_result``).
"""

from __future__ import annotations

import threading
import time
from types import SimpleNamespace

import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from service_helpers import bearer, make_settings, new_key, postgres_schema

WORKER = "test-worker"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.scaleout)])
def world(request, tmp_path, call_wav):
    from listenlens.config import Settings
    from listenlens.service.app import create_app

    def build(database_url):
        settings = make_settings(tmp_path / "home", database_url=database_url, worker_threads=0)
        keys = SimpleNamespace(a=bearer(new_key(settings, "acme")), b=bearer(new_key(settings, "globex")))
        app = create_app(settings, Settings(audio={"max_duration_s": 60.0}), start_worker=False)
        with TestClient(app) as client:
            yield _seed(SimpleNamespace(client=client, rt=app.state.runtime, **vars(keys)), call_wav)

    if request.param == "postgres":
        with postgres_schema() as url:
            yield from build(url)
    else:
        yield from build(None)


def _upload(w, headers, wav, **data) -> str:
    with open(wav, "rb") as f:
        r = w.client.post("/v1/calls", headers=headers, files={"file": ("call.wav", f, "audio/wav")}, data=data)
    assert r.status_code == 202, r.text
    return r.json()["id"]


def _claim(w, call_id: str):
    from listenlens.service.db.models import Job

    with w.rt.db.session() as s:
        job_id = s.scalar(select(Job.id).where(Job.call_id == call_id, Job.kind == "analyze"))
    claimed = w.rt.queue.claim(job_id, WORKER)
    assert claimed is not None
    return claimed


def _tenant(w, name: str) -> str:
    from listenlens.service.db.models import Tenant

    with w.rt.db.session() as s:
        return s.scalar(select(Tenant.id).where(Tenant.name == name))


def _seed(w, wav):
    """acme: sam (a done call with a queued webhook, a queued call), dana; globex: its own sam."""
    from listenlens.pipeline.voiceprints import Voice
    from listenlens.service.domain import voiceprints
    from listenlens.service.domain.accounts import create_user
    from listenlens.service.jobs.runner import save_result

    assert w.client.put("/v1/webhook", json={"url": "http://127.0.0.1:9/hook"}, headers=w.a).status_code == 200
    w.sam = [_upload(w, w.a, wav, rep="sam", team="west"), _upload(w, w.a, wav, rep="sam", team="west")]
    w.dana = _upload(w, w.a, wav, rep="dana", team="west")
    w.other_sam = _upload(w, w.b, wav, rep="sam")
    assert save_result(w.rt, _claim(w, w.sam[0]), WORKER, {"schema": "test"}, {"score": 61.0})
    w.acme, w.globex = _tenant(w, "acme"), _tenant(w, "globex")
    with w.rt.db.session() as s:
        for tenant, rep in ((w.acme, "sam"), (w.acme, "dana"), (w.globex, "sam")):
            voiceprints.learn(s, tenant, rep, Voice(np.eye(4, dtype=np.float32)[0], 10.0), 50)
        create_user(s, "acme", "sam@acme.test", "a long enough password", role="rep", rep="sam")
        create_user(s, "acme", "coach@acme.test", "a long enough password", role="coach", rep="sam")
        create_user(s, "globex", "sam@globex.test", "a long enough password", role="rep", rep="sam")
    return w


def _rows(w, model, *conds):
    with w.rt.db.session() as s:
        return list(s.scalars(select(model).where(*conds)).all())


def _stored(w) -> set[str]:
    """Call ids with a file in the recordings store."""
    return {key.split("/")[1] for key, _ in w.rt.storage.recordings()}


def test_erasing_a_rep_removes_their_calls_files_voiceprint_and_account_and_nothing_else(world):
    from listenlens.service.db.models import Call, CallResult, Job, User, Voiceprint, WebhookDelivery

    w = world
    assert set(w.sam) | {w.dana, w.other_sam} <= _stored(w)
    assert len(_rows(w, WebhookDelivery, WebhookDelivery.call_id == w.sam[0])) == 1

    r = w.client.delete("/v1/reps/sam", headers=w.a)
    assert r.status_code == 200, r.text
    # Two calls; one scorecard; both recordings; the second call's analysis and the first's
    # webhook send not yet run; one delivery; the voiceprint; the rep's account.
    assert r.json() == {"rep": "sam", "calls": 2, "scorecards": 1, "recordings": 2, "jobs": 2,
                        "webhook_deliveries": 1, "voiceprints": 1, "users": 1}

    gone = set(w.sam)
    assert not _rows(w, Call, Call.id.in_(gone))
    assert not _rows(w, CallResult, CallResult.call_id.in_(gone))
    assert not _rows(w, Job, Job.call_id.in_(gone))
    assert not _rows(w, WebhookDelivery, WebhookDelivery.call_id.in_(gone))
    assert not gone & _stored(w)
    assert {w.dana, w.other_sam} <= _stored(w)
    assert sorted((v.tenant_id == w.acme, v.rep) for v in _rows(w, Voiceprint)) == [(False, "sam"), (True, "dana")]
    users = {u.email: u for u in _rows(w, User)}
    assert "sam@acme.test" not in users and users["sam@globex.test"].rep == "sam"
    assert users["coach@acme.test"].role == "coach" and users["coach@acme.test"].rep is None
    # What the API shows follows: no call, trend or voiceprint of acme's sam; globex's sam and dana intact.
    assert w.client.get("/v1/calls", params={"rep": "sam"}, headers=w.a).json()["total"] == 0
    assert w.client.get("/v1/reps/sam/trends", headers=w.a).json()["weeks"] == []
    assert w.client.get("/v1/reps/sam/voiceprint", headers=w.a).status_code == 404
    assert w.client.get("/v1/calls", params={"rep": "sam"}, headers=w.b).json()["total"] == 1
    assert w.client.get("/v1/reps/sam/voiceprint", headers=w.b).status_code == 200
    assert w.client.get(f"/v1/calls/{w.dana}", headers=w.a).json()["status"] == "queued"
    # The erased calls' queued jobs are gone: a worker finds only the other calls' analyses.
    left = {w.rt.queue.claim_next(WORKER, ["analyze"]).call_id for _ in range(2)}
    assert left == {w.dana, w.other_sam} and w.rt.queue.claim_next(WORKER, ["analyze"]) is None

    again = w.client.delete("/v1/reps/sam", headers=w.a)
    assert again.status_code == 404 and "'sam'" in again.json()["error"]["message"]


def test_unknown_reps_and_other_tenants_reps_answer_404_and_bad_names_422(world):
    from listenlens.service.db.models import Call

    w = world
    r = w.client.delete("/v1/reps/nobody", headers=w.a)
    assert r.status_code == 404 and "'nobody'" in r.json()["error"]["message"]
    # dana is acme's: for globex she does not exist, and nothing of acme's is touched.
    assert w.client.delete("/v1/reps/dana", headers=w.b).status_code == 404
    assert _rows(w, Call, Call.id == w.dana)
    assert w.client.delete("/v1/reps/%20", headers=w.a).status_code == 422
    assert w.client.delete("/v1/reps/" + "x" * 201, headers=w.a).status_code == 422
    assert w.client.delete("/v1/reps/sam").status_code == 401
    # The voiceprint's own route is still the voiceprint's.
    assert w.client.delete("/v1/reps/dana/voiceprint", headers=w.a).status_code == 204
    assert _rows(w, Call, Call.id == w.dana)


def test_a_result_for_a_call_erased_while_it_ran_is_dropped(world):
    from listenlens.service.db.models import Call, CallResult, WebhookDelivery
    from listenlens.service.jobs.runner import run_analysis, save_result

    w = world
    running = _claim(w, w.sam[1])  # a worker has it
    assert w.client.delete("/v1/reps/sam", headers=w.a).status_code == 200
    assert save_result(w.rt, running, WORKER, {"schema": "test"}, {"score": 50.0}) is False
    run_analysis(w.rt, running, WORKER)  # a job claimed just before: finds its call gone, writes nothing
    assert not _rows(w, Call, Call.id == w.sam[1])
    assert not _rows(w, CallResult, CallResult.call_id == w.sam[1])
    assert not _rows(w, WebhookDelivery, WebhookDelivery.call_id == w.sam[1])


def test_a_result_written_during_the_erasure_waits_and_is_dropped(world):
    """The erasure holds the call (as ``reps.erase`` does); the worker's write waits for it and
    then finds the call gone, instead of writing a result (or failing on a foreign key)."""
    from listenlens.service.db.models import CallResult, WebhookDelivery
    from listenlens.service.domain import calls
    from listenlens.service.jobs.runner import save_result

    w = world
    running = _claim(w, w.sam[1])
    outcome: dict = {}

    def write():
        try:
            outcome["saved"] = save_result(w.rt, running, WORKER, {"schema": "test"}, {"score": 50.0})
        except Exception as exc:  # noqa: BLE001 - the assertion below shows it
            outcome["error"] = repr(exc)

    with w.rt.db.session() as s:
        call = calls.hold(s, w.sam[1])
        calls.purge(s, call)
        writer = threading.Thread(target=write)
        writer.start()
        time.sleep(1.0)
        assert writer.is_alive(), f"the write did not wait for the erasure: {outcome}"
    writer.join(timeout=60)
    assert outcome == {"saved": False}
    assert not _rows(w, CallResult, CallResult.call_id == w.sam[1])
    assert not _rows(w, WebhookDelivery, WebhookDelivery.call_id == w.sam[1])


def test_an_erasure_waits_for_a_result_being_written_and_deletes_it(world):
    from listenlens.service.db.models import CallResult, Job, WebhookDelivery
    from listenlens.service.domain import calls
    from listenlens.service.jobs.runner import _pending_webhook_jobs

    w = world
    running = _claim(w, w.sam[1])
    answer: dict = {}

    def erase():
        answer["r"] = w.client.delete("/v1/reps/sam", headers=w.a)

    eraser = threading.Thread(target=erase)
    with w.rt.db.session() as s:  # the worker's write, as save_result does it, held open
        call = calls.hold(s, w.sam[1])
        calls.mark_done(s, call, {"schema": "test"}, {"score": 50.0})
        w.rt.queue.finish(running.id, WORKER, session=s)
        assert _pending_webhook_jobs(s, w.sam[1])
        eraser.start()
        time.sleep(1.0)
        assert eraser.is_alive(), "the erasure did not wait for the result being written"
    eraser.join(timeout=60)
    body = answer["r"].json()
    assert answer["r"].status_code == 200 and body["calls"] == 2 and body["scorecards"] == 2, body
    gone = set(w.sam)
    assert not _rows(w, CallResult, CallResult.call_id.in_(gone))
    assert not _rows(w, WebhookDelivery, WebhookDelivery.call_id.in_(gone))
    assert not _rows(w, Job, Job.call_id.in_(gone))


def test_the_cli_erases_a_rep_of_one_tenant_after_confirmation(tmp_path, monkeypatch, call_wav):
    from typer.testing import CliRunner

    from listenlens.cli import app
    from listenlens.service.db.models import Call, utcnow
    from listenlens.service.domain.auth import get_or_create_tenant
    from listenlens.service.runtime import open_runtime

    for name in ("LISTENLENS_DATABASE_URL", "LISTENLENS_STORAGE_URL", "LISTENLENS_BROKER_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LISTENLENS_HOME", str(tmp_path))
    with open_runtime() as rt:
        ids = {}
        for tenant in ("acme", "globex"):
            with rt.db.session() as s:
                tenant_id = get_or_create_tenant(s, tenant).id
                ids[tenant] = f"call_{tenant:0>24}"
                key = f"{tenant_id}/{ids[tenant]}/call.wav"
                rt.storage.put(call_wav, key)
                s.add(Call(id=ids[tenant], tenant_id=tenant_id, rep="sam", call_time=utcnow(), options={},
                           status="done", recording_key=key))
    runner = CliRunner()
    res = runner.invoke(app, ["reps", "delete", "sam", "--tenant", "acme"])
    assert res.exit_code == 2 and "--yes" in res.output
    res = runner.invoke(app, ["reps", "delete", "sam"])
    assert res.exit_code == 2 and "--tenant" in res.output
    res = runner.invoke(app, ["reps", "delete", "sam", "--tenant", "acme", "--yes"])
    assert res.exit_code == 0, res.output
    assert "erased sam in tenant 'acme': 1 call(s) with 1 recording(s)" in res.output
    with open_runtime() as rt:
        assert {key.split("/")[1] for key, _ in rt.storage.recordings()} == {ids["globex"]}
        with rt.db.session() as s:
            assert s.get(Call, ids["acme"]) is None and s.get(Call, ids["globex"]) is not None
    res = runner.invoke(app, ["reps", "delete", "nobody", "--tenant", "acme", "--yes"])
    assert res.exit_code == 2 and "'nobody'" in res.output
