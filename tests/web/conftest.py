"""Browser tests: the real server on loopback with the demo data, driven by headless
Chromium (Debian's /usr/bin/chromium, installed by `make test`) through Playwright.

Nothing here skips: without Chromium the tests fail and say how to install it.
Every page is checked for console errors and for requests leaving 127.0.0.1 (they are
blocked and reported). Screenshots go to a temporary folder, or to
$HESABU_SCREENSHOTS (e.g. docs/screenshots) when set.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from browser_harness import (
    CHROMIUM,
    LAPTOP,
    PHONE,
    Site,
    Watch,
    open_context,
    serve,
    watch_page,
)
from playwright.sync_api import Browser, Page, Playwright, sync_playwright

from server.app import create_app
from server.extensions import db


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """A server on a loopback port with the demo dataset in a SQLite file."""
    from server.services.demo import load_demo

    folder = tmp_path_factory.mktemp("web")
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'hesabu.db'}",
                      "INSTANCE_PATH": str(folder / "instance")})
    with app.app_context():
        load_demo()
        db.session.remove()
    with serve(app) as site:
        yield site


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    """Chromium with a fresh throwaway profile (Playwright makes one per launch)."""
    if not CHROMIUM.exists():
        pytest.fail("headless Chromium is missing: run `make test` (it installs it) or "
                    "`apt-get install -y --no-install-recommends chromium chromium-driver`")
    browser = playwright.chromium.launch(
        executable_path=str(CHROMIUM), headless=True,
        args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
              "--disable-component-update", "--disable-sync", "--no-first-run",
              "--disable-default-apps", "--disable-extensions"])
    yield browser
    browser.close()


@pytest.fixture(scope="session")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = os.environ.get("HESABU_SCREENSHOTS")
    folder = Path(target) if target else tmp_path_factory.mktemp("screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def watch() -> Watch:
    return Watch()


@pytest.fixture
def laptop(browser: Browser, watch: Watch) -> Iterator[Page]:
    context = open_context(browser, LAPTOP, watch)
    yield watch_page(context.new_page(), watch)
    context.close()
    watch.assert_clean()


@pytest.fixture
def phone(browser: Browser, watch: Watch) -> Iterator[Page]:
    context = open_context(browser, PHONE, watch)
    yield watch_page(context.new_page(), watch)
    context.close()
    watch.assert_clean()
