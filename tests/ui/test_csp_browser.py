"""Every page works under the service's Content-Security-Policy in headless Chromium.

Seeded done calls (one with a stored recording, one rep and team name holding "/") are
opened page by page; the browser must report no CSP violation, the pages' own script
must run (the player seeks when a moment is clicked), and the audio must load.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import quote

import pytest

from coaching_seed import CallSpec, seed
from signin import sign_in

pytestmark = [pytest.mark.browser]

WATCH = """
window.__csp = [];
document.addEventListener('securitypolicyviolation',
    e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));
"""


@pytest.fixture(scope="module")
def seeded(server, tmp_path_factory):
    from callsynth import Line, make_call

    rt = server.runtime
    now = datetime(2026, 11, 16, 10, 0)
    ids = seed(rt.db, "acme-coaching", [
        CallSpec("ana/west", "emea/smb", now - timedelta(days=7 * i), 0.45 + 0.05 * i, 3) for i in range(3)
    ])
    wav = tmp_path_factory.mktemp("csp") / "call.wav"
    make_call([Line("rep", "Hello, how are you?", at=0.2), Line("customer", "Fine, thanks.", gap=0.5)], wav)
    from listenlens.service.db.models import Call

    key = f"csp/{ids[0]}/call.wav"
    rt.storage.put(wav, key)
    with rt.db.session() as s:
        s.get(Call, ids[0]).recording_key = key
    return ids


def _visit(page, url: str, console: list[str]) -> list[str]:
    page.goto(url)
    page.wait_for_load_state("networkidle")
    return page.evaluate("window.__csp") + [m for m in console if "Content Security Policy" in m]


def test_pages_run_under_the_csp_without_violations(server, browser, seeded):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.add_init_script(WATCH)
    page = context.new_page()
    console: list[str] = []
    page.on("console", lambda m: console.append(m.text))
    sign_in(page, server, "/ui")  # the sign-in page runs under the CSP too
    pages = ["/ui/login", "/ui", "/ui/upload", "/ui/admin/users", "/ui/admin/reps", "/ui/admin/reps/erase?rep=ana%2Fwest",
             f"/ui/calls/{seeded[0]}",
             f"/ui/reps/{quote('ana/west', safe='')}", f"/ui/teams/{quote('emea/smb', safe='')}"]
    for path in pages:
        response = page.goto(server.url + path)
        assert response.status == 200, path
        assert "content-security-policy" in response.headers
        page.wait_for_load_state("networkidle")
        violations = page.evaluate("window.__csp") + [m for m in console if "Content Security Policy" in m]
        assert not violations, (path, violations)
    # The rep page with a "/" in the name shows that rep.
    page.goto(server.url + f"/ui/reps/{quote('ana/west', safe='')}")
    assert "ana/west" in page.text_content("h1")

    # The call page's script runs and its audio loads from the recording (a download with Range).
    page.goto(server.url + f"/ui/calls/{seeded[0]}")
    page.wait_for_function("document.querySelector('#player').readyState >= 1", timeout=30_000)
    line = page.locator("#transcript button.seek").last
    assert float(line.get_attribute("data-t")) > 0
    line.click()
    page.wait_for_function("document.querySelector('#player').currentTime > 0", timeout=10_000)
    assert not page.evaluate("window.__csp")
    context.close()
