"""The coaching pages in headless Chromium, against a real server and a real analysis.

One synthesized call goes through the upload page; the call page must draw the score
and the timeline, and clicking a coaching moment must move the player to it. The rep
and team pages are then read with more (hand-built) calls seeded beside it. Each page
is saved as a screenshot in ``test-artifacts/``.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from callsynth import Line, make_call
from coaching_seed import CallSpec, seed

pytestmark = [pytest.mark.browser, pytest.mark.slow]

REP, TEAM = "sam", "emea-smb"
SCRIPT = [
    Line("rep", "Hi, this is Sam from Acme. How many people are on your team? We support teams of any size.", at=0.3),
    Line("customer", "About twelve, and our weekly reports take hours to build by hand every Friday.", gap=0.8),
    Line("rep", "So what you're saying is reporting takes too long.", gap=-1.2),
    Line("customer", "Yes, exactly.", gap=0.6),
]


@pytest.fixture(scope="module")
def recording(tmp_path_factory):
    path = tmp_path_factory.mktemp("calls") / "discovery-call.wav"
    make_call(SCRIPT, path, stereo=True)
    return path


@pytest.fixture(scope="module")
def uploaded(server, browser, recording, shot):
    """Upload through the page and wait for the analysed call page; return its id."""
    context = browser.new_context(viewport={"width": 1360, "height": 900})
    page = context.new_page()
    page.goto(f"{server.url}/ui/upload?key={server.key}")
    assert page.url == f"{server.url}/ui/upload", "?key= should sign in and drop the key from the address"
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


def test_call_page_draws_score_timeline_and_seeks(server, page, uploaded, shot):
    page.goto(f"{server.url}/ui/calls/{uploaded}?key={server.key}")
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

    # Each metric against its target.
    assert page.locator("table.components tbody tr").count() >= 5
    assert page.locator("#transcript .line").count() >= 2

    # Clicking a moment moves the player there.
    moments = page.locator("button.moment-seek")
    assert moments.count() >= 1, "the call was built with a rushed question and an interruption"
    page.wait_for_function("document.getElementById('player').readyState >= 1", timeout=30_000)
    target = moments.last
    t = float(target.get_attribute("data-t"))
    assert t > 1.0
    target.click()
    page.wait_for_function(
        f"Math.abs(document.getElementById('player').currentTime - {t}) < 1.5", timeout=10_000)
    now = page.evaluate("document.getElementById('player').currentTime")
    assert abs(now - t) < 1.5

    # A transcript line seeks too, back to its own start.
    first = page.locator("#transcript .line").first
    t0 = float(first.get_attribute("data-t"))
    first.click()
    page.wait_for_function(
        f"Math.abs(document.getElementById('player').currentTime - {t0}) < 1.0", timeout=10_000)
    page.evaluate("document.getElementById('player').pause()")
    shot(page, "call")


def test_rep_and_team_pages(server, page, uploaded, shot):
    # Three more weeks of hand-built calls around the real one, for a trend to show.
    now = datetime.utcnow()
    specs = []
    for weeks_ago, (ratio, honoured) in zip((3, 2, 1), ((0.72, 1), (0.6, 2), (0.5, 3))):
        when = now - timedelta(weeks=weeks_ago)
        specs.append(CallSpec(REP, TEAM, when, ratio, honoured))
        specs.append(CallSpec("alex", TEAM, when + timedelta(hours=2), 0.45, 4))
        specs.append(CallSpec("kim", TEAM, when + timedelta(hours=3), 0.55, 3))
    seeded = seed(server.runtime.db, "acme-coaching", specs)

    page.goto(f"{server.url}/ui/calls/{uploaded}?key={server.key}")
    page.click(f"h1 a[href='/ui/reps/{REP}']")
    page.wait_for_url(f"{server.url}/ui/reps/{REP}")
    charts = page.locator(".chart-card")
    assert charts.count() >= 4
    talk = page.locator(".chart-card[data-metric=talk_ratio]")
    assert talk.locator("rect.band").count() == 1, "talk ratio has a target band"
    assert talk.locator("path.own").count() == 1 and talk.locator("path.other").count() == 1
    # Every call behind the points links to its page: the 3 seeded ones and the uploaded one.
    links = {a.get_attribute("href") for a in page.locator("a.call-link").all()}
    assert f"/ui/calls/{uploaded}" in links
    assert len(links) == 4
    shot(page, "rep")

    page.click(f"a[href='/ui/teams/{TEAM}']")
    page.wait_for_url(f"{server.url}/ui/teams/{TEAM}")
    assert page.locator(".chart-card").count() >= 4
    team_links = {a.get_attribute("href") for a in page.locator("a.call-link").all()}
    assert team_links >= {f"/ui/calls/{c}" for c in seeded}
    shot(page, "team")

    page.goto(f"{server.url}/ui")
    assert page.locator(f"a[href='/ui/calls/{uploaded}']").count() == 1
    shot(page, "home")

    # A dot on a chart opens its call.
    page.goto(f"{server.url}/ui/teams/{TEAM}")
    page.locator(".chart-card[data-metric=score] a.call-dot").first.click()
    page.wait_for_url(re.compile(r".*/ui/calls/call_[0-9a-f]+$"))
    assert page.locator("#score-value").count() == 1
