"""Tenant isolation over every route that takes an id, enumerated from the app itself.

Tenant A has a done call (with its recording, transcript and a webhook delivery). Every
route of the app, API and pages alike, whose path takes a parameter is called as tenant
B with A's values: a call id answers 404 exactly like a missing one, and a rep, team or
week shows none of A's data. A new route with a parameter this test does not know how
to fill fails the test until it is taught, so no route escapes the check.
"""

from __future__ import annotations

import re
import sys
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import quote

import numpy as np
import pytest
from fastapi.testclient import TestClient

from service_helpers import bearer, make_settings, new_key

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "ui"))

PARAM = re.compile(r"{(\w+)(?::\w+)?}")
# Routes whose parameter names a tenant's own rows: B must get 404.
ID_PARAMS = {"call_id"}
# Parameters that are names, not ids (a rep, a team, a week): B may get 200, but with none of A's data.
NAME_PARAMS = {"rep", "team", "week", "tracker"}
# The users pages take a person's session, not a key: B's admin must get 404 for A's user.
USER_PARAMS = {"user_id"}


def _routes(app):
    """(path, method) of every route, the ones FastAPI keeps inside included routers too."""
    def walk(routes):
        for route in routes:
            inner = getattr(route, "effective_route_contexts", None)
            if inner is not None:
                yield from walk(inner())
            elif getattr(route, "routes", None) and not getattr(route, "methods", None):
                yield from walk(route.routes)
            else:
                yield route

    for route in walk(app.routes):
        for method in sorted(getattr(route, "methods", None) or ()):
            if method != "HEAD":
                yield route.path, method


@pytest.fixture(scope="module")
def tenants(tmp_path_factory, call_wav):
    from coaching_seed import CallSpec, seed
    from listenlens.config import Settings
    from listenlens.service.app import create_app
    from listenlens.service.db.models import Call, WebhookDelivery, utcnow
    from listenlens.service.domain.accounts import create_user

    home = tmp_path_factory.mktemp("home")
    settings = make_settings(home, worker_threads=0)
    app = create_app(settings, Settings(audio={"max_duration_s": 60.0}))
    with TestClient(app) as client:
        a, b = bearer(new_key(settings, "acme")), bearer(new_key(settings, "globex"))
        rt = app.state.runtime
        when = datetime(2026, 11, 18, 14, 5)
        [cid] = seed(rt.db, "acme", [CallSpec("ana/west", "emea/smb", when, 0.5, 3)])
        key = f"t/{cid}/call.wav"
        rt.storage.put(call_wav, key)
        with rt.db.session() as s:
            s.get(Call, cid).recording_key = key
            s.add(WebhookDelivery(id="dlv_isolation", tenant_id=s.get(Call, cid).tenant_id, call_id=cid,
                                  event="call.done", url="https://crm.example.com/h", body="{}", status="delivered",
                                  created_at=utcnow()))
        with rt.db.session() as s:
            from listenlens.pipeline.voiceprints import Voice
            from listenlens.service.domain.voiceprints import learn

            learn(s, s.get(Call, cid).tenant_id, "ana/west", Voice(np.eye(4, dtype=np.float32)[0], 10.0), 50)
        with rt.db.session() as s:
            from listenlens.service.domain.trackers import put as put_tracker

            put_tracker(s, s.get(Call, cid).tenant_id, "competitors", ["Gong", "Chorus"])
        with rt.db.session() as s:
            a_user = create_user(s, "acme", "lead@acme.test", "a long enough password", role="admin").id
            create_user(s, "globex", "lead@globex.test", "a long enough password", role="admin")
        b_admin = TestClient(app)
        form = b_admin.get("/ui/login").text
        b_admin.post("/ui/login", data={"email": "lead@globex.test", "password": "a long enough password",
                                        "csrf": re.search(r'name="csrf" value="([^"]+)"', form).group(1)})
        b_csrf = re.search(r'name="csrf" value="([^"]+)"', b_admin.get("/ui/admin/users").text).group(1)
        values = {"call_id": cid, "rep": "ana/west", "team": "emea/smb", "week": "2026-W47", "user_id": str(a_user),
                  "tracker": "competitors"}
        yield SimpleNamespace(client=client, app=app, a=a, b=b, values=values, call_id=cid, b_admin=b_admin,
                              b_csrf=b_csrf)


def _url(path: str, values: dict) -> str:
    return PARAM.sub(lambda m: quote(values[m.group(1)], safe=""), path)


def test_every_route_with_a_parameter_is_covered(tenants):
    unknown = {(path, name) for path, _ in _routes(tenants.app) for name in PARAM.findall(path)
               if name not in ID_PARAMS | NAME_PARAMS | USER_PARAMS}
    assert not unknown, f"routes with a parameter this test cannot fill yet: {unknown}"


def test_tenant_b_gets_404_or_nothing_for_tenant_a_values(tenants):
    c, values = tenants.client, tenants.values
    routes = [(p, m) for p, m in _routes(tenants.app) if PARAM.search(p)]
    assert len(routes) >= 10, routes
    checked = []
    # DELETE last, so the reads meet A's call as it is (B's delete must not have removed it).
    for path, method in sorted(routes, key=lambda r: r[1] == "DELETE"):
        url = _url(path, values)
        names = set(PARAM.findall(path))
        if names & USER_PARAMS:
            b = tenants.b_admin.request(method, url, data={"csrf": tenants.b_csrf, "role": "coach"})
            assert b.status_code == 404, (method, path, b.status_code, b.text[:200])
            checked.append(f"{method} {path} -> {b.status_code} (B's admin)")
            continue  # A's admin changing A's user: tests/ui/test_accounts.py
        b = c.request(method, url, headers=tenants.b, follow_redirects=False)
        assert b.status_code < 500, (method, path, b.status_code, b.text[:200])
        if names & ID_PARAMS:
            assert b.status_code == 404, (method, path, b.status_code, b.text[:200])
        else:
            # A PUT without its body (a voiceprint's clip, a tracker's phrases) answers 422 before it reaches any data.
            assert b.status_code in ((200, 404, 422) if method == "PUT" else (200, 404)), (method, path, b.status_code)
            assert tenants.call_id.encode() not in b.content, (method, path, "A's call shows for B")
            if b.headers.get("content-type", "").startswith("application/json"):
                assert b.json().get("weeks", []) == [], (method, path)
            if "x-row-count" in b.headers:
                assert b.headers["x-row-count"] == "0", (method, path)
        checked.append(f"{method} {path} -> {b.status_code}")
        if method in ("DELETE", "PUT"):
            continue  # A's own delete would remove what the other tests read; the GETs prove the id
        # The same request as A reaches A's data: the value was right, B was refused.
        a = c.request(method, url, headers=tenants.a, follow_redirects=False)
        assert a.status_code in (200, 206), (method, path, a.status_code, a.text[:200])
    print("\n" + "\n".join(checked))


def test_query_ids_of_tenant_a_show_nothing_to_b(tenants):
    c, cid = tenants.client, tenants.call_id
    assert c.get("/v1/webhook/deliveries", params={"call_id": cid}, headers=tenants.b).json() == []
    assert len(c.get("/v1/webhook/deliveries", params={"call_id": cid}, headers=tenants.a).json()) == 1
    assert c.get("/v1/calls", params={"rep": "ana/west"}, headers=tenants.b).json()["total"] == 0
    assert c.get("/v1/calls", headers=tenants.b).json()["total"] == 0
    assert c.get("/v1/trackers", headers=tenants.b).json() == []
    assert [t["name"] for t in c.get("/v1/trackers", headers=tenants.a).json()] == ["competitors"]
