"""Every screen on a phone (360-430 px wide) in a real headless Chromium: nothing wider than the
screen, stepper labels that do not run into each other, the run history as stacked rows, the
estimate above Generate, and no serious axe finding (the keyframe strip scrolls by keyboard)."""

from __future__ import annotations

import pytest
from web_helpers import Server, Watched, serious

pytestmark = pytest.mark.slow

PHONE = {"width": 390, "height": 844}
FITS = "document.documentElement.scrollWidth <= innerWidth"


def screens(project: str) -> list[str]:
    return ["/", "/new", f"/projects/{project}", f"/projects/{project}/review"]


@pytest.mark.parametrize("width", [360, 390, 430])
def test_no_screen_is_wider_than_a_phone(
    web: Watched, server: Server, complete_project: str, width: int
) -> None:
    page = web.page
    page.set_viewport_size({"width": width, "height": 844})
    wide = {}
    for path in screens(complete_project):
        page.goto(path)
        page.wait_for_load_state("networkidle")
        if not page.evaluate(FITS):
            wide[path] = page.evaluate("[document.documentElement.scrollWidth, innerWidth]")
    assert wide == {}
    web.check()


def test_phone_layout_stepper_tables_estimate_and_axe(
    web: Watched, server: Server, complete_project: str
) -> None:
    page = web.page
    page.set_viewport_size(PHONE)
    page.goto(f"/projects/{complete_project}")
    page.wait_for_load_state("networkidle")
    # the five stage labels sit side by side without touching
    boxes = [b.bounding_box() for b in page.locator("#stepper .label").all()]
    assert len(boxes) == 5 and all(box["width"] > 10 for box in boxes)  # each one shown
    for left, right in zip(boxes, boxes[1:], strict=False):
        assert left["x"] + left["width"] <= right["x"], boxes
    # the run history: one stacked block per run, each cell under the one before
    cells = page.locator("table.runs tbody tr").first.locator("td")
    tops = [cells.nth(i).bounding_box()["y"] for i in range(cells.count())]
    assert tops == sorted(tops) and len(set(tops)) == len(tops)
    assert "Started" in page.locator("table.runs tbody td").first.evaluate(
        "td => getComputedStyle(td, '::before').content"
    )
    # the keyframe strip scrolls sideways and can be reached by keyboard
    strip = page.locator(".chain-scroll")
    assert strip.evaluate("e => e.scrollWidth > e.clientWidth")
    assert strip.get_attribute("tabindex") == "0"
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        assert serious(page) == [], scheme

    page.goto("/new")
    estimate = page.locator("#estimate-title").bounding_box()
    generate = page.locator("#generate-button").bounding_box()
    assert estimate["y"] + estimate["height"] < generate["y"]
    web.check()
