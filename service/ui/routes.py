"""``/ui``: the coaching pages, served by the API process (no front-end build).

People sign in at ``/ui/login`` (``accounts.py``) and see their tenant's calls as
their role allows: another tenant's call, and for a rep another rep's, answers 404
like a missing one.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from urllib.parse import quote

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from listenlens.pipeline.scorecard import Verdict, score_band
from listenlens.pipeline.scorecard.coaching import coach_rep
from listenlens.pipeline.scorecard.components import FAIR_FROM, GOOD_FROM
from listenlens.service.api import responses
from listenlens.service.api.deps import parse_time
from listenlens.service.domain import calls
from listenlens.service.domain.accounts import Viewer
from listenlens.service.domain.coaching import trend_data
from listenlens.service.domain.errors import NotFound
from listenlens.service.domain.submit import submit_call
from listenlens.service.ui import session as ui_session
from listenlens.service.ui.callview import call_page, coach_row
from listenlens.service.ui.fmt import clock, day, when
from listenlens.service.ui.trendview import rep_table, targets_of, trend_page

TEMPLATES = Path(__file__).resolve().parent / "templates"

router = APIRouter(prefix="/ui", include_in_schema=False)


@cache
def templates() -> Jinja2Templates:
    env = Jinja2Templates(directory=str(TEMPLATES))
    env.env.filters["clock"] = clock
    env.env.filters["when"] = when
    env.env.filters["day"] = day
    env.env.filters["urlpart"] = lambda s: quote(str(s), safe="")
    # The CSRF token of the viewer's session, for the hidden field of every form.
    env.env.globals["csrf"] = lambda request: getattr(request.state, "csrf", "")
    return env


def verdict_css() -> str:
    """The verdict colours as CSS variables (--met, --near, --far, --not-scored) for ui.css,
    written from the component definitions (a stylesheet, so no inline style is needed)."""
    return ":root { " + " ".join(f"--{v.value.replace('_', '-')}: {v.colour};" for v in Verdict) + " }\n"


@router.get("/verdicts.css")
def verdicts_css():
    return Response(verdict_css(), media_type="text/css", headers={"Cache-Control": "public, max-age=3600"})


# Who may see what: ``session.page_viewer`` (pages), ``session.data_viewer`` (what pages
# fetch) and ``session.form_viewer`` (state-changing forms, CSRF-checked); every domain
# read gets ``viewer.only_rep`` so a rep user sees only their own calls.

def _upload_viewer(request: Request, csrf: str = Form("")) -> Viewer:
    return ui_session.form_viewer(request, csrf, json=True)


def _not_found(request: Request, caller: Viewer, what: str):
    return templates().TemplateResponse(request, "not_found.html", {"caller": caller, "what": what}, status_code=404)


# -- pages ---------------------------------------------------------------------

# The call list's score filter: the listening score's bands (components.score_band).
SCORE_FILTERS = {"good": (GOOD_FROM, None), "fair": (FAIR_FROM, GOOD_FROM), "poor": (None, FAIR_FROM)}


def _day_param(request: Request, name: str) -> datetime | None:
    text = (request.query_params.get(name) or "").strip()
    try:
        return datetime.fromisoformat(text) if text else None
    except ValueError:
        return None


@router.get("", response_class=HTMLResponse)
def home(request: Request, caller: Viewer = Depends(ui_session.page_viewer)):
    rt = request.app.state.runtime
    q = request.query_params
    chosen = {"rep": q.get("rep") or "", "team": q.get("team") or "", "score": q.get("score") or "",
              "from": q.get("from") or "", "to": q.get("to") or ""}
    lo, hi = SCORE_FILTERS.get(chosen["score"], (None, None))
    until = _day_param(request, "to")
    with rt.db.session() as s:
        recent = calls.recent_calls(s, caller.tenant_id, limit=100, rep=chosen["rep"] or None,
                                    team=chosen["team"] or None, min_score=lo, max_score=hi,
                                    since=_day_param(request, "from"),
                                    until=until + timedelta(days=1) if until else None,
                                    only_rep=caller.only_rep)
        reps, teams = calls.reps_and_teams(s, caller.tenant_id, only_rep=caller.only_rep)
        rows = [{"id": c.id, "rep": c.rep, "team": c.team, "when": when(c.call_time),
                 "status": c.status, "score": c.score, "cls": score_band(c.score).value,
                 "duration": clock(c.duration_s) if c.duration_s else "", "filename": c.filename} for c in recent]
    return templates().TemplateResponse(request, "home.html", {
        "caller": caller, "calls": rows, "reps": reps, "teams": teams, "chosen": chosen,
        "filtered": any(chosen.values())})


@router.get("/upload", response_class=HTMLResponse)
def upload_page(request: Request, caller: Viewer = Depends(ui_session.page_viewer)):
    rt = request.app.state.runtime
    with rt.db.session() as s:
        reps, teams = calls.reps_and_teams(s, caller.tenant_id, only_rep=caller.only_rep)
    return templates().TemplateResponse(request, "upload.html", {
        "caller": caller, "reps": sorted(r for r, _ in reps), "teams": sorted(t for t, _ in teams),
        "max_mb": rt.settings.max_upload_mb})


@router.post("/upload")
def upload(
    request: Request,
    file: UploadFile = File(...),
    rep: str | None = Form(None),
    team: str | None = Form(None),
    call_time: str | None = Form(None),
    channels: str | None = Form(None),
    rep_hint: str | None = Form(None),
    caller: Viewer = Depends(_upload_viewer),
):
    """The upload form posts here; the call is submitted exactly as ``POST /v1/calls`` submits it.

    A rep user's upload is always their own call."""
    at = parse_time(call_time, "call_time") if call_time and _blank(call_time) else None
    done = submit_call(request.app.state.runtime, caller.tenant_id, file.file, file.filename,
                       rep=caller.only_rep or _blank(rep),
                       team=_blank(team), call_time=at, channels=_blank(channels), rep_hint=_blank(rep_hint))
    if "text/html" in request.headers.get("accept", ""):  # the form posted without JavaScript
        return RedirectResponse(f"/ui/calls/{quote(done.view['id'], safe='')}", status_code=303)
    return responses.submitted(done)


def _blank(text: str | None) -> str | None:
    return (text or "").strip() or None


@router.get("/calls/{call_id}", response_class=HTMLResponse)
def call_detail(request: Request, call_id: str, caller: Viewer = Depends(ui_session.page_viewer)):
    rt = request.app.state.runtime
    try:
        with rt.db.session() as s:
            detail = calls.call_detail(s, caller.tenant_id, call_id, only_rep=caller.only_rep)
            progress = (calls.call_progress(s, caller.tenant_id, call_id, only_rep=caller.only_rep)
                        if detail.view["status"] in ("queued", "processing") else None)
    except NotFound:
        return _not_found(request, caller, "call")
    page = call_page(detail.view, detail.scorecard, detail.timeline)
    return templates().TemplateResponse(request, "call.html", {"caller": caller, "progress": progress, **page})


@router.get("/calls/{call_id}/status")
def call_status(request: Request, call_id: str, caller: Viewer = Depends(ui_session.data_viewer)):
    """What the call page polls while the call is queued or processing."""
    with request.app.state.runtime.db.session() as s:
        return JSONResponse(calls.call_progress(s, caller.tenant_id, call_id, only_rep=caller.only_rep))


@router.get("/calls/{call_id}/audio")
def call_audio(request: Request, call_id: str, caller: Viewer = Depends(ui_session.data_viewer)):
    """The recording for the page's player (supports Range requests, so seeking works)."""
    return responses.recording(calls.open_recording(request.app.state.runtime, caller.tenant_id, call_id,
                                                    only_rep=caller.only_rep),
                               request.headers.get("range"))


def _int_param(request: Request, name: str, default: int, lo: int, hi: int) -> int:
    try:
        return max(lo, min(hi, int(request.query_params.get(name, default))))
    except ValueError:
        return default


# A name may hold "/" (the links write it %2F): the path converter takes it whole.
@router.get("/reps/{rep:path}", response_class=HTMLResponse)
def rep_page(request: Request, rep: str, caller: Viewer = Depends(ui_session.page_viewer)):
    return _trend_page(request, caller, rep=rep, team=None)


@router.get("/teams/{team:path}", response_class=HTMLResponse)
def team_page(request: Request, team: str, caller: Viewer = Depends(ui_session.page_viewer)):
    return _trend_page(request, caller, rep=None, team=team)


def _trend_page(request: Request, caller: Viewer, *, rep: str | None, team: str | None):
    weeks = _int_param(request, "weeks", 12, 1, 104)
    try:
        with request.app.state.runtime.db.session() as s:
            data = trend_data(s, caller.tenant_id, rep=rep, team=team,
                              compare_team=request.query_params.get("team") if rep is not None else None,
                              only_rep=caller.only_rep)
    except NotFound:
        return _not_found(request, caller, "rep" if rep is not None else "team")
    my_team = data.compare_team
    page = trend_page(data.rows, data.compare, targets_of(data.latest_scorecard), max_weeks=weeks,
                      compare_label=f"team {my_team} median" if my_team else "team median",
                      own_stat="mean" if rep is not None else "median")
    members = []
    targets = targets_of(data.latest_scorecard)
    table = None
    if team is not None and not data.rows.empty:
        members = sorted(data.rows["rep"].dropna().unique())
        table = rep_table(data.rows[data.rows["iso_week"].isin(page["weeks"])], targets, page["weeks"])
    coach = [coach_row(item) for item in coach_rep(data.cards)] if rep is not None else []
    return templates().TemplateResponse(request, "trends.html", {
        "caller": caller, "rep": rep, "team": team or my_team, "is_rep": rep is not None, "members": members,
        "pending": data.pending, "table": table, "coach": coach, "coached_calls": len(data.cards), **page})


@router.get("/exports/weeks/{week}")
def export_week(request: Request, week: str, format: str = "csv", caller: Viewer = Depends(ui_session.data_viewer)):
    """The week export for a signed-in coach (the API's is ``/v1/exports/weeks/{week}``)."""
    return responses.week_export(request.app.state.runtime, caller.tenant_id, week, format, only_rep=caller.only_rep)
