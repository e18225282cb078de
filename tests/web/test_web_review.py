"""The review-and-fix screen in a real headless Chromium: edit a scene in place, see the
plan and its cost, resume and see only that clip change; redo with direction, compare the takes
side by side and select the older one, and the final changes; a stale edit says "changed
elsewhere"; an axe scan with takes and errors shown.

One complete 2-scene project (local providers, 1 s scenes, 480p) is shared by the module; the
tests run in file order on it, each reading the state it starts from.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path
from typing import Any

import pytest
from web_helpers import Server, Watched, serious

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def project(server: Server) -> str:
    return server.generate("a paper lantern floating down a night river")


def detail(server: Server, project_id: str) -> dict[str, Any]:
    with server.client() as client:
        return client.get(f"/api/projects/{project_id}").json()


def sha(path: str) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def video_calls(document: dict[str, Any]) -> int:
    return sum(1 for a in document["ledger"]["attempts"] if a["role"] == "video")


def clip_files(document: dict[str, Any]) -> dict[int, tuple[str, str, int]]:
    return {
        s["index"]: (s["clip_path"], sha(s["clip_path"]), os.stat(s["clip_path"]).st_ino)
        for s in document["scenes"]
    }


def finish(page: object) -> None:
    """Wait for the run the page follows to end and for the page's last refresh to land (the
    script drops `data-events` after it), so nothing it shows is replaced afterwards."""
    page.wait_for_selector("#stepper .step[data-stage=complete].done", timeout=120_000)  # type: ignore[attr-defined]
    page.wait_for_selector("#live:not([data-events])", timeout=30_000)  # type: ignore[attr-defined]


def test_edit_a_scene_in_place_see_the_plan_resume_and_only_that_clip_changes(
    web: Watched, server: Server, project: str
) -> None:
    before = detail(server, project)
    assert before["status"] == "complete"
    clips = clip_files(before)
    page = web.page
    page.goto(f"/projects/{project}")
    page.click("#review-link")
    page.wait_for_url(re.compile(rf"/projects/{project}/review$"))
    assert "Up to date" in page.locator("#plan-summary").inner_text()
    assert page.locator("#resume").count() == 0  # nothing to resume

    page.evaluate("window.__sameDocument = true")  # gone if anything reloads the page
    page.click("#card-2")  # the timeline opens scene 2's editor in place
    page.fill("#s2-video_motion_prompt", "the camera drifts slowly left along the river")
    page.click("#save-2")
    page.wait_for_selector("#saved-2")
    assert page.evaluate("window.__sameDocument") is True  # saved in place
    assert page.evaluate("document.activeElement.id") == "saved-2"
    # the plan, before anything is paid: clip 2 and the stitch, at the providers' price
    assert page.locator("#plan-clips").inner_text() == "1 clip (scene 2)"
    assert (
        "would make 1 clip (scene 2) and the stitch, for $0"
        in page.locator("#planbar").inner_text()
    )
    assert page.locator("#plan-cost").inner_text() == "$0"
    assert page.locator("#scene-2 .badge.stale").count() == 1
    assert page.locator("#scene-1 .badge.stale").count() == 0
    with server.client() as client:
        plan = client.get(f"/api/projects/{project}/plan").json()
    assert plan["clips"] == [2] and plan["keyframes"] == [] and plan["stitch"]
    assert plan["provider_calls"] == {"storyboard": 0, "image": 0, "video": 1}
    assert page.locator("#resume").inner_text() == "Resume · $0"

    page.click("#resume")
    page.wait_for_url(re.compile(rf"/projects/{project}/review\?scene=2$"))  # scene 2 stays open
    finish(page)
    page.wait_for_selector("#plan-summary:has-text('Up to date')")
    after = detail(server, project)
    assert after["status"] == "complete"
    assert video_calls(after) == video_calls(before) + 1  # exactly one clip was made
    now = clip_files(after)
    assert now[0] == clips[0]  # scene 1's clip: same file, same bytes, same inode
    assert now[1][0] != clips[1][0] and now[1][1] != clips[1][1]  # scene 2's: a new take
    assert Path(clips[1][0]).is_file()  # the old take is kept
    assert after["scenes"][1]["clip_take"] == 2 and after["scenes"][0]["clip_take"] == 1
    assert page.locator("#scene-2 .takes .take").count() == 2
    assert page.locator("#scene-1 .takes .take").count() == 1
    web.check()


def test_redo_with_direction_then_select_the_older_take_and_the_final_changes(
    web: Watched, server: Server, project: str
) -> None:
    first = detail(server, project)
    original = first["scenes"][0]["clip_path"]
    page = web.page
    page.goto(f"/projects/{project}/review")
    page.select_option("#s1-target", "clip")
    page.fill("#s1-direction", "faster, the lantern spins")
    page.click("#redo-1")
    page.wait_for_url(re.compile(rf"/projects/{project}/review\?redone=1"))
    finish(page)
    page.wait_for_selector("#scene-1 .takes .take >> nth=1")
    redone = detail(server, project)
    assert redone["status"] == "complete" and redone["scenes"][0]["clip_take"] == 2
    assert video_calls(redone) == video_calls(first) + 1
    final = sha(redone["output_path"])

    # the takes side by side, each with its fidelity score; the new one in use
    takes = page.locator("#scene-1 .takes .take")
    boxes = [takes.nth(i).bounding_box() for i in range(2)]
    assert boxes[0]["y"] == boxes[1]["y"] and boxes[0]["x"] < boxes[1]["x"]
    for i in range(2):
        assert re.search(r"fidelity \d+\.\d dB", takes.nth(i).inner_text())
    assert "faster, the lantern spins" in takes.nth(1).inner_text()
    assert "In use" in takes.nth(1).inner_text()
    for video in page.locator("#scene-1 .takes video").all():  # each take plays on its own
        video.evaluate("v => { v.muted = true; return v.play(); }")
    found = serious(page)
    page.emulate_media(color_scheme="dark")
    found += serious(page)
    assert found == []

    final_src = page.locator("#final").get_attribute("src")
    page.click("#take-1-1 button:has-text('Use this take')")
    page.wait_for_selector("#scene-1 .take.selected:has-text('Take 1')")
    # in place, and the focus is on what it did
    message = page.locator("#selected-1")
    assert page.evaluate("document.activeElement.id") == "selected-1"
    assert "Take 1 is now in use for scene 1" in message.inner_text()
    assert "re-stitched" in message.inner_text()
    # the page asks for the new final, not the one the browser has cached
    assert page.locator("#final").get_attribute("src") != final_src
    selected = detail(server, project)
    scene = selected["scenes"][0]
    assert scene["clip_take"] == 1 and scene["clip_path"] == original
    assert selected["status"] == "complete" and selected["plan"]["items"] == []
    assert video_calls(selected) == video_calls(redone)  # nothing generated, only re-stitched
    assert sha(selected["output_path"]) != final  # the final changed with the take
    web.check()


def test_a_stale_edit_says_changed_elsewhere_and_keeps_what_was_typed(
    web: Watched, server: Server, project: str
) -> None:
    page = web.page
    page.goto(f"/projects/{project}/review")
    elsewhere = "a lantern drifting past a sleeping town"
    with server.client() as client:  # someone else edits while the page is open
        etag = client.get(f"/api/projects/{project}/storyboard").headers["etag"]
        response = client.patch(
            f"/api/projects/{project}/scenes/1",
            json={"scene_description": elsewhere},
            headers={"If-Match": etag},
        )
        assert response.status_code == 200, response.text
    page.fill("#s1-scene_description", "my own words")
    page.click("#save-1")
    problem = page.locator("#problem-1")
    problem.wait_for()
    assert "changed elsewhere" in problem.inner_text() and "Reload" in problem.inner_text()
    assert page.evaluate("document.activeElement.id") == "problem-1"
    assert page.locator("#s1-scene_description").input_value() == "my own words"  # kept
    with server.client() as client:  # and not saved
        scenes = client.get(f"/api/projects/{project}/storyboard").json()["scenes"]
    assert scenes[0]["scene_description"] == elsewhere

    problem.locator("a").click()  # reload: the current texts
    page.wait_for_selector("#problem-1", state="detached")
    assert page.locator("#s1-scene_description").input_value() == elsewhere
    # a field error is shown next to the field, and nothing is written
    page.click("#card-2")
    page.fill("#s2-video_motion_prompt", "")
    page.click("#save-2")
    error = page.locator("#err-s2-video_motion_prompt")
    error.wait_for()
    assert "at least 1 character" in error.inner_text()
    assert page.locator("#s2-video_motion_prompt").get_attribute("aria-invalid") == "true"
    assert serious(page) == []
    with server.client() as client:
        after = client.get(f"/api/projects/{project}/storyboard")
    assert after.headers["etag"] != etag and after.json()["scenes"][1]["video_motion_prompt"]
    web.check(expected_status=(412, 422))  # the refusals themselves, and nothing else
