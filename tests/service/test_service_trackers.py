"""Trackers in the service: the API and the page manage a tenant's phrase lists (real
SQLite), each tenant sees only its own, and a scored call is searched for them."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from service_helpers import bearer, make_settings, new_key, wait_status

PASSWORD = "a long enough password"


@pytest.fixture(autouse=True)
def quick_hashes(monkeypatch):
    from argon2 import PasswordHasher

    from listenlens.service.domain import accounts

    quick = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    monkeypatch.setattr(accounts, "_hasher", lambda: quick)


@pytest.fixture
def api(tmp_path):
    from listenlens.config import Settings
    from listenlens.service.app import create_app
    from listenlens.service.domain.accounts import create_user

    settings = make_settings(tmp_path, worker_threads=0)
    app = create_app(settings, Settings(), start_worker=False)
    with TestClient(app) as client:
        a, b = bearer(new_key(settings, "acme")), bearer(new_key(settings, "globex"))
        with app.state.runtime.db.session() as s:
            create_user(s, "acme", "coach@acme.test", PASSWORD, role="coach")
            create_user(s, "acme", "ann@acme.test", PASSWORD, role="rep", rep="ann")
        yield SimpleNamespace(client=client, app=app, settings=settings, a=a, b=b)


def _stored(settings) -> list[tuple[str, str]]:
    engine = create_engine(settings.resolved_database_url())
    try:
        with engine.connect() as conn:
            return sorted(tuple(r) for r in conn.execute(text(
                "SELECT tenants.name, trackers.name FROM trackers JOIN tenants ON tenants.id = trackers.tenant_id")))
    finally:
        engine.dispose()


def test_create_replace_list_get_delete(api):
    c = api.client
    r = c.put("/v1/trackers/competitors", json={"phrases": ["Gong", " Chorus ", "gong", "Clari"]}, headers=api.a)
    assert r.status_code == 201, r.text
    assert r.json()["name"] == "competitors" and r.json()["phrases"] == ["Gong", "Chorus", "Clari"]  # repeat dropped
    r = c.put("/v1/trackers/competitors", json={"phrases": ["Gong"]}, headers=api.a)
    assert r.status_code == 200 and r.json()["phrases"] == ["Gong"]
    assert c.put("/v1/trackers/pricing", json={"phrases": ["price increase", "discount"]}, headers=api.a).status_code == 201
    assert [t["name"] for t in c.get("/v1/trackers", headers=api.a).json()] == ["competitors", "pricing"]
    assert c.get("/v1/trackers/pricing", headers=api.a).json()["phrases"] == ["price increase", "discount"]
    assert c.delete("/v1/trackers/pricing", headers=api.a).status_code == 204
    assert c.get("/v1/trackers/pricing", headers=api.a).status_code == 404
    assert c.delete("/v1/trackers/pricing", headers=api.a).status_code == 404
    assert _stored(api.settings) == [("acme", "competitors")]


def test_bad_lists_are_refused_saying_what_to_fix(api):
    c = api.client
    r = c.put("/v1/trackers/legal", json={"phrases": ["!!"]}, headers=api.a)
    assert r.status_code == 422 and "no words to match" in r.json()["error"]["message"]
    r = c.put("/v1/trackers/legal", json={"phrases": []}, headers=api.a)
    assert r.status_code == 422
    r = c.put("/v1/trackers/legal", json={"phrases": "contract"}, headers=api.a)
    assert r.status_code == 422
    r = c.put("/v1/trackers/legal", json={"phrases": ["x" * 201]}, headers=api.a)
    assert r.status_code == 422 and "limit is 200" in r.json()["error"]["message"]
    r = c.put("/v1/trackers/" + "n" * 101, json={"phrases": ["contract"]}, headers=api.a)
    assert r.status_code == 422
    assert c.put("/v1/trackers/legal", json={"phrases": ["a\x00b"]}, headers=api.a).status_code == 422
    assert c.get("/v1/trackers", headers=api.a).json() == [] and _stored(api.settings) == []
    assert c.get("/v1/trackers").status_code == 401


def test_each_tenant_sees_and_changes_only_its_own(api):
    c = api.client
    c.put("/v1/trackers/competitors", json={"phrases": ["Gong"]}, headers=api.a)
    assert c.get("/v1/trackers", headers=api.b).json() == []
    assert c.get("/v1/trackers/competitors", headers=api.b).status_code == 404
    assert c.delete("/v1/trackers/competitors", headers=api.b).status_code == 404
    # B's tracker of the same name is B's own; A's stays as it was.
    assert c.put("/v1/trackers/competitors", json={"phrases": ["Chorus"]}, headers=api.b).status_code == 201
    assert c.get("/v1/trackers/competitors", headers=api.a).json()["phrases"] == ["Gong"]
    assert _stored(api.settings) == [("acme", "competitors"), ("globex", "competitors")]


def test_the_openapi_document_types_the_routes(api):
    spec = api.client.get("/openapi.json").json()
    put = spec["paths"]["/v1/trackers/{tracker}"]["put"]
    assert put["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("/TrackerIn")
    assert {"200", "201", "422"} <= set(put["responses"])
    listed = spec["paths"]["/v1/trackers"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert listed["items"]["$ref"].endswith("/TrackerOut")
    assert "delete" in spec["paths"]["/v1/trackers/{tracker}"]


def _browser(app, email):
    client = TestClient(app)
    token = re.search(r'name="csrf" value="([^"]*)"', client.get("/ui/login").text).group(1)
    r = client.post("/ui/login", data={"email": email, "password": PASSWORD, "csrf": token}, follow_redirects=False)
    assert r.status_code == 303, r.text[:300]
    return client


def _token(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]*)"', html).group(1)


def test_a_coach_manages_trackers_on_the_page(api):
    coach = _browser(api.app, "coach@acme.test")
    page = coach.get("/ui/trackers")
    assert page.status_code == 200 and 'action="/ui/trackers"' in page.text and 'href="/ui/trackers"' in page.text
    r = coach.post("/ui/trackers", data={"csrf": _token(page.text), "name": "pricing",
                                         "phrases": "price increase\ndiscount, budget"}, follow_redirects=False)
    assert r.status_code == 303
    page = coach.get(r.headers["location"])
    assert "Added pricing (3 phrases)" in page.text and "price increase, discount, budget" in page.text
    assert api.client.get("/v1/trackers/pricing", headers=api.a).json()["phrases"] == [
        "price increase", "discount", "budget"]
    # A list that cannot match is shown again with the reason, nothing stored.
    r = coach.post("/ui/trackers", data={"csrf": _token(page.text), "name": "legal", "phrases": "!!"})
    assert r.status_code == 422 and "no words to match" in r.text and _stored(api.settings) == [("acme", "pricing")]
    r = coach.post("/ui/trackers/delete", data={"csrf": _token(page.text), "name": "pricing"}, follow_redirects=False)
    assert r.status_code == 303 and _stored(api.settings) == []


def test_the_page_forms_need_the_csrf_token_and_a_rep_is_refused(api):
    coach = _browser(api.app, "coach@acme.test")
    assert coach.post("/ui/trackers", data={"name": "pricing", "phrases": "price"}).status_code == 403
    assert coach.post("/ui/trackers", data={"csrf": "forged", "name": "pricing", "phrases": "price"}).status_code == 403
    assert _stored(api.settings) == []
    rep = _browser(api.app, "ann@acme.test")
    assert rep.get("/ui/trackers").status_code == 403
    assert 'href="/ui/trackers"' not in rep.get("/ui").text
    token = _token(rep.get("/ui").text)
    assert rep.post("/ui/trackers", data={"csrf": token, "name": "pricing", "phrases": "price"}).status_code == 403
    assert _stored(api.settings) == []


def test_the_job_runner_scores_with_the_tenants_trackers(api, monkeypatch):
    """The runner hands the tenant's trackers (joined with the settings' own) to scoring."""
    from listenlens.pipeline import analyze
    from listenlens.service.db.models import Call, utcnow
    from listenlens.service.jobs import runner
    from listenlens.service.jobs.queue import Claimed

    api.client.put("/v1/trackers/competitors", json={"phrases": ["Gong"]}, headers=api.b)  # another tenant's
    api.client.put("/v1/trackers/pricing", json={"phrases": ["price"]}, headers=api.a)
    seen = {}

    class Stop(Exception):
        pass

    def fake_analyze(path, settings, **kwargs):
        seen["trackers"] = settings.scorecard.trackers
        raise Stop

    monkeypatch.setattr(analyze, "analyze_call", fake_analyze)
    rt = api.app.state.runtime
    rt.pipeline_settings = rt.pipeline_settings.updated({"scorecard.trackers": {"legal": ["contract"]}})
    with rt.db.session() as s:
        from sqlalchemy import select

        from listenlens.service.db.models import Tenant

        tid = s.scalar(select(Tenant.id).where(Tenant.name == "acme"))
        s.add(Call(id="call_trk", tenant_id=tid, status="queued", recording_key="k", options={}, created_at=utcnow(),
                   call_time=utcnow()))
    monkeypatch.setattr(rt.storage, "local_path", lambda key: _nullpath())
    # The stand-in stops the analysis once it has seen the settings (the call then fails, logged).
    runner.run_analysis(rt, Claimed(id=1, kind="analyze", tenant_id=tid, call_id="call_trk", delivery_id=None,
                                    attempts=1), "w1")
    assert seen["trackers"] == {"legal": ["contract"], "pricing": ["price"]}


class _nullpath:
    def __enter__(self):
        return "/nonexistent.wav"

    def __exit__(self, *exc):
        return False


@pytest.mark.slow
def test_a_scored_call_shows_each_tracker_hit_as_a_moment(tmp_path, call_wav):
    """The real pipeline on a synthesized call: "Acme" (said by the rep at about 1 s) is a hit."""
    from listenlens.config import Settings
    from listenlens.service.app import create_app

    settings = make_settings(tmp_path)
    with TestClient(create_app(settings, Settings(audio={"max_duration_s": 60.0}))) as client:
        a = bearer(new_key(settings, "acme"))
        assert client.put("/v1/trackers/companies", json={"phrases": ["Acme"]}, headers=a).status_code == 201
        with open(call_wav, "rb") as f:
            r = client.post("/v1/calls", headers=a, files={"file": ("call.wav", f, "audio/wav")},
                            data={"rep": "sam", "channels": "rep,customer"})
        assert r.status_code in (200, 201, 202), r.text
        done = wait_status(client, r.json()["id"], a)
        assert done["status"] == "done", done
        card = client.get(f"/v1/calls/{done['id']}", headers=a).json()["scorecard"]
    hits = [m for m in card["moments"] if m["kind"] == "tracker"]
    assert len(hits) == 1 and hits[0]["tracker"] == "companies" and hits[0]["role"] == "rep"
    assert 0.4 <= hits[0]["start"] <= 3.5
    assert card["settings"]["trackers"] == {"companies": ["Acme"]}


def test_the_trackers_migration_goes_down_and_up_and_matches_the_model(tmp_path):
    from alembic import command
    from alembic.autogenerate import compare_metadata
    from alembic.config import Config
    from alembic.migration import MigrationContext
    from sqlalchemy import inspect

    from listenlens.service.db import database
    from listenlens.service.db.database import Database
    from listenlens.service.db.models import Base

    db = Database(f"sqlite:///{tmp_path / 'm.db'}")
    try:
        db.migrate()
        assert "trackers" in inspect(db.engine).get_table_names()
        with db.engine.connect() as conn:
            diff = [d for d in compare_metadata(MigrationContext.configure(conn), Base.metadata)
                    if "trackers" in repr(d)]
        assert diff == []
        cfg = Config(str(database._HERE / "alembic.ini"))
        cfg.set_main_option("script_location", str(database._HERE / "migrations"))
        with db.engine.connect() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0003_voiceprints")
            conn.commit()
        assert "trackers" not in inspect(db.engine).get_table_names()
        db.migrate()
        assert "trackers" in inspect(db.engine).get_table_names()
    finally:
        db.dispose()


def test_the_call_page_says_what_was_said_with_times_to_play(api):
    """A done call scored with trackers: the page's "What was said" section lists the
    objection, the next step, dead air and the tracker hits, each with a button to play it."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from listenlens.pipeline.scorecard import score_call
    from listenlens.service.db.models import Call, CallResult, Tenant, utcnow
    from listenlens.service.domain.calls import jsonable
    from scorecard_cases import CASES

    timeline, config, embedder = CASES["content"]()
    card = jsonable(score_call(timeline, config, embedder=embedder).model_dump(mode="json"))
    from sqlalchemy import select

    with api.app.state.runtime.db.session() as s:
        tid = s.scalar(select(Tenant.id).where(Tenant.name == "acme"))
        s.add(Call(id="call_said", tenant_id=tid, rep="sam", call_time=utcnow(), options={}, duration_s=55.0,
                   channels=2, status="done", score=card["score"], finished_at=utcnow(), progress_stage="done",
                   progress=1.0))
        s.flush()
        s.add(CallResult(call_id="call_said", schema="listenlens.analysis/1", scorecard=card, timeline=timeline.to_dict()))
    html = _browser(api.app, "coach@acme.test").get("/ui/calls/call_said").text
    said = html[html.index('id="said-h"'):html.index("</section>", html.index('id="said-h"'))]
    assert "<dt>Objections</dt><dd>1: price (listening)" in said
    assert 'data-t="12.0"' in said and "▶ 0:12" in said
    assert "<dt>Next step</dt><dd>agreed: tuesday" in said and 'data-t="48.0"' in said
    assert "<dt>Dead air</dt><dd>1 stretch, 9.0 s in all" in said and 'data-t="26.0"' in said
    assert "<dt>Trackers</dt><dd>pricing 3, competitors 1" in said
    assert "Customer focus" in html and "Self-promotion" in html  # the content components' rows
    # weight 0: judged, but the page says they do not count
    assert "rep sentences about the customer rather than the seller (shown, not counted in the score)" in html
