"""The coaching pages in headless Chromium, against a real server and a real analysis.

One synthesized call goes through the upload page with ``rep=sam``; the call page must
draw the score and the timeline with people's names, and clicking a coaching moment, a
transcript line or the middle of a speech bar must move the player there. Hand-built
calls are seeded beside it for the rep and team pages. Every page is checked at a
desktop width (1366 px) and a phone width (390 px): no horizontal scrolling and no
serious or critical axe-core finding. Each page is saved as a screenshot in
``test-artifacts/``.
"""

from __future__ import annotations

import re
import time
from datetime import datetime, timedelta

import httpx
import pytest

from callsynth import Line, make_call
from coaching_seed import CallSpec, seed
from conftest import DESKTOP, PHONE, horizontal_overflow
from signin import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.slow]

REP, TEAM = "sam", "emea-smb"
SCRIPT = [
    Line("rep", "Hi, this is Sam from Acme. How many people are on your team? We support teams of any size.", at=0.3),
    Line("customer", "About twelve, and our weekly reports take hours to build by hand every Friday.", gap=0.8),
    Line("rep", "So what you're saying is reporting takes too long.", gap=-1.2),
    Line("customer", "Yes, exactly.", gap=0.6),
]
RAW_LABELS = re.compile(r"\b(SPEAKER_\d+|CH\d|SPK_\w+)\b")
SEEK_TOLERANCE_S = 0.5


@pytest.fixture(scope="module")
def recording(tmp_path_factory):
    path = tmp_path_factory.mktemp("calls") / "discovery-call.wav"
    make_call(SCRIPT, path, stereo=True)
    return path


@pytest.fixture(scope="module")
def uploaded(server, browser, recording, shot):
    """Upload through the page and wait for the analysed call page; return its id."""
    context = browser.new_context(**DESKTOP)
    page = context.new_page()
    sign_in(page, server, "/ui/upload")
    shot(page, "upload")
    page.set_input_files("input[name=file]", str(recording))
    page.fill("input[name=rep]", REP)
    page.fill("input[name=team]", TEAM)
    page.click("summary")
    page.fill("input[name=channels]", "rep,customer")
    page.click("#upload-button")
    page.wait_for_url(re.compile(r".*/ui/calls/call_[0-9a-f]+$"), timeout=60_000)
    call_id = page.url.rsplit("/", 1)[-1]
    if page.query_selector("#processing"):
        shot(page, "call-processing")
    # The page polls while the call is processed and reloads itself when it is done.
    page.wait_for_selector("#score-value, #failure-reason", timeout=300_000)
    failure = page.query_selector("#failure-reason")
    assert failure is None, f"the analysis failed: {failure.inner_text() if failure else ''}"
    context.close()
    return call_id


@pytest.fixture(scope="module")
def seeded(server, uploaded):
    """Five ISO weeks of hand-built calls of three reps around the real one, and one call
    of sam's where he talks 88% of the time."""
    now = datetime.utcnow()
    specs = []
    for weeks_ago, (ratio, honoured) in zip((5, 3, 2, 1), ((0.72, 1), (0.6, 2), (0.5, 3), (0.55, 3))):
        when = now - timedelta(weeks=weeks_ago)
        specs.append(CallSpec(REP, TEAM, when, ratio, honoured))
        specs.append(CallSpec("alex", TEAM, when + timedelta(hours=2), 0.45, 4))
        specs.append(CallSpec("kim", TEAM, when + timedelta(hours=3), 0.55, 3))
    talker = seed(server.runtime.db, "acme-coaching", [CallSpec(REP, TEAM, now - timedelta(days=1), 0.88, 2)])[0]
    return {"ids": seed(server.runtime.db, "acme-coaching", specs), "talker": talker}


def _signed_in(browser, server, size):
    context = browser.new_context(**size)
    page = context.new_page()
    sign_in(page, server, "/ui")
    return context, page


def _track_seeks(page):
    # The time the player was sent to, read at the seek itself (playback moves on after it).
    page.evaluate("""() => { const p = document.getElementById('player');
        window.__seeks = []; p.addEventListener('seeking', () => window.__seeks.push(p.currentTime)); }""")


def _wait_js(page, expression: str, timeout_s: float = 10.0) -> None:
    # page.wait_for_function re-evaluates its string with eval(), which the pages' CSP forbids;
    # page.evaluate goes through the DevTools protocol, which the CSP does not govern.
    deadline = time.monotonic() + timeout_s
    while not page.evaluate(expression):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {expression}")
        page.wait_for_timeout(50)


def _last_seek(page) -> float:
    _wait_js(page, "window.__seeks && window.__seeks.length > 0")
    t = page.evaluate("window.__seeks[window.__seeks.length - 1]")
    page.evaluate("window.__seeks = []")
    return t


def test_call_page_draws_score_timeline_and_seeks(server, page, uploaded, shot):
    page.set_viewport_size(DESKTOP["viewport"])
    sign_in(page, server, f"/ui/calls/{uploaded}")
    score = page.text_content("#score-value").strip()
    assert score.isdigit() and 0 <= int(score) <= 100

    # Two speaker lanes with speech drawn in each, at least one overlap (the rep cut in).
    lanes = page.locator("svg#timeline g.lane")
    assert lanes.count() == 2
    for i in range(2):
        assert lanes.nth(i).locator("rect.turn").count() >= 1
    assert page.locator("svg#timeline rect.overlap").count() >= 1
    assert page.locator("svg#timeline g.question").count() >= 1
    box = page.locator("svg#timeline").bounding_box()
    assert box and box["width"] > 600 and box["height"] > 80

    # People by name: the rep as given at upload, the other side as the customer.
    assert page.locator("svg#timeline g.lane .lane-label").first.text_content().startswith(REP)
    body = page.inner_text("body")
    assert not RAW_LABELS.search(body), RAW_LABELS.search(body)
    assert f"{REP}:" in body and "Customer" in body

    assert page.locator("table.components tbody tr").count() >= 5
    assert page.locator("#transcript .line").count() >= 2
    assert page.locator("#coach .coach-item").count() >= 1

    _wait_js(page, "document.getElementById('player').readyState >= 1", timeout_s=30)
    _track_seeks(page)
    # A coaching moment plays from its time.
    moment = page.locator("ol.moments button.moment-seek").last
    t = float(moment.get_attribute("data-t"))
    moment.click()
    assert abs(_last_seek(page) - t) < SEEK_TOLERANCE_S

    # A transcript line (clicked on its words) plays from its start.
    line = page.locator("#transcript .line").nth(1)
    t_line = float(line.get_attribute("data-t"))
    line.locator(".text").click()
    assert abs(_last_seek(page) - t_line) < SEEK_TOLERANCE_S

    # A click 60% into the longest speech bar plays from that point, not the bar's start.
    bars = page.locator("svg#timeline rect.turn")
    spans = [(float(bars.nth(i).get_attribute("data-start")), float(bars.nth(i).get_attribute("data-end")))
             for i in range(bars.count())]
    k = max(range(len(spans)), key=lambda i: spans[i][1] - spans[i][0])
    start, end = spans[k]
    bar_box = bars.nth(k).bounding_box()
    bars.nth(k).click(position={"x": bar_box["width"] * 0.6, "y": bar_box["height"] / 2}, force=True)
    expected = start + 0.6 * (end - start)
    assert end - start > 2.0 and abs(_last_seek(page) - expected) < SEEK_TOLERANCE_S

    # A mark is a button a keyboard reaches: its details show and it plays from its time.
    mark = page.locator("svg#timeline g.mark").first
    mark.focus()
    assert page.text_content("#tl-detail") == mark.get_attribute("data-detail")
    assert mark.get_attribute("data-detail") in mark.get_attribute("aria-label")
    page.keyboard.press("Enter")
    assert abs(_last_seek(page) - float(mark.get_attribute("data-t"))) < SEEK_TOLERANCE_S
    page.evaluate("document.getElementById('player').pause()")
    shot(page, "call")


def test_the_recording_is_served_in_ranges(server, browser, uploaded):
    context, page = _signed_in(browser, server, DESKTOP)
    cookies = {c["name"]: c["value"] for c in context.cookies()}
    context.close()
    res = httpx.get(f"{server.url}/ui/calls/{uploaded}/audio", cookies=cookies, headers={"Range": "bytes=100-1099"})
    assert res.status_code == 206 and len(res.content) == 1000
    assert res.headers["content-range"].startswith("bytes 100-1099/")


def test_a_talkative_call_is_coached_on_talking_first(server, browser, seeded, shot):
    context, page = _signed_in(browser, server, DESKTOP)
    page.goto(f"{server.url}/ui/calls/{seeded['talker']}")
    first = page.locator("#coach .coach-item").first
    assert first.get_attribute("data-component") == "talk_ratio"
    assert "88%" in first.inner_text() and f"{REP} did 88% of the talking" in first.inner_text()
    assert first.locator("button.coach-seek").count() == 1, "with the moment to play"
    # It is the first thing on the page after the title.
    assert page.locator("#coach").bounding_box()["y"] < page.locator("#score-value").bounding_box()["y"]
    shot(page, "call-talker")
    context.close()


def test_rep_page_has_no_point_for_an_unscored_value(server, browser, seeded, shot):
    from listenlens.pipeline.scorecard import Scorecard
    from listenlens.service.db.models import CallResult

    with server.runtime.db.session() as s:
        cards = {c: Scorecard.model_validate(s.get(CallResult, c).scorecard) for c in [*seeded["ids"], seeded["talker"]]}
    # The short seeded calls are under two minutes of speech: interruptions measured, not scored.
    short = cards[seeded["ids"][0]]
    assert short.metrics.interruption_counts.rep_on_customer_per_10min is not None
    assert not short.component("interruptions").applicable
    scored = {c for c, card in cards.items() if card.component("interruptions").applicable}
    assert seeded["talker"] in scored
    context, page = _signed_in(browser, server, DESKTOP)
    page.goto(f"{server.url}/ui/reps/{REP}")
    chart = page.locator(".chart-card[data-metric=interruptions_rep_per_10min]")
    dots = {a.get_attribute("href").rsplit("/", 1)[-1] for a in chart.locator("a.call-dot").all()}
    assert dots == scored & {c for c in scored if c in seeded["ids"] or c == seeded["talker"]}
    assert chart.locator("circle.own-pt").count() == 1, "one week has a scored value"
    # Each headline says which week and how many calls it is; empty weeks keep their place.
    talk = page.locator(".chart-card[data-metric=talk_ratio]")
    assert re.search(r"\d{4}-W\d\d, \d+ calls?", talk.locator(".headline").inner_text())
    assert talk.locator("rect.gap-week").count() >= 1, "the week without calls stays on the axis"
    context.close()


PAGES = [
    ("home", "/ui"),
    ("upload", "/ui/upload"),
    ("call", "/ui/calls/{uploaded}"),
    ("call-talker", "/ui/calls/{talker}"),
    ("rep", f"/ui/reps/{REP}"),
    ("team", f"/ui/teams/{TEAM}"),
    ("not-found", "/ui/no/such/page"),
    ("users", "/ui/admin/users"),
    ("trackers", "/ui/trackers"),
    ("reps", "/ui/admin/reps"),
    ("rep-erase", "/ui/admin/reps/erase?rep=alex"),
]


@pytest.mark.parametrize("size_name,size", [("desktop", DESKTOP), ("phone", PHONE)])
def test_every_page_fits_the_width_and_passes_axe(server, browser, uploaded, seeded, axe, shot, size_name, size):
    problems = []
    context = browser.new_context(**size)
    page = context.new_page()
    page.goto(f"{server.url}/ui/login")
    if horizontal_overflow(page)["over"] > 0 or axe(page):
        problems.append(f"login: {horizontal_overflow(page)} {axe(page)}")
    shot(page, f"login-{size_name}")
    context.close()
    context, page = _signed_in(browser, server, size)
    for name, path in PAGES:
        page.goto(server.url + path.format(uploaded=uploaded, talker=seeded["talker"]))
        page.wait_for_load_state("networkidle")
        over = horizontal_overflow(page)
        if over["over"] > 0:
            problems.append(f"{name}: {over['over']} px wider than the window ({over['wide']})")
        found = axe(page)
        if found:
            problems.append(f"{name}: axe {found}")
        shot(page, f"{name}-{size_name}")
    if size_name == "phone":
        # The timeline fits the phone's width: the whole call, no scroller.
        page.goto(f"{server.url}/ui/calls/{uploaded}")
        narrow = page.locator("svg#timeline-phone").bounding_box()
        assert narrow and narrow["width"] <= 390 and page.locator("svg#timeline").bounding_box() is None
    context.close()
    assert not problems, "\n".join(problems)


def test_rep_and_team_pages(server, page, uploaded, seeded, shot):
    sign_in(page, server, f"/ui/calls/{uploaded}")
    page.click(f"h1 a[href='/ui/reps/{REP}']")
    page.wait_for_url(f"{server.url}/ui/reps/{REP}")
    charts = page.locator(".chart-card")
    assert charts.count() >= 4
    talk = page.locator(".chart-card[data-metric=talk_ratio]")
    assert talk.locator("rect.band").count() == 1, "talk ratio has a target band"
    assert talk.locator("path.own").count() == 1 and talk.locator("path.other").count() == 1
    # Every call behind the points links to its page: the seeded ones and the uploaded one.
    links = {a.get_attribute("href") for a in page.locator("a.call-link").all()}
    assert f"/ui/calls/{uploaded}" in links and f"/ui/calls/{seeded['talker']}" in links
    assert len(links) == 6
    # Coach this links to the moment to play on its call page.
    play = page.locator("#coach a.button-link").first
    href = play.get_attribute("href")
    assert re.match(r"/ui/calls/call_[0-9a-f]+#t=[0-9.]+$", href)

    page.click(f"a[href='/ui/teams/{TEAM}']")
    page.wait_for_url(f"{server.url}/ui/teams/{TEAM}")
    assert page.locator(".chart-card").count() >= 4
    team_links = {a.get_attribute("href") for a in page.locator("a.call-link").all()}
    assert team_links >= {f"/ui/calls/{c}" for c in seeded["ids"]}
    # The reps against target, most in need first; sortable by a column.
    ranked = [a.text_content() for a in page.locator("table.team-table tbody td:nth-child(2) a").all()]
    assert sorted(ranked) == ["alex", "kim", REP] and ranked[0] == REP
    page.locator("table.team-table th button.sort", has_text="Rep").click()
    assert [a.text_content() for a in page.locator("table.team-table tbody td:nth-child(2) a").all()] == sorted(ranked)

    page.goto(f"{server.url}/ui?rep={REP}")
    assert page.locator(f"a[href='/ui/calls/{uploaded}']").count() == 1
    assert page.locator("a[href^='/ui/reps/alex']").count() == 1, "only the reps list names alex"

    # A dot on a chart opens its call.
    page.goto(f"{server.url}/ui/teams/{TEAM}")
    page.locator(".chart-card[data-metric=score] a.call-dot").first.click()
    page.wait_for_url(re.compile(r".*/ui/calls/call_[0-9a-f]+$"))
    assert page.locator("#score-value").count() == 1

    # Signing out ends the session: the pages send the browser to sign in again.
    page.click("header form[action='/ui/logout'] button")
    page.wait_for_url(f"{server.url}/ui/login")
    page.goto(f"{server.url}/ui")
    assert "/ui/login?next=" in page.url


def test_a_rep_is_erased_with_the_keyboard_alone(server, browser, shot):
    from listenlens.service.db.models import Call

    [leaver] = seed(server.runtime.db, "acme-coaching", [CallSpec("leaver", TEAM, datetime.utcnow(), 0.5, 2)])
    context, page = _signed_in(browser, server, DESKTOP)
    page.goto(f"{server.url}/ui/admin/reps")
    link = page.locator("tr[data-rep=leaver] a")
    link.focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**/ui/admin/reps/erase?rep=leaver")
    assert page.evaluate("document.activeElement.name") == "confirm", "the confirmation field has the focus"
    page.keyboard.type("leaver")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent").strip() == "Erase leaver's data"
    shot(page, "rep-erase-confirm")
    page.keyboard.press("Enter")
    page.wait_for_url("**/ui/admin/reps?done=*")
    assert "Erased leaver: 1 call(s)" in page.locator("[role=status]").inner_text()
    with server.runtime.db.session() as s:
        assert s.get(Call, leaver) is None
    context.close()
