"""``/ui``: the coaching pages, served by the API process (no front-end build).

Pages sign in with the tenant's API key (``/ui/login`` turns it into a session cookie,
or ``?key=`` once on any page) and see exactly what the API shows that key: another
tenant's call answers 404 like a missing one.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote, urlencode

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from sqlalchemy import func, select

from listenlens.service.api.deps import ApiError, Caller
from listenlens.service.db.models import Call, CallResult
from listenlens.service.ui import session as ui_session
from listenlens.service.ui.callview import call_page
from listenlens.service.ui.fmt import clock, score_class
from listenlens.service.ui.trendview import targets_of, trend_page

TEMPLATES = Path(__file__).resolve().parent / "templates"
templates = Jinja2Templates(directory=str(TEMPLATES))
templates.env.filters["clock"] = clock
templates.env.filters["urlpart"] = lambda s: quote(str(s), safe="")

router = APIRouter(prefix="/ui", include_in_schema=False)


# -- signing in ----------------------------------------------------------------

def _gate(request: Request) -> tuple[Caller | None, Response | None]:
    """The signed-in caller, or the response that signs them in (redirect to the login form)."""
    key = request.query_params.get("key")
    if key:
        signed = ui_session.sign_in(request, key)
        if signed is None:
            return None, _login_page(request, error="That API key is unknown or revoked.", status=401)
        rest = [(k, v) for k, v in request.query_params.multi_items() if k != "key"]
        target = request.url.path + (f"?{urlencode(rest)}" if rest else "")
        return None, _with_session(RedirectResponse(target, status_code=303), signed[1], request)
    caller = ui_session.caller_from_request(request)
    if caller is None:
        nxt = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return None, RedirectResponse(f"/ui/login?{urlencode({'next': nxt})}", status_code=303)
    return caller, None


def _api_caller(request: Request) -> Caller:
    caller = ui_session.caller_from_request(request)
    if caller is None:
        raise ApiError(401, "unauthorized", "sign in at /ui/login with an API key (or send `Authorization: Bearer KEY`)")
    return caller


def _with_session(response: Response, cookie: str, request: Request) -> Response:
    response.set_cookie(ui_session.COOKIE, cookie, max_age=ui_session.SESSION_S, httponly=True, samesite="lax",
                        secure=request.url.scheme == "https", path="/")
    return response


def _safe_next(nxt: str | None) -> str:
    # Only ever back into the pages: an open redirect would hand the session to anyone.
    return nxt if nxt and nxt.startswith("/ui") and not nxt.startswith("//") else "/ui"


def _login_page(request: Request, *, error: str | None = None, status: int = 200, nxt: str | None = None):
    return templates.TemplateResponse(request, "login.html", {"error": error, "next": _safe_next(nxt), "caller": None},
                                      status_code=status)


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str | None = None):
    return _login_page(request, nxt=next)


@router.post("/login")
def login(request: Request, key: str = Form(""), next: str = Form("/ui")):
    signed = ui_session.sign_in(request, key) if key.strip() else None
    if signed is None:
        msg = "Paste an API key." if not key.strip() else "That API key is unknown or revoked: ask for one made with `listenlens keys create TENANT`."
        return _login_page(request, error=msg, status=401, nxt=next)
    return _with_session(RedirectResponse(_safe_next(next), status_code=303), signed[1], request)


@router.post("/logout")
def logout():
    response = RedirectResponse("/ui/login", status_code=303)
    response.delete_cookie(ui_session.COOKIE, path="/")
    return response


def _not_found(request: Request, caller: Caller, what: str):
    return templates.TemplateResponse(request, "not_found.html", {"caller": caller, "what": what}, status_code=404)


# -- pages ---------------------------------------------------------------------

@router.get("", response_class=HTMLResponse)
def home(request: Request):
    caller, redirect = _gate(request)
    if redirect:
        return redirect
    rt = request.app.state.runtime
    with rt.db.session() as s:
        recent = s.scalars(select(Call).where(Call.tenant_id == caller.tenant_id)
                           .order_by(Call.call_time.desc(), Call.id).limit(50)).all()
        reps = s.execute(select(Call.rep, func.count()).where(Call.tenant_id == caller.tenant_id, Call.rep.is_not(None))
                         .group_by(Call.rep).order_by(Call.rep)).all()
        teams = s.execute(select(Call.team, func.count()).where(Call.tenant_id == caller.tenant_id, Call.team.is_not(None))
                          .group_by(Call.team).order_by(Call.team)).all()
        calls = [{"id": c.id, "rep": c.rep, "team": c.team, "when": f"{c.call_time:%a %d %b %Y %H:%M}",
                  "status": c.status, "score": c.score, "cls": score_class(c.score),
                  "duration": clock(c.duration_s) if c.duration_s else "", "filename": c.filename} for c in recent]
    return templates.TemplateResponse(request, "home.html", {"caller": caller, "calls": calls, "reps": reps, "teams": teams})


@router.get("/upload", response_class=HTMLResponse)
def upload_page(request: Request):
    caller, redirect = _gate(request)
    if redirect:
        return redirect
    rt = request.app.state.runtime
    with rt.db.session() as s:
        reps = list(s.scalars(select(Call.rep).where(Call.tenant_id == caller.tenant_id, Call.rep.is_not(None)).distinct()))
        teams = list(s.scalars(select(Call.team).where(Call.tenant_id == caller.tenant_id, Call.team.is_not(None)).distinct()))
    return templates.TemplateResponse(request, "upload.html", {
        "caller": caller, "reps": sorted(reps), "teams": sorted(teams),
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
):
    """The upload form posts here; the call goes through the API's own upload code."""
    from listenlens.service.api.routes.calls import create_call

    caller = _api_caller(request)
    return create_call(request, file=file, rep=_blank(rep), team=_blank(team), call_time=_blank(call_time),
                       external_id=None, channels=_blank(channels), rep_hint=_blank(rep_hint), diarizer=None,
                       num_speakers=None, caller=caller, rt=request.app.state.runtime)


def _blank(text: str | None) -> str | None:
    return (text or "").strip() or None


@router.get("/calls/{call_id}", response_class=HTMLResponse)
def call_detail(request: Request, call_id: str):
    from listenlens.service.domain.calls import call_view

    caller, redirect = _gate(request)
    if redirect:
        return redirect
    rt = request.app.state.runtime
    with rt.db.session() as s:
        call = s.get(Call, call_id)
        if call is None or call.tenant_id != caller.tenant_id:
            return _not_found(request, caller, "call")
        result = s.get(CallResult, call.id) if call.status == "done" else None
        view = call_view(call)
        scorecard = result.scorecard if result else None
        timeline = result.timeline if result else None
    page = call_page(view, scorecard, timeline)
    return templates.TemplateResponse(request, "call.html", {"caller": caller, **page})


@router.get("/calls/{call_id}/status")
def call_status(request: Request, call_id: str):
    """What the call page polls while the call is queued or processing."""
    caller = _api_caller(request)
    rt = request.app.state.runtime
    with rt.db.session() as s:
        call = s.get(Call, call_id)
        if call is None or call.tenant_id != caller.tenant_id:
            raise ApiError(404, "not_found", "no such call for this API key")
        return JSONResponse({
            "id": call.id, "status": call.status, "stage": call.progress_stage, "fraction": call.progress,
            "error": {"code": call.error_code, "message": call.error_message} if call.status == "failed" else None,
            "score": call.score,
        })


@router.get("/calls/{call_id}/audio")
def call_audio(request: Request, call_id: str):
    """The recording for the page's player (supports Range requests, so seeking works)."""
    from listenlens.service.api.routes.calls import get_recording

    caller = _api_caller(request)
    return get_recording(call_id, caller=caller, rt=request.app.state.runtime)


def _trend_context(request: Request, caller: Caller, *, rep: str | None, team: str | None) -> dict | None:
    from listenlens.service.domain.trends import load_metric_rows

    rt = request.app.state.runtime
    weeks = _int_param(request, "weeks", 12, 1, 104)
    with rt.db.session() as s:
        known = select(func.count()).select_from(Call).where(Call.tenant_id == caller.tenant_id)
        known = known.where(Call.rep == rep) if rep is not None else known.where(Call.team == team)
        if not s.scalar(known):
            return None
        rows = load_metric_rows(s, caller.tenant_id, rep=rep, team=team)
        pending = s.scalar(select(func.count()).select_from(Call).where(
            Call.tenant_id == caller.tenant_id, Call.status.in_(("queued", "processing")),
            (Call.rep == rep) if rep is not None else (Call.team == team)))
        my_team = None
        compare = None
        if rep is not None:
            teams = rows["team"].dropna()
            my_team = request.query_params.get("team") or (teams.mode().iloc[0] if not teams.empty else None)
            if my_team:
                compare = load_metric_rows(s, caller.tenant_id, team=my_team)
        latest = s.scalar(select(CallResult.scorecard).join(Call, Call.id == CallResult.call_id)
                          .where(Call.tenant_id == caller.tenant_id, Call.status == "done")
                          .order_by(Call.finished_at.desc()).limit(1))
    page = trend_page(rows, compare, targets_of(latest), max_weeks=weeks,
                      compare_label=f"team {my_team} median" if my_team else "team median",
                      own_stat="mean" if rep is not None else "median")
    members = []
    if team is not None and not rows.empty:
        members = sorted(rows["rep"].dropna().unique())
    return {"caller": caller, "rep": rep, "team": team or my_team, "is_rep": rep is not None, "members": members,
            "pending": pending, **page}


def _int_param(request: Request, name: str, default: int, lo: int, hi: int) -> int:
    try:
        return max(lo, min(hi, int(request.query_params.get(name, default))))
    except ValueError:
        return default


@router.get("/reps/{rep}", response_class=HTMLResponse)
def rep_page(request: Request, rep: str):
    return _trend_page(request, rep=rep, team=None)


@router.get("/teams/{team}", response_class=HTMLResponse)
def team_page(request: Request, team: str):
    return _trend_page(request, rep=None, team=team)


def _trend_page(request: Request, *, rep: str | None, team: str | None):
    caller, redirect = _gate(request)
    if redirect:
        return redirect
    ctx = _trend_context(request, caller, rep=rep, team=team)
    if ctx is None:
        return _not_found(request, caller, "rep" if rep is not None else "team")
    return templates.TemplateResponse(request, "trends.html", ctx)


@router.get("/exports/weeks/{week}")
def export_week(request: Request, week: str, format: str = "csv"):
    """The week export for a signed-in coach (the API's is ``/v1/exports/weeks/{week}``)."""
    from listenlens.service.api.routes.exports import week_response

    caller = _api_caller(request)
    return week_response(request.app.state.runtime, caller.tenant_id, week, format)
