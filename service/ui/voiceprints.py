"""``/ui/voiceprints``: the team's voiceprints, and a form to enroll a rep's voice with consent.

The form submits what ``PUT /v1/reps/{rep}/voiceprint`` takes and the same domain function
enrolls, so both refuse the same clips with the same reasons. A rep user sees, enrolls and
deletes only their own voiceprint.
"""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse

from listenlens.errors import ListenlensError
from listenlens.service.domain import voiceprints
from listenlens.service.domain.accounts import Viewer
from listenlens.service.ui import session as ui_session
from listenlens.service.ui.routes import templates

router = APIRouter(prefix="/ui", include_in_schema=False)


def _form_viewer(request: Request, csrf: str = Form("")) -> Viewer:
    return ui_session.form_viewer(request, csrf)


def _page(request: Request, caller: Viewer, *, error: str | None = None, done: str | None = None, status: int = 200):
    rt = request.app.state.runtime
    with rt.db.session() as s:
        rows = voiceprints.list_voiceprints(s, caller.tenant_id, voiceprints.running_model(rt))
    if caller.only_rep:
        rows = [v for v in rows if v["rep"] == caller.only_rep]
    return templates().TemplateResponse(request, "voiceprints.html", {
        "caller": caller, "voiceprints": rows, "error": error, "done": done, "max_mb": rt.settings.max_upload_mb,
        "own_rep": caller.only_rep,
    }, status_code=status)


@router.get("/voiceprints", response_class=HTMLResponse)
def voiceprints_page(request: Request, done: str | None = None, caller: Viewer = Depends(ui_session.page_viewer)):
    return _page(request, caller, done=done)


@router.post("/voiceprints")
def enroll(
    request: Request,
    rep: str = Form(""),
    consent: bool = Form(False),
    file: UploadFile = File(...),
    caller: Viewer = Depends(_form_viewer),
):
    try:
        vp = voiceprints.enroll(request.app.state.runtime, caller.tenant_id, caller.only_rep or rep, file.file,
                                file.filename, consent=consent)
    except ListenlensError as exc:
        return _page(request, caller, error=exc.message, status=exc.http_status)
    msg = f"Enrolled {vp['rep']}'s voice from {vp['speech_s']:g} s of speech. The recording was not kept."
    return RedirectResponse(f"/ui/voiceprints?{urlencode({'done': msg})}", status_code=303)


@router.post("/voiceprints/delete")
def delete(request: Request, rep: str = Form(""), caller: Viewer = Depends(_form_viewer)):
    rep = caller.only_rep or rep
    try:
        with request.app.state.runtime.db.session() as s:
            voiceprints.remove(s, caller.tenant_id, rep)
    except ListenlensError as exc:
        return _page(request, caller, error=exc.message, status=exc.http_status)
    return RedirectResponse(f"/ui/voiceprints?{urlencode({'done': f'Deleted the voiceprint of {rep}.'})}",
                            status_code=303)
