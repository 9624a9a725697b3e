"""Helpers for the browser tests: the demo site, blocking outside requests, console
errors, logging in."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from playwright.sync_api import Browser, BrowserContext, Page
from waitress_loop import waitress_thread

CHROMIUM = Path("/usr/bin/chromium")
LAPTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


@dataclass
class Site:
    """The live demo server."""

    url: str
    app: Any


@contextmanager
def serve(app: Any) -> Iterator[Site]:
    """`app` on a loopback port, on waitress in a thread as `hesabu serve` runs it, for
    as long as the block lasts (then its database connections are closed)."""
    from server.extensions import db

    try:
        with waitress_thread(app, threads=4) as port:
            yield Site(f"http://127.0.0.1:{port}", app)
    finally:
        with app.app_context():
            db.engine.dispose()


@dataclass
class Watch:
    """What went wrong in the browser: console errors, page errors, outside requests."""

    errors: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)

    def assert_clean(self) -> None:
        assert self.blocked == [], f"requests outside 127.0.0.1: {self.blocked}"
        assert self.errors == [], f"browser console errors: {self.errors}"


def open_context(browser: Browser, viewport: dict[str, int], watch: Watch) -> BrowserContext:
    context = browser.new_context(viewport=viewport, accept_downloads=True)

    def route(r: Any) -> None:
        if urlsplit(r.request.url).hostname == "127.0.0.1":
            r.continue_()
        else:
            watch.blocked.append(r.request.url)
            r.abort()

    context.route("**/*", route)
    return context


def watch_page(page: Page, watch: Watch) -> Page:
    def console(message: Any) -> None:
        # Chromium logs an error status of the page itself (a 403 the test asked for, a
        # 422 form with its problems) as a console error: only other errors count.
        if message.type != "error":
            return
        if message.text.startswith("Failed to load resource") and \
                message.location.get("url") == page.url:
            return
        watch.errors.append(f"{page.url}: {message.text}")

    page.on("console", console)
    page.on("pageerror", lambda e: watch.errors.append(f"{page.url}: {e}"))
    return page


def log_in(page: Page, site: Site, username: str, password: str) -> None:
    page.goto(f"{site.url}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    with page.expect_navigation():
        page.click("button[type=submit]")
    assert "/login" not in page.url, f"{username} could not log in"
