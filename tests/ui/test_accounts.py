"""Signing in as a person, sessions that really end, forms that cannot be forged, and roles.

Real SQLite under a temporary home, the real app through Starlette's TestClient.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from coaching_seed import CallSpec, seed
from listenlens.service.db.models import UiSession, User, utcnow

W47 = datetime(2026, 11, 17, 9)
PASSWORD = "correct horse battery"
USERS = {  # email: (role, rep)
    "admin@acme.test": ("admin", None),
    "coach@acme.test": ("coach", None),
    "ann@acme.test": ("rep", "rep-a"),
}


@pytest.fixture(autouse=True)
def quick_hashes(request, monkeypatch):
    """Cheap argon2 parameters, so each test does not spend seconds hashing (``default_argon2`` opts out)."""
    if "default_argon2" in request.fixturenames:
        return
    from argon2 import PasswordHasher

    from listenlens.service.domain import accounts

    quick = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    monkeypatch.setattr(accounts, "_hasher", lambda: quick)


@pytest.fixture
def default_argon2():
    """The service's own hasher (``PasswordHasher()`` defaults)."""


def _app(home, **settings):
    from listenlens.service.app import create_app
    from listenlens.service.settings import ServiceSettings

    return create_app(ServiceSettings(home=home, worker_threads=0, **settings), start_worker=False)


@pytest.fixture
def site(tmp_path):
    from listenlens.service.domain.accounts import create_user
    from listenlens.service.domain.auth import create_key

    app = _app(tmp_path, login_max_failures=3)
    with TestClient(app) as client:
        db = app.state.runtime.db
        with db.session() as s:
            key = create_key(s, "acme")
            for email, (role, rep) in USERS.items():
                create_user(s, "acme", email, PASSWORD, role=role, rep=rep)
            create_user(s, "globex", "zed@globex.test", PASSWORD, role="admin")
        calls = seed(db, "acme", [CallSpec("rep-a", "east", W47, 0.40, 4), CallSpec("rep-b", "east", W47, 0.60, 2)])
        yield client, app, key, calls


def _form_token(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]*)"', html).group(1)


def sign_in(client, email, password=PASSWORD, *, next_="/ui"):
    token = _form_token(client.get("/ui/login").text)
    return client.post("/ui/login", data={"email": email, "password": password, "csrf": token, "next": next_},
                       follow_redirects=False)


def signed_in(app, email) -> TestClient:
    """A second browser (its own cookie jar) signed in as ``email``."""
    client = TestClient(app)
    assert sign_in(client, email).status_code == 303
    return client


def page_token(client, path="/ui") -> str:
    return _form_token(client.get(path).text)


# -- signing in ---------------------------------------------------------------------

def test_a_key_in_the_address_or_the_form_no_longer_signs_in(site):
    client, _, key, _ = site
    res = client.get(f"/ui/upload?key={key}", follow_redirects=False)
    assert res.status_code == 303 and res.headers["location"].startswith("/ui/login?next=")
    assert "listenlens_session" not in res.headers.get("set-cookie", "")
    assert client.get("/ui", follow_redirects=False).status_code == 303
    token = _form_token(client.get("/ui/login").text)
    res = client.post("/ui/login", data={"key": key, "csrf": token}, follow_redirects=False)
    assert res.status_code == 401 and "listenlens_session" not in res.headers.get("set-cookie", "")


def test_sign_in_with_email_and_password(site):
    client, _, _, _ = site
    res = sign_in(client, "Coach@ACME.test ", next_="/ui/upload")
    assert res.status_code == 303 and res.headers["location"] == "/ui/upload"
    cookie = res.headers["set-cookie"]
    assert "listenlens_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert "Secure" not in cookie, "plain http: a Secure cookie would never come back"
    home = client.get("/ui")
    assert home.status_code == 200 and "coach@acme.test" in home.text


def test_a_failed_sign_in_does_not_say_which_part_was_wrong(site):
    client, _, _, _ = site
    wrong_password = sign_in(client, "coach@acme.test", "not the password")
    unknown_email = sign_in(client, "nobody@acme.test", "not the password")
    assert wrong_password.status_code == unknown_email.status_code == 401
    msg = re.compile(r'<p class="error" role="alert">(.*?)</p>', re.S)
    assert msg.search(wrong_password.text).group(1) == msg.search(unknown_email.text).group(1)
    assert "password" in msg.search(wrong_password.text).group(1)


def test_repeated_failures_pause_the_account(site):
    client, app, _, _ = site
    for _ in range(3):  # login_max_failures=3
        assert sign_in(client, "coach@acme.test", "guess guess guess").status_code == 401
    assert sign_in(client, "coach@acme.test").status_code == 401, "paused even with the right password"
    assert sign_in(client, "admin@acme.test").status_code == 303, "other accounts are not affected"
    with app.state.runtime.db.session() as s:
        user = s.query(User).filter_by(email="coach@acme.test").one()
        assert user.locked_until > utcnow()
        user.locked_until = utcnow() - timedelta(seconds=1)  # the pause is over
    assert sign_in(client, "coach@acme.test").status_code == 303


def test_passwords_are_stored_as_argon2_hashes_only(default_argon2, site, tmp_path):
    from argon2 import PasswordHasher

    _, app, _, _ = site
    with app.state.runtime.db.session() as s:
        hashes = [u.password_hash for u in s.query(User).all()]
    assert len(hashes) == 4 and all(h.startswith("$argon2id$") for h in hashes)
    assert not any(PasswordHasher().check_needs_rehash(h) for h in hashes), "hashed with the library's defaults"
    assert len(set(hashes)) == 4, "each hash has its own salt"
    app.state.runtime.db.engine.dispose()
    stored = b"".join(p.read_bytes() for p in tmp_path.glob("listenlens.db*"))
    assert b"$argon2id$" in stored and PASSWORD.encode() not in stored


def test_an_old_hash_is_upgraded_at_sign_in(default_argon2, site):
    from argon2 import PasswordHasher

    client, app, _, _ = site
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(PASSWORD)
    with app.state.runtime.db.session() as s:
        s.query(User).filter_by(email="coach@acme.test").one().password_hash = weak
    assert sign_in(client, "coach@acme.test").status_code == 303
    with app.state.runtime.db.session() as s:
        now = s.query(User).filter_by(email="coach@acme.test").one().password_hash
    assert now != weak and not PasswordHasher().check_needs_rehash(now)


def test_signing_in_rotates_the_session_id(site):
    client, app, _, _ = site
    first = sign_in(client, "coach@acme.test").cookies["listenlens_session"]
    second = sign_in(client, "admin@acme.test").cookies["listenlens_session"]
    assert first != second
    stale = TestClient(app, cookies={"listenlens_session": first})
    assert stale.get("/ui", follow_redirects=False).status_code == 303, "the replaced session is gone"


def test_an_expired_session_signs_in_again(site):
    client, app, _, _ = site
    sign_in(client, "coach@acme.test")
    with app.state.runtime.db.session() as s:
        for row in s.query(UiSession).all():
            row.expires_at = utcnow() - timedelta(seconds=1)
    assert client.get("/ui", follow_redirects=False).status_code == 303


# -- sessions and forged forms ------------------------------------------------------

def test_sign_out_ends_the_session_on_the_server(site):
    client, app, _, _ = site
    cookie = sign_in(client, "coach@acme.test").cookies["listenlens_session"]
    res = client.post("/ui/logout", data={"csrf": page_token(client)}, follow_redirects=False)
    assert res.status_code == 303 and res.headers["location"] == "/ui/login"
    with app.state.runtime.db.session() as s:
        assert s.query(UiSession).count() == 0
    saved = TestClient(app, cookies={"listenlens_session": cookie})  # a copy of the cookie kept elsewhere
    res = saved.get("/ui", follow_redirects=False)
    assert res.status_code == 303 and res.headers["location"].startswith("/ui/login")
    assert saved.get("/ui").url.path == "/ui/login"


@pytest.mark.parametrize("token", [None, "wrong-token"])
def test_a_form_without_the_right_token_is_refused(site, token):
    client, app, _, _ = site
    sign_in(client, "admin@acme.test")
    data = {"email": "new@acme.test", "password": PASSWORD, "role": "coach"}
    if token is not None:
        data["csrf"] = token
    res = client.post("/ui/admin/users", data=data)
    assert res.status_code == 403 and "Not allowed" in res.text and "reload the page" in res.text
    res = client.post("/ui/logout", data={} if token is None else {"csrf": token})
    assert res.status_code == 403
    with app.state.runtime.db.session() as s:
        assert s.query(User).filter_by(email="new@acme.test").count() == 0
        assert s.query(UiSession).count() == 1, "the refused sign-out changed nothing"


def test_a_form_from_another_site_is_refused_even_with_the_token(site):
    client, app, _, _ = site
    sign_in(client, "admin@acme.test")
    token = page_token(client, "/ui/admin/users")
    data = {"csrf": token, "email": "new@acme.test", "password": PASSWORD, "role": "coach"}
    for headers in ({"Origin": "https://evil.example"}, {"Referer": "https://evil.example/page"}, {"Origin": "null"},
                    {"Sec-Fetch-Site": "cross-site"}, {"Sec-Fetch-Site": "same-site"},
                    {"Sec-Fetch-Site": "cross-site", "Origin": "null"}):
        res = client.post("/ui/admin/users", data=data, headers=headers)
        assert res.status_code == 403 and "another site" in res.text, headers
    res = client.post("/ui/admin/users", data=data, headers={"Origin": "http://testserver"})
    assert res.status_code == 200 and "Created coach new@acme.test" in res.text
    # Our own form under Referrer-Policy: no-referrer, as Chromium sends it.
    data["email"] = "other@acme.test"
    res = client.post("/ui/admin/users", data=data, headers={"Origin": "null", "Sec-Fetch-Site": "same-origin"})
    assert res.status_code == 200 and "Created coach other@acme.test" in res.text


def test_the_upload_refuses_a_forged_post_with_a_json_error(site):
    client, _, _, _ = site
    sign_in(client, "coach@acme.test")
    res = client.post("/ui/upload", data={"rep": "rep-a"}, files={"file": ("a.wav", b"RIFF", "audio/wav")})
    assert res.status_code == 403 and res.json()["error"]["code"] == "forbidden"
    res = client.post("/ui/upload", data={"rep": "rep-a", "csrf": page_token(client, "/ui/upload")},
                      files={"file": ("a.wav", b"RIFF", "audio/wav")}, headers={"Origin": "https://evil.example"})
    assert res.status_code == 403


def test_the_sign_in_form_needs_its_token_and_this_site(site):
    client, _, _, _ = site
    res = client.post("/ui/login", data={"email": "coach@acme.test", "password": PASSWORD}, follow_redirects=False)
    assert res.status_code == 403 and "reload the page" in res.text
    token = _form_token(client.get("/ui/login").text)
    res = client.post("/ui/login", data={"email": "coach@acme.test", "password": PASSWORD, "csrf": token},
                      headers={"Origin": "https://evil.example"}, follow_redirects=False)
    assert res.status_code == 403 and "listenlens_session" not in res.headers.get("set-cookie", "")


def test_sign_in_never_redirects_off_site(site):
    client, _, _, _ = site
    for nxt in ("https://evil.example/", "//evil.example/ui", "/v1/calls", "/ui\\\\evil.example"):
        assert sign_in(client, "coach@acme.test", next_=nxt).headers["location"] == "/ui"


def test_the_cookie_is_secure_over_tls(tmp_path):
    from listenlens.service.domain.accounts import create_user

    def cookie(app, base_url="http://testserver", headers=None):
        with TestClient(app, base_url=base_url) as client:
            with app.state.runtime.db.session() as s:
                if not s.query(User).count():
                    create_user(s, "acme", "coach@acme.test", PASSWORD)
            form = client.get("/ui/login", headers=headers)
            token = _form_token(form.text)
            # A Secure cookie goes back only over TLS, which the proxy would have spoken to the browser.
            sent = {**(headers or {}), "Cookie": f"listenlens_login={form.cookies['listenlens_login']}"}
            res = client.post("/ui/login", data={"email": "coach@acme.test", "password": PASSWORD, "csrf": token},
                              headers=sent, follow_redirects=False)
            assert res.status_code == 303
            return res.headers["set-cookie"]

    behind_tls = {"X-Forwarded-Proto": "https"}
    assert "Secure" in cookie(_app(tmp_path / "a"), base_url="https://testserver")
    assert "Secure" in cookie(_app(tmp_path / "b", trust_proxy=True), headers=behind_tls)
    assert "Secure" not in cookie(_app(tmp_path / "c"), headers=behind_tls), "the header is ignored unless trusted"


# -- roles --------------------------------------------------------------------------

def test_a_rep_sees_only_their_own_calls(site):
    client, app, _, calls = site
    own, other = calls
    rep = signed_in(app, "ann@acme.test")
    assert rep.get(f"/ui/calls/{own}").status_code == 200
    for path in (f"/ui/calls/{other}", f"/ui/calls/{other}/status", f"/ui/calls/{other}/audio",
                 "/ui/reps/rep-b", "/ui/teams/east"):
        assert rep.get(path).status_code == 404, path
    assert rep.get("/ui/reps/rep-a").status_code == 200
    home = rep.get("/ui").text
    assert own in home and other not in home
    export = rep.get("/ui/exports/weeks/2026-W47")
    assert export.status_code == 200 and export.headers["x-row-count"] == "1" and other not in export.text
    # A page session does not reach /v1: machines use keys there.
    assert rep.get(f"/v1/calls/{other}").status_code == 401


def _tone_wav(seconds: float = 2.0) -> bytes:
    import io
    import math
    import struct
    import wave

    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1), w.setsampwidth(2), w.setframerate(16000)
        w.writeframes(b"".join(struct.pack("<h", int(8000 * math.sin(i / 8))) for i in range(int(16000 * seconds))))
    return buf.getvalue()


def test_a_rep_upload_is_always_their_own_call(site):
    from listenlens.service.db.models import Call

    _, app, _, _ = site
    rep = signed_in(app, "ann@acme.test")
    html = rep.get("/ui/upload").text
    assert "rep-b" not in html, "other reps are not offered"
    assert re.search(r'<input name="rep" value="rep-a" readonly>', html), "their own name, fixed"
    res = rep.post("/ui/upload", data={"rep": "rep-b", "team": "east", "csrf": _form_token(html)},
                   files={"file": ("mine.wav", _tone_wav(), "audio/wav")})
    assert res.status_code == 202, res.text
    with app.state.runtime.db.session() as s:
        assert s.get(Call, res.json()["id"]).rep == "rep-a"


def test_a_coach_sees_every_call_of_the_tenant(site):
    _, app, _, calls = site
    coach = signed_in(app, "coach@acme.test")
    for call in calls:
        assert coach.get(f"/ui/calls/{call}").status_code == 200
        assert coach.get(f"/ui/calls/{call}/status").status_code == 200
    assert coach.get("/ui/teams/east").status_code == 200
    assert coach.get("/ui/exports/weeks/2026-W47").headers["x-row-count"] == "2"


def test_a_role_change_applies_at_once(site):
    _, app, _, calls = site
    coach = signed_in(app, "coach@acme.test")
    assert coach.get(f"/ui/calls/{calls[1]}").status_code == 200
    with app.state.runtime.db.session() as s:
        user = s.query(User).filter_by(email="coach@acme.test").one()
        user.role, user.rep = "rep", "rep-a"
    assert coach.get(f"/ui/calls/{calls[1]}").status_code == 404


def test_an_admin_manages_users_and_a_coach_cannot(site):
    _, app, _, _ = site
    coach = signed_in(app, "coach@acme.test")
    assert coach.get("/ui/admin/users").status_code == 403
    res = coach.post("/ui/admin/users", data={"csrf": page_token(coach), "email": "x@acme.test",
                                              "password": PASSWORD, "role": "admin"})
    assert res.status_code == 403 and "Only an admin" in res.text

    admin = signed_in(app, "admin@acme.test")
    page = admin.get("/ui/admin/users")
    assert page.status_code == 200 and "coach@acme.test" in page.text and "zed@globex.test" not in page.text
    token = _form_token(page.text)
    res = admin.post("/ui/admin/users", data={"csrf": token, "email": "bob@acme.test", "password": PASSWORD,
                                              "role": "rep", "rep": "rep-b"})
    assert res.status_code == 200 and "Created rep bob@acme.test" in res.text
    bob = signed_in(app, "bob@acme.test")
    assert bob.get("/ui").status_code == 200

    with app.state.runtime.db.session() as s:
        ids = {u.email: u.id for u in s.query(User).all()}
    res = admin.post(f"/ui/admin/users/{ids['coach@acme.test']}/role", data={"csrf": token, "role": "admin"})
    assert res.status_code == 200 and "coach@acme.test is now admin" in res.text
    res = admin.post(f"/ui/admin/users/{ids['bob@acme.test']}/delete", data={"csrf": token})
    assert res.status_code == 200 and "Deleted bob@acme.test" in res.text
    assert bob.get("/ui", follow_redirects=False).status_code == 303, "a deleted user's session ends at once"
    # Another tenant's user is not found, like a missing one.
    res = admin.post(f"/ui/admin/users/{ids['zed@globex.test']}/delete", data={"csrf": token})
    assert res.status_code == 404
    res = admin.post("/ui/admin/users", data={"csrf": token, "email": "short@acme.test", "password": "short",
                                              "role": "coach"})
    assert res.status_code == 400 and "too short" in res.text


def test_the_last_admin_stays(site):
    from listenlens.errors import ListenlensError
    from listenlens.service.domain.accounts import delete_user, set_role

    _, app, _, _ = site
    with app.state.runtime.db.session() as s:
        admin = s.query(User).filter_by(email="admin@acme.test").one()
        with pytest.raises(ListenlensError, match="last admin"):
            set_role(s, admin, "coach")
        with pytest.raises(ListenlensError, match="last admin"):
            delete_user(s, admin)


def test_only_an_admin_erases_a_rep_after_confirming_the_name(site):
    from listenlens.service.db.models import Call

    _, app, key, (rep_a_call, rep_b_call) = site
    ann = signed_in(app, "ann@acme.test")  # rep-a's own account
    for who in (signed_in(app, "coach@acme.test"), ann):
        assert who.get("/ui/admin/reps").status_code == 403
        assert who.get("/ui/admin/reps/erase?rep=rep-a").status_code == 403
        res = who.post("/ui/admin/reps/erase", data={"csrf": page_token(who), "rep": "rep-a", "confirm": "rep-a"})
        assert res.status_code == 403 and "Only an admin" in res.text
    res = TestClient(app).post("/ui/admin/reps/erase", headers={"Authorization": f"Bearer {key}"},
                               data={"rep": "rep-a", "confirm": "rep-a"})
    assert res.status_code == 403, "a key reads the pages as a coach would"

    admin = signed_in(app, "admin@acme.test")
    listing = admin.get("/ui/admin/reps")
    assert listing.status_code == 200 and 'data-rep="rep-a"' in listing.text and 'data-rep="rep-b"' in listing.text
    confirm = admin.get("/ui/admin/reps/erase?rep=rep-a")
    assert confirm.status_code == 200 and "1 call," in confirm.text and "1 rep sign-in account" in confirm.text
    token = _form_token(confirm.text)
    res = admin.post("/ui/admin/reps/erase", data={"csrf": token, "rep": "rep-a", "confirm": "rep-b"})
    assert res.status_code == 400 and "nothing was erased" in res.text
    res = admin.post("/ui/admin/reps/erase", data={"csrf": "forged", "rep": "rep-a", "confirm": "rep-a"})
    assert res.status_code == 403
    with app.state.runtime.db.session() as s:
        assert s.get(Call, rep_a_call) is not None, "a refused form erases nothing"

    res = admin.post("/ui/admin/reps/erase", data={"csrf": token, "rep": "rep-a", "confirm": "rep-a"},
                     follow_redirects=False)
    assert res.status_code == 303 and res.headers["location"].startswith("/ui/admin/reps?done=")
    assert "Erased rep-a: 1 call(s)" in admin.get(res.headers["location"]).text
    with app.state.runtime.db.session() as s:
        assert s.get(Call, rep_a_call) is None and s.get(Call, rep_b_call) is not None
        assert s.query(User).filter_by(email="ann@acme.test").one_or_none() is None
        assert s.query(User).filter_by(email="coach@acme.test").one().role == "coach"
    assert ann.get("/ui", follow_redirects=False).status_code == 303, "the erased rep's session ended"
    res = admin.get("/ui/admin/reps/erase?rep=rep-a")
    assert res.status_code == 404 and "rep-a" in res.text


def test_the_cli_creates_lists_and_deletes_users(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from listenlens.cli import app

    monkeypatch.setenv("LISTENLENS_HOME", str(tmp_path))
    monkeypatch.delenv("LISTENLENS_DATABASE_URL", raising=False)
    runner = CliRunner()
    res = runner.invoke(app, ["users", "create", "acme", "Lead@Acme.test", "--role", "admin"], input=PASSWORD + "\n")
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["users", "create", "acme", "sam@acme.test", "--role", "rep"], input=PASSWORD + "\n")
    assert res.exit_code == 2 and "--rep NAME" in res.output
    res = runner.invoke(app, ["users", "create", "acme", "sam@acme.test", "--role", "rep", "--rep", "sam"],
                        input="short\n")
    assert res.exit_code == 2 and "too short" in res.output
    listed = runner.invoke(app, ["users", "list"]).output
    assert "lead@acme.test\tacme\tadmin" in listed and "sam@" not in listed and PASSWORD not in listed

    web = _app(tmp_path)
    with TestClient(web) as client:
        assert sign_in(client, "lead@acme.test").status_code == 303
    res = runner.invoke(app, ["users", "set-password", "lead@acme.test"], input="another long password\n")
    assert res.exit_code == 0, res.output
    with TestClient(web) as client:
        assert sign_in(client, "lead@acme.test").status_code == 401
        assert sign_in(client, "lead@acme.test", "another long password").status_code == 303
    res = runner.invoke(app, ["users", "delete", "lead@acme.test"])
    assert res.exit_code == 2 and "last admin" in res.output
