"""``/ui/trackers``: the tenant's trackers, and forms to add, replace and delete one.

The forms take what ``PUT /v1/trackers/{tracker}`` takes (phrases one a line or comma
separated) and call the same domain functions, so both refuse the same lists with the
same reasons. Admins and coaches manage trackers; a rep is refused.
"""

from __future__ import annotations

import re
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from listenlens.errors import ListenlensError
from listenlens.service.domain import trackers
from listenlens.service.domain.accounts import Role, Viewer
from listenlens.service.ui import session as ui_session
from listenlens.service.ui.routes import templates

router = APIRouter(prefix="/ui", include_in_schema=False)


def _manager(viewer: Viewer) -> Viewer:
    if viewer.role is Role.rep:
        raise ui_session.Refused("Coaches and admins manage the team's trackers. Ask one to make the change.")
    return viewer


def _page_viewer(request: Request) -> Viewer:
    return _manager(ui_session.page_viewer(request))


def _form_viewer(request: Request, csrf: str = Form("")) -> Viewer:
    return _manager(ui_session.form_viewer(request, csrf))


def split_phrases(text: str) -> list[str]:
    """Phrases from the form's text box: one a line, or separated by commas."""
    return [p.strip() for p in re.split(r"[\n,]", text or "") if p.strip()]


def _page(request: Request, caller: Viewer, *, error: str | None = None, done: str | None = None,
          name: str = "", phrases: str = "", status: int = 200):
    with request.app.state.runtime.db.session() as s:
        rows = trackers.list_trackers(s, caller.tenant_id)
    return templates().TemplateResponse(request, "trackers.html", {
        "caller": caller, "trackers": rows, "error": error, "done": done, "name": name, "phrases": phrases,
        "max_phrases": trackers.MAX_PHRASES,
    }, status_code=status)


@router.get("/trackers", response_class=HTMLResponse)
def trackers_page(request: Request, done: str | None = None, caller: Viewer = Depends(_page_viewer)):
    return _page(request, caller, done=done)


@router.post("/trackers")
def save(request: Request, name: str = Form(""), phrases: str = Form(""), caller: Viewer = Depends(_form_viewer)):
    try:
        with request.app.state.runtime.db.session() as s:
            out, created = trackers.put(s, caller.tenant_id, name, split_phrases(phrases))
    except ListenlensError as exc:
        return _page(request, caller, error=exc.message, name=name, phrases=phrases, status=exc.http_status)
    n = len(out["phrases"])
    msg = f"{'Added' if created else 'Replaced'} {out['name']} ({n} phrase{'' if n == 1 else 's'}). " \
          "Calls scored from now on are searched for it."
    return RedirectResponse(f"/ui/trackers?{urlencode({'done': msg})}", status_code=303)


@router.post("/trackers/delete")
def delete(request: Request, name: str = Form(""), caller: Viewer = Depends(_form_viewer)):
    try:
        with request.app.state.runtime.db.session() as s:
            trackers.remove(s, caller.tenant_id, name)
    except ListenlensError as exc:
        return _page(request, caller, error=exc.message, status=exc.http_status)
    return RedirectResponse(f"/ui/trackers?{urlencode({'done': f'Deleted the tracker {name}.'})}", status_code=303)
