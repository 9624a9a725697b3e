"""Enketo, the web form engine of Ona and KoboToolbox, as a real OpenRosa client for the
tests: `enketo-core` and `enketo-transformer` from the npm registry (pinned in
tests/openrosa/enketo/package.json, every dependency in its package-lock.json), bundled
for the page with esbuild, run in the headless Chromium the web tests use.

The npm install and the bundle are made once per machine, in a folder of the venv named
after a hash of the pinned files (`<venv>/hesabu-cache/enketo-<hash>/enketo.js`), under a
file lock so two pytest workers do not build it at the same time. Changing a pin or the
entry point makes a new folder.

The page is served at `<server>/__enketo__/` by Playwright itself (route interception),
so it has the Hesabu server's origin and submits to `/key/<token>/submission` as Enketo
Express would.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import pytest

HERE = Path(__file__).resolve().parent / "enketo"
SOURCES = ("package.json", "package-lock.json", "entry.js", "config.js")
PAGE_FILES = {"index.html": ("page.html", "text/html"),
              "page.js": ("page.js", "application/javascript")}
#: An Android tablet's Chrome: Enketo then lays the form out for touch (no maps).
ANDROID_CHROME = ("Mozilla/5.0 (Linux; Android 13; SM-T220) AppleWebKit/537.36 "
                  "(KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36")


def _cache_folder() -> Path:
    digest = hashlib.sha256(b"".join((HERE / name).read_bytes() for name in SOURCES))
    return Path(sys.prefix) / "hesabu-cache" / f"enketo-{digest.hexdigest()[:16]}"


def _run(args: list[str], folder: Path, timeout: int) -> None:
    done = subprocess.run(args, cwd=folder, capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        pytest.fail(f"{' '.join(args[:3])}... failed in {folder}:\n{done.stdout[-3000:]}"
                    f"\n{done.stderr[-3000:]}")


def enketo_bundle() -> Path:
    """The bundled enketo.js, built on first use (npm install + esbuild, ~15 s)."""
    folder = _cache_folder()
    bundle = folder / "enketo.js"
    if bundle.exists():
        return bundle
    if shutil.which("npm") is None or shutil.which("node") is None:
        pytest.fail("the Enketo test needs node and npm (apt-get install -y nodejs npm)")
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if bundle.exists():  # another worker built it meanwhile
            return bundle
        for name in SOURCES:
            shutil.copyfile(HERE / name, folder / name)
        # --ignore-scripts: enketo-transformer's optional libxslt (a native Node build
        # that fails on Node 20) is not needed: the page uses the browser build.
        _run(["npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund",
              "--loglevel=error"], folder, timeout=600)
        partial = folder / "enketo.js.part"
        _run(["node", "node_modules/esbuild/bin/esbuild", "entry.js", "--bundle",
              "--format=iife", "--platform=browser", "--minify", "--log-level=warning",
              "--external:libxslt", "--alias:enketo/config=./config.js",
              f"--outfile={partial}"], folder, timeout=300)
        os.replace(partial, bundle)
    return bundle


def serve_page(page: Any, bundle: Path) -> None:
    """Answer `<any host>/__enketo__/<file>` from the test page's files; block every
    request that leaves 127.0.0.1."""
    files = {name: ((HERE / source).read_bytes(), kind)
             for name, (source, kind) in PAGE_FILES.items()}
    files["enketo.js"] = (bundle.read_bytes(), "application/javascript")
    blocked: list[str] = []

    def route(request_route: Any) -> None:
        url = request_route.request.url
        if "/__enketo__/" in url:
            body, kind = files[url.rsplit("/", 1)[-1].split("?")[0]]
            request_route.fulfill(body=body, content_type=kind)
        elif url.startswith("http://127.0.0.1:"):
            request_route.continue_()
        else:
            blocked.append(url)
            request_route.abort()

    page.route("**/*", route)
    page.blocked = blocked


T = TypeVar("T")
CHROMIUM = Path("/usr/bin/chromium")


class BrowserThread:
    """Headless Chromium driven from a thread of its own. Playwright's sync API refuses
    to start where another sync Playwright already runs (tests/web keeps one for the
    whole session, and a pytest worker may run both), but a new thread has no event
    loop: every browser call goes through `call`, in that thread."""

    def __init__(self) -> None:
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="chromium")
        self.browser: Any = None
        self._playwright: Any = None
        self.call(self._start)

    def _start(self) -> None:
        from playwright.sync_api import sync_playwright

        self._playwright = sync_playwright().start()
        self.browser = self._playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"])

    def call(self, job: Callable[..., T], *args: Any) -> T:
        """`job(*args)` in the browser's thread; its result (or its exception)."""
        return self._thread.submit(job, *args).result()

    def close(self) -> None:
        def stop() -> None:
            if self.browser is not None:
                self.browser.close()
            if self._playwright is not None:
                self._playwright.stop()

        try:
            self.call(stop)
        finally:
            self._thread.shutdown(wait=True)
