"""Helpers and fixtures of the browser tests: real `vidpipe serve` processes on loopback
(local providers), one headless Debian Chromium for the session, driven by Playwright.

Playwright's own browser download cannot work here (and should not: CI installs Debian's
`chromium` with apt-get), so the browser is launched from `executable_path`. Every page a test
opens records its console errors and every request it makes; `Watched.check()` fails a test on a
console error or on a request to anything but the server under test.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from processes import user_env, vidpipe_serve, wait_for

playwright_sync = pytest.importorskip("playwright.sync_api")

CHROMIUM = os.environ.get("VIDPIPE_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TOKEN = "web-test-token-7f3a"
SMALL = {"scenes": 2, "clip_duration": 1, "resolution": "480p"}


@dataclass
class Server:
    base: str
    data_dir: Path
    log: Path
    token: str | None = None

    def client(self) -> httpx.Client:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        return httpx.Client(base_url=self.base, headers=headers, timeout=30)

    def generate(self, prompt: str, **options: object) -> str:
        """A project made through the JSON API, run to completion (for screens that need one)."""
        with self.client() as client:
            response = client.post("/api/generate", json={"prompt": prompt, **SMALL, **options})
            assert response.status_code == 202, response.text
            project_id = response.json()["project_id"]
        self.wait_idle(project_id, timeout=180)
        return project_id

    def wait_idle(self, project_id: str, timeout: float = 120) -> dict[str, Any]:
        """The status document once the project is complete or failed and nothing runs it."""
        with self.client() as client:

            def idle() -> dict[str, Any] | None:
                document = client.get(f"/api/projects/{project_id}/status").json()
                finished = document["status"] in ("complete", "failed")
                return document if finished and not document["running"] else None

            return wait_for(idle, timeout=timeout, every=0.2)

    def count_projects(self) -> int:
        with self.client() as client:
            return client.get("/api/projects", params={"limit": 1}).json()["total"]


def serve(tmp: Path, **env: str) -> Iterator[Server]:
    """`python -m vidpipe serve` on a free loopback port, answering /api/health; SIGTERM after."""
    data_dir, log = tmp / "data", tmp / "server.log"
    with vidpipe_serve(user_env(data_dir, **env), log) as (_, base):
        yield Server(base, data_dir, log, env.get("VIDPIPE_API_TOKEN"))


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """An open server (no token, loopback): the page just works."""
    yield from serve(tmp_path_factory.mktemp("open"))


@pytest.fixture(scope="session")
def locked_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server with VIDPIPE_API_TOKEN set: the page asks for the token once."""
    yield from serve(tmp_path_factory.mktemp("locked"), VIDPIPE_API_TOKEN=TOKEN)


@pytest.fixture(scope="session")
def complete_project(server: Server) -> str:
    """A finished 2-scene project on the open server."""
    return server.generate("a lighthouse on a stormy coast at dawn")


class SharedBrowser:
    """One Chromium for a run of consecutive browser tests, however many modules they span
    (a launch costs about two CPU seconds); each test still gets a fresh context of its own.

    Not a session fixture: Playwright's sync API marks its event loop as running while it is
    open, and pytest-asyncio cannot run an async test beside it. The `browser` fixture closes
    it after a test whose next test on this worker is not a browser test (conftest.py sets
    `keep_open` from pytest's next item), before any wider fixture is torn down: it is open
    only while browser tests run back to back.
    """

    def __init__(self) -> None:
        self._manager: object | None = None
        self._browser: object | None = None
        self.keep_open = False

    def get(self) -> object:
        if self._browser is None:
            if not Path(CHROMIUM).exists():
                if os.environ.get("CI"):
                    pytest.fail(f"no Chromium at {CHROMIUM}: .ci/run installs Debian's `chromium`")
                pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
            assert shutil.which(CHROMIUM) or Path(CHROMIUM).is_file()
            manager = playwright_sync.sync_playwright()
            playwright = manager.__enter__()
            self._manager = manager
            self._browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        return self._browser

    def close(self) -> None:
        browser, manager = self._browser, self._manager
        self._browser = self._manager = None
        try:
            if browser is not None:
                browser.close()  # type: ignore[attr-defined]
        finally:
            if manager is not None:
                manager.__exit__(None, None, None)  # type: ignore[attr-defined]


SHARED_BROWSER = SharedBrowser()


@pytest.fixture
def browser() -> Iterator[object]:
    """The shared Chromium (see `SharedBrowser`); each test makes its own contexts in it."""
    yield SHARED_BROWSER.get()
    if not SHARED_BROWSER.keep_open:
        SHARED_BROWSER.close()


def wait_js(page: object, function: str, arg: object = None, timeout: float = 30) -> object:
    """Poll a JavaScript function until it returns something truthy.

    Not `page.wait_for_function`: before Playwright 1.5x it runs the predicate through `eval` in
    the page, which the page's Content-Security-Policy (no 'unsafe-eval') rightly refuses;
    `evaluate` goes through the DevTools protocol instead.
    """
    return wait_for(lambda: page.evaluate(function, arg), timeout=timeout, every=0.1)  # type: ignore[attr-defined]


@dataclass
class Watched:
    """A page with what it printed to the console and every URL it asked for."""

    page: object
    allowed_origin: str
    console_errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)  # "status URL" of every 4xx/5xx answer

    def check(self, *, expected_status: int | tuple[int, ...] | None = None) -> None:
        """No console error (but the browser's note of an `expected_status` answer, which is
        the point of a test of refusals) and no request beyond the server."""
        expected = (expected_status,) if isinstance(expected_status, int) else expected_status
        notes = [f"the server responded with a status of {code}" for code in expected or ()]
        errors = [e for e in self.console_errors if not any(note in e for note in notes)]
        assert errors == [], (errors, self.refused)
        strangers = [
            url
            for url in self.requests
            if not url.startswith(("data:", "blob:"))
            and f"{urlsplit(url).scheme}://{urlsplit(url).netloc}" != self.allowed_origin
        ]
        assert strangers == [], f"requests leaving {self.allowed_origin}: {strangers}"
        hosts = {urlsplit(url).hostname for url in self.requests if url.startswith("http")}
        assert hosts <= {"127.0.0.1"}, hosts


def watched_page(browser: object, base: str) -> Iterator[Watched]:
    context = browser.new_context(base_url=base)  # type: ignore[attr-defined]
    page = context.new_page()
    page.set_default_timeout(30_000)
    watched = Watched(page, base)
    page.on(
        "console",
        lambda message: (
            watched.console_errors.append(message.text) if message.type == "error" else None
        ),
    )
    page.on("pageerror", lambda error: watched.console_errors.append(f"page error: {error}"))
    page.on("request", lambda request: watched.requests.append(request.url))
    page.on(
        "response",
        lambda response: (
            watched.refused.append(f"{response.status} {response.url}")
            if response.status >= 400
            else None
        ),
    )
    try:
        yield watched
    finally:
        context.close()


@pytest.fixture
def web(browser: object, server: Server) -> Iterator[Watched]:
    """A fresh browser context (no cookies) on the open server."""
    yield from watched_page(browser, server.base)


@pytest.fixture
def locked_web(browser: object, locked_server: Server) -> Iterator[Watched]:
    yield from watched_page(browser, locked_server.base)


def serious(page: object) -> list[str]:
    """An axe-core scan of the page: its serious and critical violations. axe is injected once
    per document (half a megabyte of script to send and parse): a second scan of the same page,
    in the other colour scheme, reuses it."""
    axe_base = pytest.importorskip("axe_playwright_python.base")
    if not page.evaluate("() => typeof window.axe === 'object'"):  # type: ignore[attr-defined]
        page.evaluate(axe_base.AXE_SCRIPT)  # type: ignore[attr-defined]
    response = page.evaluate('axe.run({"resultTypes": ["violations"]})')  # type: ignore[attr-defined]
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
        for v in response["violations"]
        if v["impact"] in ("serious", "critical")
    ]
