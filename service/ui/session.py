"""Who is asking a page, and whether a form really came from one of our pages.

People sign in with their email and password (``accounts.py``); the browser then holds
a random session token in an HttpOnly, SameSite=Lax cookie, ``Secure`` when the request
came over TLS (``X-Forwarded-Proto`` counts only with ``LISTENLENS_TRUST_PROXY``). The
session lives in the database (``domain/sessions.py``), so signing out ends it at once.

Every state-changing form carries the session's CSRF token in a hidden ``csrf`` field,
compared in constant time, and a browser's ``Origin`` (else ``Referer``) must name this
site (``same_origin``). The sign-in form, which has no session yet, carries a token that must match a
short-lived cookie set with the form. Scripts may send ``Authorization: Bearer KEY``
instead: a browser never adds that header on its own, so such requests need no token.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from listenlens.service.api.errors import ApiError
from listenlens.service.domain.accounts import Viewer
from listenlens.service.domain.auth import authenticate
from listenlens.service.domain.sessions import read_session

COOKIE = "listenlens_session"
LOGIN_COOKIE = "listenlens_login"  # the sign-in form's token, before there is a session
LOGIN_FORM_S = 3600


class SignInFirst(Exception):
    """A page was asked for without a session: ``response`` signs the visitor in."""

    def __init__(self, response: Response):
        super().__init__("sign in first")
        self.response = response


class Refused(Exception):
    """A form that did not come from our own page (no or a wrong token, another site's Origin)."""

    def __init__(self, message: str, *, json: bool = False):
        super().__init__(message)
        self.message = message
        self.json = json


@dataclass(frozen=True)
class Auth:
    viewer: Viewer
    csrf: str | None  # the session's CSRF token; None for a bearer key (no cookie, nothing to forge)


def _settings(request: Request):
    return request.app.state.runtime.settings


def is_https(request: Request) -> bool:
    if _settings(request).trust_proxy:
        proto = request.headers.get("x-forwarded-proto", "").split(",")[0].strip().lower()
        if proto:
            return proto == "https"
    return request.url.scheme == "https"


def _host(request: Request) -> str:
    if _settings(request).trust_proxy:
        forwarded = request.headers.get("x-forwarded-host", "").split(",")[0].strip()
        if forwarded:
            return forwarded.lower()
    return request.headers.get("host", "").lower()


def same_origin(request: Request) -> bool:
    """True unless the browser says the request came from another site.

    ``Sec-Fetch-Site`` is set by the browser itself and cannot be changed by a page, so
    it decides when present (only ``same-origin``, or ``none`` for what the user did
    directly, pass). ``Origin`` must then name this site; it reads ``null`` on our own
    forms too, because the pages are served with ``Referrer-Policy: no-referrer``, so
    ``null`` passes only when ``Sec-Fetch-Site`` vouches for it. Without either header
    (older browsers, scripts) ``Referer`` is checked, and with none of them the CSRF
    token decides.
    """
    site = request.headers.get("sec-fetch-site")
    if site is not None and site not in ("same-origin", "none"):
        return False
    origin = request.headers.get("origin")
    if origin == "null":
        return site == "same-origin"
    source = origin or request.headers.get("referer")
    if not source:
        return True
    return urlsplit(source).netloc.lower() == _host(request)


def authenticate_request(request: Request) -> Auth | None:
    """A bearer key, else the session cookie; None when neither is valid."""
    rt = request.app.state.runtime
    header = request.headers.get("authorization", "")
    with rt.db.session() as s:
        if header.lower().startswith("bearer "):
            tenant = authenticate(s, header[7:].strip())
            return Auth(Viewer.of_key(tenant), None) if tenant else None
        signed = read_session(s, request.cookies.get(COOKIE))
    return Auth(signed.viewer, signed.csrf_token) if signed else None


def _remember(request: Request, auth: Auth) -> Viewer:
    request.state.csrf = auth.csrf or ""
    request.state.viewer = auth.viewer
    return auth.viewer


def sign_in_redirect(request: Request, target: str | None = None) -> RedirectResponse:
    nxt = target or request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/ui/login?{urlencode({'next': nxt})}", status_code=303)


def page_viewer(request: Request) -> Viewer:
    """The viewer of a page; a visitor without a session is sent to sign in."""
    auth = authenticate_request(request)
    if auth is None:
        raise SignInFirst(sign_in_redirect(request))
    return _remember(request, auth)


def data_viewer(request: Request) -> Viewer:
    """The viewer of what a page fetches (status, audio, export): a session or a bearer key."""
    auth = authenticate_request(request)
    if auth is None:
        raise ApiError(401, "unauthorized", "sign in at /ui/login (or send `Authorization: Bearer KEY`)")
    return _remember(request, auth)


STALE = "This form is out of date or did not come from this site, so nothing was changed. Go back, reload the page and try again."
FOREIGN = "This form was sent from another site, so nothing was changed. Open listenlens directly and try again."


def check_form(request: Request, auth: Auth, sent: str | None, *, json: bool = False) -> None:
    """Refuse a state-changing form unless it came from our page of this session."""
    if auth.csrf is None:
        return
    if not same_origin(request):
        raise Refused(FOREIGN, json=json)
    if not sent or not hmac.compare_digest(sent.encode(), auth.csrf.encode()):
        raise Refused(STALE, json=json)


def form_viewer(request: Request, sent: str | None, *, json: bool = False) -> Viewer:
    """The viewer of a state-changing form, after ``check_form``."""
    auth = authenticate_request(request)
    if auth is None:
        if json:
            raise ApiError(401, "unauthorized", "your session ended: sign in again at /ui/login")
        raise SignInFirst(sign_in_redirect(request, "/ui"))
    check_form(request, auth, sent, json=json)
    return _remember(request, auth)


def login_form_token(request: Request) -> str:
    """The sign-in form's token: the browser's current one, else a new one."""
    current = request.cookies.get(LOGIN_COOKIE)
    return current if current and 20 <= len(current) <= 100 else secrets.token_urlsafe(32)


def check_login_form(request: Request, sent: str | None) -> None:
    if not same_origin(request):
        raise Refused(FOREIGN)
    expected = request.cookies.get(LOGIN_COOKIE)
    if not expected or not sent or not hmac.compare_digest(sent.encode(), expected.encode()):
        raise Refused(STALE)


def _cookie(response: Response, request: Request, name: str, value: str, max_age: int, path: str) -> None:
    response.set_cookie(name, value, max_age=max_age, httponly=True, samesite="lax", secure=is_https(request),
                        path=path)


def set_login_cookie(response: Response, request: Request, token: str) -> Response:
    _cookie(response, request, LOGIN_COOKIE, token, LOGIN_FORM_S, "/ui/login")
    return response


def set_session_cookie(response: Response, request: Request, token: str) -> Response:
    _cookie(response, request, COOKIE, token, int(_settings(request).session_hours * 3600), "/")
    response.delete_cookie(LOGIN_COOKIE, path="/ui/login")
    return response


def clear_session_cookie(response: Response, request: Request) -> Response:
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="lax", secure=is_https(request))
    return response
