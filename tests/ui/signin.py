"""Signing in through the page's own form, as a person does, for the browser tests."""

from __future__ import annotations


def sign_in(page, server, path: str = "/ui") -> None:
    """Open ``path``; on the sign-in page it leads to, sign in with the form and land back on ``path``."""
    page.goto(f"{server.url}{path}")
    assert "/ui/login?next=" in page.url, "an unsigned visitor is sent to sign in"
    page.fill("input[name=email]", server.email)
    page.fill("input[name=password]", server.password)
    page.click("form[action='/ui/login'] button[type=submit]")
    page.wait_for_url(f"{server.url}{path}")
