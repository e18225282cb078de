"""The resting statuses in a real headless Chromium: a project edited since it was made is "out
of date" (badge, list, "Resume to update" instead of a live stepper), and a run stopped from the
page is "stopped" in a neutral colour, with no error, no class name and no ETA left behind."""

from __future__ import annotations

import re

import pytest
from processes import wait_for
from web_helpers import Server, Watched

pytestmark = pytest.mark.slow

RED = "rgb(251, 227, 228)"  # --bad-bg, the error's colour (light scheme)


def test_an_edited_idle_project_is_out_of_date_and_says_resume_to_update(
    web: Watched, server: Server
) -> None:
    project = server.generate("a windmill turning over a tulip field")
    with server.client() as client:
        etag = client.get(f"/api/projects/{project}/storyboard").headers["etag"]
        edited = client.patch(
            f"/api/projects/{project}/scenes/2",
            json={"video_motion_prompt": "the blades slow down and stop"},
            headers={"If-Match": etag},
        )
        assert edited.status_code == 200, edited.text
    page = web.page
    page.goto(f"/projects/{project}")
    badge = page.locator("#status-badge")
    assert badge.inner_text().lower() == "out of date"
    assert page.locator("#stepper").count() == 0  # nothing runs: no live stepper
    line = page.locator("#out-of-date").inner_text()
    assert "Resume to update" in line and "clips stage" in line
    assert page.locator("#resume").inner_text() == "Resume to update"
    assert page.locator("#live[data-events]").count() == 0
    page.goto("/")
    listed = page.locator(f"a[href='/projects/{project}'] .badge").first
    assert listed.inner_text().lower() == "out of date"
    web.check()


def test_a_stop_from_the_page_is_stopped_in_a_neutral_colour_without_an_error(
    web: Watched, server: Server
) -> None:
    with server.client() as client:
        body = {"prompt": "a slow river at dusk", "scenes": 4, "clip_duration": 3}
        answer = client.post("/api/generate", json={**body, "resolution": "480p"})
        project = answer.json()["project_id"]

        def running() -> bool:
            document = client.get(f"/api/projects/{project}/status").json()
            return document["running"] and document["status"] != "pending"

        wait_for(running, timeout=60, every=0.05)
    page = web.page
    page.goto(f"/projects/{project}")
    page.click("#stop")
    page.wait_for_url(re.compile(rf"/projects/{project}$"))
    page.wait_for_selector("#status-badge.s-stopped", timeout=60_000)
    page.wait_for_selector("#live:not([data-events])", timeout=30_000)
    assert page.locator("#status-badge").inner_text().lower() == "stopped"
    colour = page.evaluate(
        "getComputedStyle(document.getElementById('status-badge')).backgroundColor"
    )
    assert colour != RED
    assert page.locator("#problems-title").inner_text() == "Stopped"
    note = page.locator("#status-note").inner_text()
    assert note == "stopped by you; resume it"
    text = page.locator("main").inner_text()
    assert "Error" not in text and "error" not in text.lower().replace("errors", "")
    assert page.locator("#eta").inner_text() == ""
    assert page.locator(".error-text").count() == 0
    assert page.locator("#resume").inner_text() == "Resume"
    web.check()
