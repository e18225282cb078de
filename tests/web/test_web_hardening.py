"""The server's hardening in a real browser: a DNS-rebinding page cannot read or start anything,
/docs renders offline from the server's own files, a session ends at Lock (its cookie replays
as nothing) and a new login is a new session, and the page's forms refuse lenient numbers."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from web_helpers import (
    CHROMIUM,
    CHROMIUM_ARGS,
    TOKEN,
    Server,
    Watched,
    wait_js,
)

pytestmark = pytest.mark.slow

ATTACKER = """<!doctype html><title>cute cats</title><script>
window.results = {};
fetch('/api/projects').then(r => { window.results.list = r.status; })
  .catch(() => { window.results.list = 'error'; });
fetch('/api/generate', {method: 'POST', headers: {'Content-Type': 'application/json'},
  body: JSON.stringify({prompt: 'rebound', scenes: 1, clip_duration: 1})})
  .then(r => { window.results.generate = r.status; })
  .catch(() => { window.results.generate = 'error'; });
</script>"""


def test_a_rebinding_page_reads_and_starts_nothing(browser: object, server: Server) -> None:
    """evil.example resolves to 127.0.0.1 (host-resolver rules): its page (served by the
    attacker, here fulfilled by the test) runs same-origin scripts against the server's port.
    A Chromium of its own (the flags are the browser's), from the shared one's Playwright."""
    port = urlsplit(server.base).port
    evil = f"http://evil.example:{port}"
    before = server.count_projects()
    rules = "--host-resolver-rules=MAP evil.example 127.0.0.1"
    # the attacker's page is "public" (fulfilled here, not loaded from 127.0.0.1); Chromium's
    # private-network checks would stop its requests before they are sent, hiding whether the
    # server itself refuses them. Off, as in browsers without them.
    private_network = (
        "--disable-features=PrivateNetworkAccessSendPreflights,"
        "PrivateNetworkAccessRespectPreflightResults,BlockInsecurePrivateNetworkRequests,"
        "LocalNetworkAccessChecks"
    )
    rebinding = browser.browser_type.launch(  # type: ignore[attr-defined]
        executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, rules, private_network]
    )
    try:
        page = rebinding.new_page()
        page.route(
            f"{evil}/",
            lambda route: route.fulfill(status=200, content_type="text/html", body=ATTACKER),
        )
        page.goto(f"{evil}/")
        results = wait_js(
            page, "() => window.results.list && window.results.generate && window.results"
        )
        # what the rebound name reaches is this server, which refuses a foreign Host
        assert results == {"list": 400, "generate": 400}, results
        # the server itself, under its own name, still answers
        assert page.request.get(f"{server.base}/api/health").status == 200
    finally:
        rebinding.close()
    assert server.count_projects() == before


def test_docs_render_offline_from_the_servers_own_files(web: Watched) -> None:
    page = web.page
    page.goto("/docs")
    page.wait_for_selector(".swagger-ui .info .title")
    assert "vidpipe" in page.locator(".swagger-ui .info .title").inner_text()
    wait_js(page, "() => document.querySelectorAll('.opblock').length > 20")
    assert any("/docs-static/swagger-ui-bundle.js" in url for url in web.requests)
    web.check()  # nothing was asked of any other host (no CDN)


def test_lock_ends_the_session_and_each_login_is_a_new_one(
    locked_web: Watched, locked_server: Server
) -> None:
    page = locked_web.page

    def log_in() -> str:
        page.goto("/login?next=/")
        page.fill("#token", TOKEN)
        page.click("button[type=submit]")
        page.wait_for_url(re.compile(r"/$"))
        return {c["name"]: c for c in page.context.cookies()}["vidpipe_session"]["value"]

    first = log_in()
    page.click("button:has-text('Lock')")
    page.wait_for_url(re.compile("/login"))
    second = log_in()
    assert second != first
    # the first session's cookie, replayed after Lock, opens nothing
    replay = page.request.get("/api/projects", headers={"Cookie": f"vidpipe_session={first}"})
    assert replay.status == 401
    page.click("button:has-text('Lock')")
    page.wait_for_url(re.compile("/login"))
    replay = page.request.get("/api/projects", headers={"Cookie": f"vidpipe_session={second}"})
    assert replay.status == 401
    locked_web.check(expected_status=401)


def test_the_new_video_form_refuses_a_number_that_is_not_plain_decimal(
    web: Watched, server: Server
) -> None:
    before = server.count_projects()
    page = web.page
    page.goto("/new")
    page.fill("#prompt", "a fox in the snow")
    # what a script could send: the same form with the field's value replaced
    page.evaluate(
        """() => { const form = document.getElementById('generate');
                   document.getElementById('clip_duration').removeAttribute('name');
                   const sent = document.createElement('input');
                   sent.type = 'hidden'; sent.name = 'clip_duration'; sent.value = '1_0';
                   form.appendChild(sent); }"""
    )
    with page.expect_navigation():
        page.evaluate("() => document.getElementById('generate').submit()")
    error = page.locator("#err-clip_duration")
    assert error.is_visible() and error.inner_text().strip(), page.content()[:2000]
    assert server.count_projects() == before
    web.check(expected_status=422)
