"""``/ui/login``, ``/ui/logout`` and ``/ui/admin/users``: signing in and managing the tenant's users.

Sign-in is a POST of email and password only; nothing secret ever travels in an
address. API keys are for machines (``Authorization: Bearer`` on ``/v1`` or ``/ui``)
and are not accepted by the sign-in form: a browser session always belongs to a person
with a role.
"""

from __future__ import annotations

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from listenlens.errors import ListenlensError
from listenlens.service.domain import accounts
from listenlens.service.domain.accounts import Role, Viewer
from listenlens.service.domain.errors import NotFound
from listenlens.service.domain.sessions import end_session, start_session
from listenlens.service.ui import session as ui_session
from listenlens.service.ui.routes import templates

router = APIRouter(prefix="/ui", include_in_schema=False)

FAILED = ("The email or password is not right, or the account is paused for a few minutes after repeated "
          "failures. Check both and try again; an admin can set a new password.")


def _safe_next(nxt: str | None) -> str:
    # Only ever back into the pages: an open redirect would hand the session to anyone.
    return nxt if nxt and nxt.startswith("/ui") and not nxt.startswith("//") and "\\" not in nxt else "/ui"


def _login_page(request: Request, *, error: str | None = None, status: int = 200, nxt: str | None = None,
                email: str = ""):
    token = ui_session.login_form_token(request)
    page = templates().TemplateResponse(request, "login.html", {
        "error": error, "next": _safe_next(nxt), "caller": None, "login_csrf": token, "email": email},
        status_code=status)
    return ui_session.set_login_cookie(page, request, token)


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str | None = None):
    return _login_page(request, nxt=next)


@router.post("/login")
def login(request: Request, email: str = Form(""), password: str = Form(""), csrf: str = Form(""),
          next: str = Form("/ui")):
    ui_session.check_login_form(request, csrf)
    if not email.strip() or not password:
        return _login_page(request, error="Enter your email and your password.", status=401, nxt=next, email=email)
    settings = request.app.state.runtime.settings
    with request.app.state.runtime.db.session() as s:
        viewer = accounts.verify_sign_in(s, email, password, max_failures=settings.login_max_failures,
                                         lockout_s=settings.login_lockout_s)
        token = start_session(s, viewer, hours=settings.session_hours,
                              replaces=request.cookies.get(ui_session.COOKIE)) if viewer else None
    if token is None:
        return _login_page(request, error=FAILED, status=401, nxt=next, email=email)
    return ui_session.set_session_cookie(RedirectResponse(_safe_next(next), status_code=303), request, token)


@router.post("/logout")
def logout(request: Request, csrf: str = Form("")):
    token = request.cookies.get(ui_session.COOKIE)
    auth = ui_session.authenticate_request(request)
    if token and auth is not None and auth.csrf is not None:
        ui_session.check_form(request, auth, csrf)
        with request.app.state.runtime.db.session() as s:
            end_session(s, token)
    return ui_session.clear_session_cookie(RedirectResponse("/ui/login", status_code=303), request)


# -- managing users (admins only) ---------------------------------------------------

def _admin(viewer: Viewer) -> None:
    if not viewer.is_admin:
        raise ui_session.Refused("Only an admin of this tenant manages its users. Ask one to make the change.")


def _users_page(request: Request, viewer: Viewer, *, error: str | None = None, notice: str | None = None,
                status: int = 200):
    with request.app.state.runtime.db.session() as s:
        users = accounts.list_users(s, tenant_id=viewer.tenant_id)
    return templates().TemplateResponse(request, "admin_users.html", {
        "caller": viewer, "users": users, "roles": [r.value for r in Role], "error": error, "notice": notice,
        "min_password": accounts.MIN_PASSWORD}, status_code=status)


@router.get("/admin/users", response_class=HTMLResponse)
def users_page(request: Request):
    viewer = ui_session.page_viewer(request)
    _admin(viewer)
    return _users_page(request, viewer)


def _change(request: Request, csrf: str, change) -> HTMLResponse:
    """Run ``change(session, viewer)`` for an admin's form; a refused change shows the page with its reason."""
    viewer = ui_session.form_viewer(request, csrf)
    _admin(viewer)
    try:
        with request.app.state.runtime.db.session() as s:
            notice = change(s, viewer)
    except NotFound:
        return _users_page(request, viewer, error="No such user in this tenant.", status=404)
    except ListenlensError as exc:
        return _users_page(request, viewer, error=exc.message, status=400)
    return _users_page(request, viewer, notice=notice)


@router.post("/admin/users")
def create_user(request: Request, csrf: str = Form(""), email: str = Form(""), password: str = Form(""),
                role: str = Form("coach"), rep: str = Form("")):
    def change(s, viewer: Viewer) -> str:
        user = accounts.create_user(s, viewer.tenant_name, email, password, role=role, rep=rep or None)
        return f"Created {user.role} {user.email}."

    return _change(request, csrf, change)


@router.post("/admin/users/{user_id}/role")
def change_role(request: Request, user_id: int, csrf: str = Form(""), role: str = Form(""), rep: str = Form("")):
    def change(s, viewer: Viewer) -> str:
        user = accounts.tenant_user(s, viewer.tenant_id, user_id)
        accounts.set_role(s, user, role, rep.strip() or None)
        return f"{user.email} is now {user.role}."

    return _change(request, csrf, change)


@router.post("/admin/users/{user_id}/delete")
def delete_user(request: Request, user_id: int, csrf: str = Form("")):
    def change(s, viewer: Viewer) -> str:
        user = accounts.tenant_user(s, viewer.tenant_id, user_id)
        email = user.email
        accounts.delete_user(s, user)
        return f"Deleted {email}; their sessions have ended."

    return _change(request, csrf, change)


def refused(request: Request, exc: ui_session.Refused):
    """403 for a form that did not come from our page, or for an action the role does not allow."""
    from fastapi.responses import JSONResponse

    if exc.json:
        return JSONResponse({"error": {"code": "forbidden", "message": exc.message}}, status_code=403)
    viewer = getattr(request.state, "viewer", None)
    return templates().TemplateResponse(request, "forbidden.html", {"caller": viewer, "message": exc.message},
                                        status_code=403)
