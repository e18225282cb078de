"""The token and CSRF in a real browser: locked without the token, asked once, kept in an
HttpOnly SameSite=Strict cookie; writes without the page's CSRF token are refused."""

from __future__ import annotations

import re

import pytest
from web_helpers import TOKEN, Server, Watched, wait_js

pytestmark = pytest.mark.slow


def test_locked_without_the_token_then_asked_once_and_kept_in_a_strict_cookie(
    locked_web: Watched, locked_server: Server
) -> None:
    project_id = locked_server.generate("a windmill at sunset")
    page = locked_web.page
    # nothing is served without the token: pages go to /login, data and files are 401
    for path in ("/", "/new", f"/projects/{project_id}"):
        page.goto(path)
        assert re.search(r"/login\?next=", page.url), path
        assert page.locator("h1").inner_text() == "Unlock vidpipe"
        assert "windmill" not in page.content()
    for path in (
        "/api/projects",
        f"/api/projects/{project_id}",
        f"/api/projects/{project_id}/download",
        f"/api/projects/{project_id}/keyframes/1/start",
        f"/api/projects/{project_id}/clips/1",
        f"/api/projects/{project_id}/events",
        "/api/estimate",
    ):
        response = page.request.get(path)
        assert response.status == 401, path
    # a wrong token is refused on the form, next to the field
    page.goto(f"/projects/{project_id}")
    page.fill("#token", "not-the-token")
    page.click("button[type=submit]")
    assert "not the server's token" in page.locator("#token-error").inner_text()
    assert page.locator("#token").get_attribute("aria-invalid") == "true"
    # the right one: back where we were going, and the cookie keeps it
    page.fill("#token", TOKEN)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(f"/projects/{project_id}$"))
    assert "windmill" in page.locator("h1").inner_text()
    cookies = {c["name"]: c for c in page.context.cookies()}
    session = cookies["vidpipe_session"]
    assert session["httpOnly"] and session["sameSite"] == "Strict"
    assert TOKEN not in session["value"]
    assert cookies["vidpipe_csrf"]["httpOnly"] and cookies["vidpipe_csrf"]["sameSite"] == "Strict"
    assert page.evaluate("document.cookie") == ""  # no script can read either
    # images, clips and the final video now load with the cookie alone
    wait_js(
        page, "() => [...document.querySelectorAll('.chain img')].every(i => i.naturalWidth > 0)"
    )
    page.locator("video#final").evaluate("v => { v.muted = true; return v.play(); }")
    wait_js(page, "() => document.getElementById('final').readyState >= 2")
    page.goto("/")
    assert page.locator(".cards .card").count() >= 1
    # Lock forgets it
    page.click("button:has-text('Lock')")
    page.wait_for_url(re.compile("/login"))
    page.goto("/")
    assert "/login" in page.url
    locked_web.check(expected_status=401)  # the refused requests above, and nothing else


def test_a_write_without_the_csrf_token_is_refused_and_does_nothing(
    web: Watched, server: Server, complete_project: str
) -> None:
    page = web.page
    page.goto(f"/projects/{complete_project}")
    runs_before = page.locator("table.runs tbody tr").count()
    # a script on the page that leaves the token out: the cookie alone is not enough
    for path, body in (
        (f"/api/projects/{complete_project}/stitch", '{"crossfade": 0.25}'),
        ("/api/generate", '{"prompt": "sneaky", "scenes": 1, "clip_duration": 1}'),
    ):
        status = page.evaluate(
            """([path, body]) => fetch(path, {method: 'POST', body,
                 headers: {'Content-Type': 'application/json'}}).then(r => r.status)""",
            [path, body],
        )
        assert status == 403, path
    # the form with its hidden token removed (a forged form looks like this)
    page.locator("form.restitch input[name=csrf_token]").evaluate("e => e.remove()")
    page.fill("#crossfade", "0.25")
    page.click("#restitch")
    page.wait_for_load_state()
    assert "CSRF" in page.content()
    # with the token, the page's own form works
    page.goto(f"/projects/{complete_project}")
    page.fill("#crossfade", "0.25")
    page.click("#restitch")
    page.wait_for_url(re.compile(f"/projects/{complete_project}$"))
    assert page.locator("table.runs tbody tr").count() == runs_before + 1
    assert page.locator("#crossfade").input_value() == "0.25"
    web.check(expected_status=403)
