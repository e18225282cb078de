"""The review screen's scene timeline and takes comparison in a real headless Chromium: one card
per scene in order with its frames, clip, length, status, take and model, the cut between
cards and the total; cards driven by pointer and keyboard (arrows, Enter, Escape) open the
scene's editor beside the timeline (below it on a phone); the plan bar stays in view; takes
play and scrub together; what a redo made is marked "made in this run" until the next edit;
axe in light and dark.

One complete 3-scene project (local providers, 1 s scenes, 480p) is shared by the module; the
tests run in file order on it.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from processes import wait_for
from web_helpers import Server, Watched, serious, wait_js

pytestmark = pytest.mark.slow

DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}
ALL_IMAGES_DRAWN = (
    "() => [...document.querySelectorAll('#timeline img')]"
    ".every(i => i.complete && i.naturalWidth > 0)"
)


@pytest.fixture(scope="module")
def project(server: Server) -> str:
    return server.generate("a kite festival on a windy beach", scenes=3)


def detail(server: Server, project_id: str) -> dict[str, Any]:
    with server.client() as client:
        return client.get(f"/api/projects/{project_id}").json()


def active(page: object) -> str:
    return page.evaluate("document.activeElement.id")  # type: ignore[attr-defined]


def test_the_timeline_shows_every_scene_and_opens_editors_by_pointer_and_keyboard(
    web: Watched, server: Server, project: str
) -> None:
    page = web.page
    page.set_viewport_size(DESKTOP)
    page.goto(f"/projects/{project}/review")
    cards = page.locator("#timeline .scene-card")
    assert cards.count() == 3
    for number in (1, 2, 3):
        card = page.locator(f"#card-{number}")
        text = card.inner_text()
        assert f"Scene {number}" in text and "1.0 s" in text and "local" in text, text
        assert "take 1" in text and "Complete" in text
        # start frame, the clip's own picture, end frame
        assert card.locator(".tl-media img").count() == 2
        assert card.locator(".tl-media video.tl-clip").count() == 1
    joins = page.locator(".tl-join").all_text_contents()
    assert [" ".join(j.split()) for j in joins] == ["then cut", "then cut"]
    assert re.search(r"3 · 3\.0 s in all", page.locator("#total").inner_text())
    # the later scenes' frames are drawn without scrolling to them
    page.wait_for_load_state("networkidle")
    assert page.evaluate(ALL_IMAGES_DRAWN)

    # one editor open, beside the timeline
    assert page.locator("#scene-1").is_visible() and page.locator("#scene-2").is_hidden()
    card, editor = page.locator("#card-1").bounding_box(), page.locator("#scene-1").bounding_box()
    assert card["x"] + card["width"] <= editor["x"] and editor["y"] < card["y"] + card["height"]

    # pointer: a card opens its scene in place
    page.evaluate("window.__sameDocument = true")
    page.click("#card-3")
    assert page.locator("#scene-3").is_visible() and page.locator("#scene-1").is_hidden()
    assert page.locator("#card-3").get_attribute("aria-current") == "true"
    assert active(page) == "scene-3-title"
    assert page.url.endswith("?scene=3")

    # keyboard: one tab stop, arrows move, Enter opens, Escape comes back to the card
    page.keyboard.press("Escape")
    assert active(page) == "card-3"
    page.keyboard.press("ArrowUp")
    assert active(page) == "card-2"
    page.keyboard.press("ArrowUp")
    page.keyboard.press("ArrowDown")
    assert active(page) == "card-2"
    assert page.locator("#scene-3").is_visible()  # moving is not opening
    page.keyboard.press("Enter")
    assert page.locator("#scene-2").is_visible() and page.locator("#scene-3").is_hidden()
    assert active(page) == "scene-2-title"
    page.keyboard.press("Tab")  # into the editor, and Escape from a field too
    page.focus("#s2-video_motion_prompt")
    page.keyboard.press("Escape")
    assert active(page) == "card-2"
    tab_stops = page.evaluate(
        "[...document.querySelectorAll('.scene-card')].filter(c => c.tabIndex === 0).length"
    )
    assert tab_stops == 1
    assert page.evaluate("window.__sameDocument") is True

    # the plan bar stays in view at the bottom of the page
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    bar = page.locator("#planbar").bounding_box()
    assert bar["y"] >= -1 and bar["y"] < 5
    assert "Up to date" in page.locator("#planbar").inner_text()

    found = serious(page)
    page.emulate_media(color_scheme="dark")
    found += serious(page)
    assert found == []

    # without script, a card is a link the server answers with that scene open
    page.goto(f"/projects/{project}/review?scene=2")
    assert page.locator("#scene-2").is_visible() and page.locator("#scene-1").is_hidden()
    web.check()


def test_on_a_phone_the_editor_is_below_the_timeline(
    web: Watched, server: Server, project: str
) -> None:
    page = web.page
    page.set_viewport_size(PHONE)
    page.goto(f"/projects/{project}/review")
    page.wait_for_load_state("networkidle")
    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")
    page.click("#card-2")
    strip = page.locator("#timeline").bounding_box()
    editor = page.locator("#scene-2").bounding_box()
    assert editor["y"] >= strip["y"] + strip["height"]
    assert serious(page) == []
    web.check()


def test_takes_side_by_side_play_and_scrub_together_and_the_redo_is_marked(
    web: Watched, server: Server, project: str
) -> None:
    with server.client() as client:
        for direction in ("faster, kites climb", "slower, the camera stays low"):
            response = client.post(
                f"/api/projects/{project}/scenes/1/redo",
                json={"target": "clip", "direction": direction},
            )
            assert response.status_code == 202, response.text
            assert server.wait_idle(project)["status"] == "complete"
    page = web.page
    page.set_viewport_size(DESKTOP)
    page.goto(f"/projects/{project}/review")
    # what the last run made: scene 1 only
    assert page.locator("#card-1.is-fresh .badge.fresh").text_content() == "made in this run"
    assert page.locator("#card-2.is-fresh, #card-3.is-fresh").count() == 0

    takes = page.locator("#scene-1 .takes .take")
    assert takes.count() == 3
    boxes = [takes.nth(i).bounding_box() for i in range(3)]
    assert len({round(b["y"]) for b in boxes}) == 1  # one row
    labels = takes.all_inner_texts()
    for number, label in enumerate(labels, start=1):
        assert f"Take {number}" in label and "local" in label and "$0" in label, label
        assert re.search(r"fidelity \d+\.\d dB", label)
    assert "In use" in labels[2] and "slower, the camera stays low" in labels[2]
    assert "a direction; the take in use had none" not in labels[2]
    assert "no direction; the take in use had one" in labels[0]
    assert "another direction than the take in use" in labels[1]

    # one control for all three: no player has its own
    sync = page.locator("#scene-1 .sync")
    assert sync.is_visible()
    assert page.locator("#scene-1 .takes video[controls]").count() == 0
    wait_for(
        lambda: page.evaluate(
            "[...document.querySelectorAll('#scene-1 .takes video')].every(v => v.readyState >= 1)"
        ),
        timeout=30,
        every=0.1,
    )
    page.locator("#scrub-1").evaluate(
        "r => { r.value = '0.6'; r.dispatchEvent(new Event('input', { bubbles: true })); }"
    )
    times = page.evaluate(
        "[...document.querySelectorAll('#scene-1 .takes video')].map(v => v.currentTime)"
    )
    assert max(times) - min(times) <= 0.1 and abs(times[0] - 0.6) <= 0.1, times
    page.locator("#scrub-1").evaluate(
        "r => { r.value = '0'; r.dispatchEvent(new Event('input', { bubbles: true })); }"
    )
    page.click("#scene-1 .sync-play")
    assert page.locator("#scene-1 .sync-play").get_attribute("aria-pressed") == "true"
    wait_js(page, "() => document.querySelector('#scene-1 .takes video').currentTime > 0.1")
    page.click("#scene-1 .sync-play")  # pause all
    times = page.evaluate(
        "[...document.querySelectorAll('#scene-1 .takes video')].map(v => v.currentTime)"
    )
    assert max(times) - min(times) <= 0.1 and times[0] > 0, times
    assert page.evaluate(
        "[...document.querySelectorAll('#scene-1 .takes video')].every(v => v.paused)"
    )

    # an edit ends "made in this run"
    page.click("#card-2")
    page.fill("#s2-video_motion_prompt", "kites tangle above the dunes, the camera rises")
    page.click("#save-2")
    page.wait_for_selector("#saved-2")
    assert page.locator(".scene-card.is-fresh").count() == 0
    # use the first take: in place, the focus on what happened
    page.click("#card-1")
    page.click("#take-1-1 button")
    page.wait_for_selector("#selected-1")
    assert active(page) == "selected-1"
    assert "Take 1 is now in use for scene 1" in page.locator("#selected-1").inner_text()
    assert detail(server, project)["scenes"][0]["clip_take"] == 1
    assert "next resume" in page.locator("#selected-1").inner_text()  # scene 2 is stale now

    found = serious(page)
    page.emulate_media(color_scheme="dark")
    found += serious(page)
    assert found == []
    web.check()
