"""A real listenlens server (uvicorn, SQLite, in-process worker) and headless Chromium.

The server runs in a thread of the test process on a free port of 127.0.0.1 with a
temporary ``LISTENLENS_HOME``, so tests can also seed its database directly.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--autoplay-policy=no-user-gesture-required"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
AXE_VERSION = "4"  # axe-core major version, from the npm registry
AXE_HOME = Path(os.environ.get("LISTENLENS_AXE_DIR", Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
                               / "listenlens-tests" / "axe"))
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "device_scale_factor": 2}
DESKTOP = {"viewport": {"width": 1366, "height": 900}}


@dataclass
class Server:
    url: str
    app: object
    key: str
    email: str = "lead@acme-coaching.test"  # an admin: every page, the users page too
    password: str = "a lead's long password"

    @property
    def runtime(self):
        return self.app.state.runtime


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    import uvicorn

    from listenlens.service.app import create_app
    from listenlens.service.domain.accounts import create_user
    from listenlens.service.domain.auth import create_key
    from listenlens.service.settings import ServiceSettings

    home = tmp_path_factory.mktemp("listenlens-home")
    settings = ServiceSettings(home=home, worker_threads=1, poll_interval_s=0.2, housekeeping_interval_s=5)
    app = create_app(settings)
    port = _free_port()
    uv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=uv.run, name="uvicorn-ui-tests", daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(url + "/healthz", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("the listenlens server did not start")
        time.sleep(0.1)
    srv = Server(url, app, "")
    with app.state.runtime.db.session() as s:
        srv.key = create_key(s, "acme-coaching")
        create_user(s, "acme-coaching", srv.email, srv.password, role="admin")
    yield srv
    uv.should_exit = True
    thread.join(timeout=30)


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1360, "height": 900})
    pg = context.new_page()
    yield pg
    context.close()


@pytest.fixture(scope="session")
def shot():
    """``shot(page, name)`` saves a full-page screenshot as a test artifact."""

    def save(page, name: str) -> Path:
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return save


@pytest.fixture(scope="session")
def axe_source() -> str:
    """axe-core's ``axe.min.js``, installed with npm into a cache folder outside the
    repository the first time (CI starts from a clean clone)."""
    script = AXE_HOME / "node_modules" / "axe-core" / "axe.min.js"
    if not script.exists():
        npm = shutil.which("npm")
        if npm is None:
            pytest.fail("npm is needed to install axe-core for the accessibility checks (apt-get install npm)")
        AXE_HOME.mkdir(parents=True, exist_ok=True)
        subprocess.run([npm, "install", "--no-audit", "--no-fund", "--silent", "--prefix", str(AXE_HOME),
                        f"axe-core@{AXE_VERSION}"], check=True, timeout=600)
    return script.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def axe(axe_source):
    """``axe(page)`` runs axe-core (WCAG 2.1 A and AA rules) in the page and returns its
    serious and critical violations as ``(rule, impact, [targets])``.

    The script goes in through the DevTools protocol (``page.evaluate``), which the pages'
    Content-Security-Policy does not govern, so the pages keep their policy under test.
    """

    def run(page) -> list[tuple[str, str, list[str]]]:
        if not page.evaluate("typeof window.axe !== 'undefined'"):
            page.evaluate(axe_source + "\n;undefined")
        result = page.evaluate("""async () => {
            const r = await axe.run(document, {runOnly: {type: 'tag',
                values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}});
            return r.violations.map(v => [v.id, v.impact, v.nodes.slice(0, 5).map(n => n.target.join(' '))]);
        }""")
        return [tuple(v) for v in result if v[1] in ("serious", "critical")]

    return run


def horizontal_overflow(page) -> dict:
    """How far the page is wider than the window, and the widest elements (for the message)."""
    return page.evaluate("""() => {
        const w = document.documentElement.clientWidth;
        const wide = [...document.querySelectorAll('body *')]
            .filter(e => e.getBoundingClientRect().right > w + 1 && !e.closest('.table-scroll, .sr-only'))
            .slice(0, 6).map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') +
                                  (typeof e.className === 'string' && e.className ? '.' + e.className.split(' ')[0] : ''));
        return {over: document.documentElement.scrollWidth - w, wide};
    }""")
