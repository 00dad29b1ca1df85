"""``/ui/admin/reps``: an admin erases everything the tenant holds about a rep.

Two steps, both plain forms: the list's "Erase..." opens a page saying what will be
removed, where the admin types the rep's name and confirms (a POST carrying the
session's CSRF token, like every form). The same domain function as
``DELETE /v1/reps/{rep}`` and ``listenlens reps delete`` does the work.
"""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from listenlens.errors import ListenlensError
from listenlens.service.domain import reps
from listenlens.service.domain.accounts import Viewer
from listenlens.service.ui import session as ui_session
from listenlens.service.ui.routes import templates

router = APIRouter(prefix="/ui/admin", include_in_schema=False)

ONLY_ADMINS = "Only an admin of this tenant erases a rep's data. Ask one to do it."


def _admin(viewer: Viewer) -> Viewer:
    if not viewer.is_admin:
        raise ui_session.Refused(ONLY_ADMINS)
    return viewer


def _list_page(request: Request, viewer: Viewer, *, done: str | None = None, error: str | None = None,
               status: int = 200):
    with request.app.state.runtime.db.session() as s:
        rows = reps.known_reps(s, viewer.tenant_id)
    return templates().TemplateResponse(request, "admin_reps.html", {
        "caller": viewer, "reps": rows, "done": done, "error": error}, status_code=status)


def _confirm_page(request: Request, viewer: Viewer, rep: str, *, error: str | None = None, status: int = 200):
    try:
        with request.app.state.runtime.db.session() as s:
            found = reps.preview(s, viewer.tenant_id, rep)
    except ListenlensError as exc:
        return _list_page(request, viewer, error=exc.message, status=exc.http_status)
    return templates().TemplateResponse(request, "admin_rep_erase.html", {
        "caller": viewer, "found": found, "error": error}, status_code=status)


@router.get("/reps", response_class=HTMLResponse)
def reps_page(request: Request, done: str | None = None):
    return _list_page(request, _admin(ui_session.page_viewer(request)), done=done)


@router.get("/reps/erase", response_class=HTMLResponse)
def confirm_page(request: Request, rep: str = ""):
    return _confirm_page(request, _admin(ui_session.page_viewer(request)), rep)


@router.post("/reps/erase")
def erase(request: Request, csrf: str = Form(""), rep: str = Form(""), confirm: str = Form("")):
    viewer = _admin(ui_session.form_viewer(request, csrf))
    if confirm.strip() != rep.strip():
        return _confirm_page(request, viewer, rep, status=400,
                             error=f"Type the rep's name exactly as shown ({rep.strip()}) to confirm; nothing was erased.")
    try:
        done = reps.erase(request.app.state.runtime, viewer.tenant_id, rep)
    except ListenlensError as exc:
        return _list_page(request, viewer, error=exc.message, status=exc.http_status)
    msg = (f"Erased {done.rep}: {done.calls} call(s) with {done.recordings} recording(s), {done.voiceprints} "
           f"voiceprint(s), {done.users} rep account(s).")
    return RedirectResponse(f"/ui/admin/reps?{urlencode({'done': msg})}", status_code=303)
