"""Helpers for browser tests: Debian's headless Chromium through Playwright, a local static server, and
a guard that blocks every request leaving 127.0.0.1 and records console errors.

Use from a test module (the fixtures are picked up when imported by name):

    from browser import chromium, open_page, serve  # noqa: F401

    def test_x(open_page, tmp_path):
        with serve(site_folder) as base:
            page, guard = open_page(base + "index.html", viewport=(390, 844))
            wait_ready(page)
            ...
            guard.assert_clean()
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
TILE_HOSTS = ("cyberjapandata.gsi.go.jp", "tile.openstreetmap.org")
LOCAL_HOSTS = ("127.0.0.1",)


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-store")
        super().end_headers()


@contextmanager
def serve(folder: Path | str) -> Iterator[str]:
    """Serve `folder` on 127.0.0.1 (a free port) in a thread; yields the base URL, ending in '/'."""
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="site-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@dataclass
class Guard:
    """What a page did that a test may object to."""

    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    offsite: list[str] = field(default_factory=list)  # requests to hosts other than 127.0.0.1 and tiles
    tiles: list[str] = field(default_factory=list)  # tile requests (aborted: the page must work without)
    failed: list[str] = field(default_factory=list)  # same-origin responses >= 400

    def route(self, route, request) -> None:
        host = urlsplit(request.url).hostname or ""
        if request.url.startswith(("data:", "blob:")) or host in LOCAL_HOSTS:
            route.continue_()
            return
        (self.tiles if host in TILE_HOSTS else self.offsite).append(request.url)
        route.abort()

    def on_console(self, msg) -> None:
        if msg.type != "error":
            return
        url = (msg.location or {}).get("url", "")
        if "Failed to load resource" in msg.text and (urlsplit(url).hostname or "") in TILE_HOSTS:
            return  # an aborted tile: expected, the page must not depend on it
        self.console_errors.append(f"{msg.text} ({url})")

    def on_response(self, response) -> None:
        if response.status >= 400 and (urlsplit(response.url).hostname or "") in LOCAL_HOSTS:
            self.failed.append(f"{response.status} {response.url}")

    def assert_clean(self) -> None:
        problems = {
            "console errors": self.console_errors,
            "page errors": self.page_errors,
            "requests leaving 127.0.0.1 (not tiles)": self.offsite,
            "failed same-origin requests": self.failed,
        }
        bad = {k: v for k, v in problems.items() if v}
        assert not bad, bad


@pytest.fixture(scope="session")
def chromium():
    """One headless Chromium for the session (Debian's package; never `playwright install`)."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium package (apt-get install chromium)")
    pw = sync_playwright().start()
    browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
    try:
        yield browser
    finally:
        browser.close()
        pw.stop()


@pytest.fixture
def open_page(chromium) -> Iterator[Callable]:
    """open_page(url, viewport=(w, h), large_text=False) -> (page, guard): a fresh context per page, network
    guarded; large_text opens it with 大きな文字 already switched on."""
    contexts = []

    def _open(url: str, viewport: tuple[int, int] = (1280, 800), large_text: bool = False):
        ctx = chromium.new_context(
            viewport={"width": viewport[0], "height": viewport[1]},
            locale="ja-JP",
            service_workers="block",
            device_scale_factor=1,
        )
        contexts.append(ctx)
        if large_text:  # as a reader who switched on 大きな文字 earlier (remembered by the browser)
            ctx.add_init_script("window.localStorage.setItem('takara.largeText', '1')")
        guard = Guard()
        ctx.route("**/*", guard.route)
        page = ctx.new_page()
        page.on("console", guard.on_console)
        page.on("pageerror", lambda exc: guard.page_errors.append(str(exc)))
        page.on("response", guard.on_response)
        page.goto(url, wait_until="load")
        return page, guard

    yield _open
    for ctx in contexts:
        ctx.close()


def wait_ready(page, timeout_ms: int = 15000) -> None:
    """Wait until takara.js has drawn the map (window.takara.loaded), and fail if it reported an error."""
    # A function, not an expression: Playwright would eval() an expression, which the CSP forbids.
    page.wait_for_function("() => window.takara && window.takara.loaded === true", timeout=timeout_ms)
    error = page.evaluate("window.takara.error || null")
    assert error is None, f"the map failed to load: {error}"
