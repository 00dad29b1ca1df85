"""Voiceprints in the service: learned from a rep's channel-mapped call, enrolled with
consent, used for the roles of the rep's mono calls, kept per tenant, deleted for good."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from callsynth import Line, make_call, speak, write_wav
from service_helpers import bearer, make_settings, new_key, wait_status

SAM, DANA, LEE, RAVI = "en-us+m7", "en+f5", "en-gb-scotland+f2", "en-029+m4"


def _stored_voiceprints(settings) -> list[tuple[str, str]]:
    engine = create_engine(settings.resolved_database_url())
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(text(
                "SELECT tenants.name, voiceprints.rep FROM voiceprints JOIN tenants ON tenants.id = voiceprints.tenant_id"))]
    finally:
        engine.dispose()


def _enroll(api, rep, path, consent="true", headers=None):
    with open(path, "rb") as f:
        return api.client.put(f"/v1/reps/{rep}/voiceprint", headers=headers or api.a,
                              files={"file": ("clip.wav", f, "audio/wav")}, data={"consent": consent})


@pytest.fixture(scope="module")
def api(tmp_path_factory):
    from listenlens.config import Settings
    from listenlens.service.app import create_app

    home = tmp_path_factory.mktemp("home")
    settings = make_settings(home)
    with TestClient(create_app(settings, Settings(audio={"max_duration_s": 120.0}), start_worker=False)) as client:
        yield SimpleNamespace(client=client, settings=settings, a=bearer(new_key(settings, "acme")),
                              b=bearer(new_key(settings, "globex")), tmp=tmp_path_factory.mktemp("clips"))


def test_enrollment_without_consent_is_refused_and_stores_nothing(api):
    clip = api.tmp / "noconsent.wav"
    write_wav(clip, np.zeros(16000, dtype=np.float32))
    r = _enroll(api, "sam", clip, consent="false")
    assert r.status_code == 400 and "consent" in r.json()["error"]["message"]
    assert _stored_voiceprints(api.settings) == []


def test_a_missing_voiceprint_answers_404_and_the_list_is_empty(api):
    assert api.client.get("/v1/reps/nobody/voiceprint", headers=api.a).status_code == 404
    assert api.client.delete("/v1/reps/nobody/voiceprint", headers=api.a).status_code == 404
    assert api.client.get("/v1/voiceprints", headers=api.b).json() == []


def test_the_running_mean_is_capped_and_known_voices_stay_in_their_tenant(api):
    from listenlens.pipeline.voiceprints import MODEL, Voice
    from listenlens.service.db.database import Database
    from listenlens.service.db.models import Call, Tenant, utcnow
    from listenlens.service.domain import voiceprints

    db = Database(api.settings.resolved_database_url())
    try:
        with db.session() as s:
            a = s.query(Tenant).filter_by(name="acme").one().id
            b = s.query(Tenant).filter_by(name="globex").one().id
            e0, e1 = np.eye(4, dtype=np.float32)[0], np.eye(4, dtype=np.float32)[1]
            for _ in range(3):
                voiceprints.learn(s, a, "lee", Voice(e0, 10.0), max_samples=2)
            voiceprints.learn(s, a, "lee", Voice(e1, 10.0), max_samples=2)
            vp = voiceprints.find(s, a, "lee")
            assert vp.samples == 4 and vp.calls == 4 and vp.speech_s == 40.0 and vp.model == MODEL
            # Weighed as two past samples, not three: (2 * e0 + e1) / 3, made unit length.
            assert vp.embedding[1] / vp.embedding[0] == pytest.approx(0.5, abs=1e-6)
            s.add(Call(id="call_" + "0" * 24, tenant_id=a, rep="kim", team="north", call_time=utcnow(), options={}))
            voiceprints.learn(s, a, "kim", Voice(e1, 10.0), max_samples=2)
            s.flush()
            assert [v.name for v in voiceprints.known_voices(s, a, "lee", "north")] == ["lee", "kim"]
            assert [v.is_rep for v in voiceprints.known_voices(s, a, "lee", "north")] == [True, False]
            assert voiceprints.known_voices(s, b, "lee", "north") == []
            assert voiceprints.known_voices(s, a, "lee", None)[0].name == "lee"
    finally:
        db.dispose()
    assert [v["rep"] for v in api.client.get("/v1/voiceprints", headers=api.a).json()] == ["kim", "lee"]
    assert api.client.get("/v1/reps/lee/voiceprint", headers=api.b).status_code == 404
    assert api.client.delete("/v1/reps/lee/voiceprint", headers=api.b).status_code == 404
    assert api.client.delete("/v1/reps/lee/voiceprint", headers=api.a).status_code == 204
    assert api.client.delete("/v1/reps/kim/voiceprint", headers=api.a).status_code == 204
    assert _stored_voiceprints(api.settings) == []


@pytest.mark.slow
def test_enrollment_with_consent_stores_an_embedding_and_not_the_clip(api):
    clip = api.tmp / "ravi.wav"
    write_wav(clip, np.concatenate([
        speak("Hello, my name is Ravi and I am recording my voice for the coaching tool today.", RAVI),
        speak("This clip will be turned into a voiceprint and then thrown away, which is fine by me.", RAVI)]))
    r = _enroll(api, "ravi", clip)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["enrolled"] and body["consent_at"] and body["samples"] == 1 and body["speech_s"] > 5
    assert _stored_voiceprints(api.settings) == [("acme", "ravi")]
    assert not any(p.is_file() for p in (api.settings.resolved_home()).rglob("*.wav"))
    short = api.tmp / "short.wav"
    write_wav(short, speak("Hi.", RAVI))
    r = _enroll(api, "ravi2", short)
    assert r.status_code == 422 and "speech" in r.json()["error"]["message"]
    assert api.client.delete("/v1/reps/ravi/voiceprint", headers=api.a).status_code == 204
    assert _stored_voiceprints(api.settings) == []


def _mono_call(path, rep_voice, customer_voice):
    """The customer opens, introduces a company and asks the questions."""
    make_call([
        Line(customer_voice, "Hi, this is Jordan from Globex. Thanks for taking my call.", at=0.3),
        Line(rep_voice, "Of course, glad to help.", gap=0.6),
        Line(customer_voice, "What does your product cost? How long is the contract? Can we try it first?", gap=0.6),
        Line(rep_voice, "It depends on how many people use it, most teams start with a month.", gap=0.6),
        Line(customer_voice, "And do you support invoices in other currencies?", gap=0.6),
        Line(rep_voice, "Yes, every major currency is supported out of the box.", gap=0.6),
    ], path)
    return path


@pytest.mark.slow
def test_a_reps_voice_learned_from_a_dual_channel_call_gives_roles_on_mono_calls(tmp_path):
    from listenlens.config import Settings
    from listenlens.service.app import create_app

    settings = make_settings(tmp_path / "home")
    key = bearer(new_key(settings, "acme"))
    other_tenant = bearer(new_key(settings, "globex"))
    stereo = tmp_path / "sam_dual.wav"
    make_call([
        Line(SAM, "Hi, this is Sam from Acme, thanks for taking the time today.", at=0.3),
        Line(DANA, "Sure, we have been looking at options for a while now.", gap=0.6),
        Line(SAM, "Great. Tell me how your team handles invoices at the moment, and what gets in the way.", gap=0.6),
        Line(DANA, "Mostly spreadsheets, and a lot of email back and forth.", gap=0.6),
        Line(SAM, "That sounds slow. What would change for you if the invoices went out on time?", gap=0.6),
    ], stereo, stereo=True)
    calls = {"lee": _mono_call(tmp_path / "sam_lee.wav", SAM, LEE), "dana": _mono_call(tmp_path / "sam_dana.wav", SAM, DANA),
             "ravi": _mono_call(tmp_path / "ravi_lee.wav", RAVI, LEE)}

    def upload(client, path, headers, **data):
        with open(path, "rb") as f:
            r = client.post("/v1/calls", headers=headers, files={"file": (path.name, f, "audio/wav")}, data=data)
        assert r.status_code == 202, r.text
        return wait_status(client, r.json()["id"], headers)

    with TestClient(create_app(settings, Settings(audio={"max_duration_s": 120.0}))) as client:
        done = upload(client, stereo, key, rep="sam", channels="rep,customer")
        assert done["status"] == "done", done
        vp = client.get("/v1/reps/sam/voiceprint", headers=key).json()
        assert vp["calls"] == 1 and not vp["enrolled"] and vp["speech_s"] > 3

        for customer in ("lee", "dana"):
            done = upload(client, calls[customer], key, rep="sam")
            assert done["status"] == "done", done
            roles = done["scorecard"]["roles"] if "roles" in (done["scorecard"] or {}) else None
            tl = client.get(f"/v1/calls/{done['id']}/transcript", headers=key)
            assert tl.status_code == 200
            timeline = _timeline(settings, done["id"])
            assert timeline["roles"]["source"] == "voiceprint", (customer, timeline["roles"], roles)
            rep = [s for s in timeline["speakers"] if s["role"] == "rep"]
            assert len(rep) == 1 and rep[0]["name"] == "sam"
            rep_s = sum(t["end"] - t["start"] for t in timeline["speech"] if t["speaker"] == rep[0]["label"])
            assert rep_s < 0.5 * sum(t["end"] - t["start"] for t in timeline["speech"])  # Sam says less than the customer

        done = upload(client, calls["ravi"], key, rep="sam")
        timeline = _timeline(settings, done["id"])
        assert timeline["roles"]["source"] != "voiceprint"
        assert timeline["roles"]["evidence"][0].startswith("no speaker matches the rep's voiceprint")

        # Another tenant's sam is another person: acme's voiceprint is never used for globex.
        done = upload(client, calls["lee"], other_tenant, rep="sam")
        assert _timeline(settings, done["id"])["roles"]["source"] != "voiceprint"
        assert client.get("/v1/reps/sam/voiceprint", headers=other_tenant).status_code == 404

        assert client.delete("/v1/reps/sam/voiceprint", headers=key).status_code == 204
        assert _stored_voiceprints(settings) == []


def _timeline(settings, call_id: str) -> dict:
    import json

    engine = create_engine(settings.resolved_database_url())
    try:
        with engine.connect() as conn:
            raw = conn.execute(text("SELECT timeline FROM call_results WHERE call_id = :id"), {"id": call_id}).scalar()
    finally:
        engine.dispose()
    return raw if isinstance(raw, dict) else json.loads(raw)


def test_cli_lists_and_deletes_voiceprints(tmp_path, monkeypatch):
    from listenlens.cli import app
    from listenlens.pipeline.voiceprints import Voice
    from listenlens.service.db.database import Database
    from listenlens.service.db.models import Tenant
    from listenlens.service.domain import voiceprints

    monkeypatch.setenv("LISTENLENS_HOME", str(tmp_path))
    for var in ("LISTENLENS_DATABASE_URL", "LISTENLENS_STORAGE_URL", "LISTENLENS_BROKER_URL"):
        monkeypatch.delenv(var, raising=False)
    settings = make_settings(tmp_path)
    new_key(settings, "acme")
    db = Database(settings.resolved_database_url())
    try:
        with db.session() as s:
            voiceprints.learn(s, s.query(Tenant).one().id, "sam", Voice(np.eye(4, dtype=np.float32)[0], 12.0), 50)
    finally:
        db.dispose()
    runner = CliRunner()
    out = runner.invoke(app, ["voiceprints", "list"])
    assert out.exit_code == 0 and out.output.splitlines()[1].split("\t")[:3] == ["sam", "1", "12"]
    refused = runner.invoke(app, ["voiceprints", "enroll", "sam", str(tmp_path / "missing.wav")])
    assert refused.exit_code != 0
    out = runner.invoke(app, ["voiceprints", "delete", "sam"])
    assert out.exit_code == 0 and _stored_voiceprints(settings) == []
    assert runner.invoke(app, ["voiceprints", "delete", "sam"]).exit_code != 0


def test_the_enrollment_page_has_a_consent_checkbox_and_refuses_without_consent(api):
    page = api.client.get("/ui/voiceprints", headers=api.a)
    assert page.status_code == 200
    assert 'type="checkbox" name="consent"' in page.text and 'name="file"' in page.text
    clip = api.tmp / "page.wav"
    write_wav(clip, np.zeros(16000, dtype=np.float32))
    with open(clip, "rb") as f:
        r = api.client.post("/ui/voiceprints", files={"file": ("clip.wav", f, "audio/wav")}, data={"rep": "sam"},
                            headers={**api.a, "Accept": "text/html"})
    assert r.status_code == 400 and "consent" in r.text
    assert _stored_voiceprints(api.settings) == []


def test_an_enrollment_clip_over_five_minutes_is_refused_before_decoding(api):
    clip = api.tmp / "long.wav"
    write_wav(clip, np.zeros(301 * 16000, dtype=np.float32))
    r = _enroll(api, "sam", clip)
    assert r.status_code == 422 and r.json()["error"]["code"] == "bad_audio", r.text
    assert _stored_voiceprints(api.settings) == []


def test_a_voiceprint_keeps_each_band_and_one_of_another_encoder_is_stale(api):
    from listenlens.pipeline.voiceprints import MODEL, Voice
    from listenlens.service.db.database import Database
    from listenlens.service.db.models import Tenant
    from listenlens.service.domain import voiceprints

    e = np.eye(4, dtype=np.float32)
    db = Database(api.settings.resolved_database_url())
    try:
        with db.session() as s:
            a = s.query(Tenant).filter_by(name="acme").one().id
            # A telephone call teaches the telephone band only; a wide-band one both.
            voiceprints.learn(s, a, "tel", Voice(e[0], 5.0, band="phone"), max_samples=50)
            vp = voiceprints.find(s, a, "tel")
            assert vp.embedding is None and vp.phone_embedding == [1.0, 0.0, 0.0, 0.0]
            voiceprints.learn(s, a, "tel", Voice(e[2], 5.0, band="wide", phone=e[1]), max_samples=50)
            assert (vp.wide_samples, vp.phone_samples, vp.samples) == (1, 2, 2)
            assert vp.embedding == [0.0, 0.0, 1.0, 0.0]
            assert vp.phone_embedding[0] == pytest.approx(vp.phone_embedding[1])  # the mean of both calls
            known = voiceprints.known_voices(s, a, "tel", None, MODEL)
            assert known[0].embedding.tolist() == [0, 0, 1, 0] and known[0].phone is not None
            voiceprints.learn(s, a, "old", Voice(e[0], 5.0, model="resemblyzer-ge2e-256"), max_samples=50)
            assert [v.name for v in voiceprints.known_voices(s, a, "old", None, MODEL)] == []
    finally:
        db.dispose()
    tel = api.client.get("/v1/reps/tel/voiceprint", headers=api.a).json()
    assert tel["bands"] == ["wide", "phone"] and tel["stale"] is False and tel["note"] is None
    listed = {v["rep"]: v for v in api.client.get("/v1/voiceprints", headers=api.a).json()}
    assert listed["old"]["stale"] is True and listed["old"]["bands"] == ["wide"]
    assert "resemblyzer-ge2e-256" in listed["old"]["note"] and "enrollment" in listed["old"]["note"]
    page = api.client.get("/ui/voiceprints", headers=api.a).text
    assert "Stale: needs new calls or a new enrollment." in page and "wide band, telephone" in page
    for rep in ("tel", "old"):
        assert api.client.delete(f"/v1/reps/{rep}/voiceprint", headers=api.a).status_code == 204


def migrate_voiceprint_bands_down_and_up(url: str) -> None:
    """0005 on a database holding a one-band voiceprint: down to 0004 and up again; the
    print keeps its wide band, weighed by all its samples, and the schema matches the model."""
    from alembic import command
    from alembic.autogenerate import compare_metadata
    from alembic.config import Config
    from alembic.migration import MigrationContext
    from sqlalchemy import inspect

    from listenlens.service.db import database
    from listenlens.service.db.database import Database
    from listenlens.service.db.models import Base

    db = Database(url)
    try:
        db.migrate()
        cfg = Config(str(database._HERE / "alembic.ini"))
        cfg.set_main_option("script_location", str(database._HERE / "migrations"))
        with db.engine.connect() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0004_trackers")
            conn.commit()
        assert "phone_embedding" not in {c["name"] for c in inspect(db.engine).get_columns("voiceprints")}
        with db.engine.begin() as conn:
            conn.execute(text("INSERT INTO tenants (id, name, created_at) VALUES ('t1', 'acme', CURRENT_TIMESTAMP)"))
            conn.execute(text(
                "INSERT INTO voiceprints (tenant_id, rep, model, embedding, samples, calls, speech_s, created_at, updated_at)"
                " VALUES ('t1', 'sam', 'resemblyzer-ge2e-256', '[1.0, 0.0]', 3, 3, 30.0, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"))
        db.migrate()
        with db.engine.connect() as conn:
            row = conn.execute(text("SELECT wide_samples, phone_samples, phone_embedding FROM voiceprints")).one()
            assert tuple(row) == (3, 0, None)
            diff = [d for d in compare_metadata(MigrationContext.configure(conn), Base.metadata) if "voiceprints" in repr(d)]
        assert diff == []
    finally:
        db.dispose()


def test_the_voiceprint_bands_migration_goes_down_and_up(tmp_path):
    migrate_voiceprint_bands_down_and_up(f"sqlite:///{tmp_path / 'm.db'}")


@pytest.mark.scaleout
def test_the_voiceprint_bands_migration_goes_down_and_up_on_postgres():
    from service_helpers import postgres_schema

    with postgres_schema() as url:
        migrate_voiceprint_bands_down_and_up(url)
