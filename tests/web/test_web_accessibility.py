"""An axe-core scan of every screen, in light and dark: no serious or critical violations."""

from __future__ import annotations

import pytest
from web_helpers import Server, Watched, serious

pytestmark = pytest.mark.slow

pytest.importorskip("axe_playwright_python.sync_playwright")


def test_no_serious_or_critical_violations_on_any_screen(
    web: Watched, server: Server, complete_project: str
) -> None:
    """Each screen is loaded once and scanned in light, then in dark: the schemes differ only
    in the stylesheet's colour media query, which switches in place."""
    page = web.page
    found = {}

    def scan(name: str) -> None:
        for scheme in ("light", "dark"):
            page.emulate_media(color_scheme=scheme)
            found[f"{name} ({scheme})"] = serious(page)

    project = f"/projects/{complete_project}"
    for path in ("/", "/new", project, f"{project}/review", "/?status=failed"):
        page.emulate_media(color_scheme="light")
        page.goto(path)
        page.wait_for_load_state("networkidle")
        scan(path)
    # the form with its errors shown
    page.emulate_media(color_scheme="light")
    page.goto("/new")
    page.fill("#prompt", "   ")
    page.click("button[type=submit]")
    page.wait_for_selector("#err-prompt:not([hidden])")
    scan("/new (errors)")
    assert found == dict.fromkeys(found, []), found
    web.check(expected_status=422)


def test_the_login_screen_has_no_serious_violations(
    locked_web: Watched, locked_server: Server
) -> None:
    page = locked_web.page
    page.goto("/login")
    assert serious(page) == []
    locked_web.check()
