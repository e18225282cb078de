"""An axe-core scan of every screen, in light and dark: no serious or critical violations."""

from __future__ import annotations

import pytest
from web_helpers import Server, Watched, serious

pytestmark = pytest.mark.slow

pytest.importorskip("axe_playwright_python.sync_playwright")


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_no_serious_or_critical_violations_on_any_screen(
    web: Watched, server: Server, complete_project: str, scheme: str
) -> None:
    page = web.page
    page.emulate_media(color_scheme=scheme)
    found = {}
    project = f"/projects/{complete_project}"
    for path in ("/", "/new", project, f"{project}/review", "/?status=failed"):
        page.goto(path)
        page.wait_for_load_state("networkidle")
        found[path] = serious(page)
    # the form with its errors shown
    page.goto("/new")
    page.fill("#prompt", "   ")
    page.click("button[type=submit]")
    page.wait_for_selector("#err-prompt:not([hidden])")
    found["/new (errors)"] = serious(page)
    assert found == dict.fromkeys(found, []), found
    web.check(expected_status=422)


def test_the_login_screen_has_no_serious_violations(
    locked_web: Watched, locked_server: Server
) -> None:
    page = locked_web.page
    page.goto("/login")
    assert serious(page) == []
    locked_web.check()
