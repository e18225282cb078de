"""Reference images from the page in a real headless Chromium: refused inline
when the file is no image, kept across the form's round trips, generated with (local providers),
then shown on the project screen with the scenes that use them and beside each scene's texts on
the review screen. The screens with references are scanned with axe."""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image
from web_helpers import Server, Watched, serious, wait_js

pytestmark = pytest.mark.slow


def png(colour: str) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (48, 64), colour).save(buffer, format="PNG")
    return buffer.getvalue()


def test_add_references_in_the_form_generate_and_see_where_they_appear(
    web: Watched, server: Server
) -> None:
    page = web.page
    before = server.count_projects()
    page.goto("/new")
    page.fill("#prompt", "Mara rides her bicycle through the rainy city")
    page.fill("#scenes", "2")
    page.fill("#clip_duration", "1")
    page.select_option("#resolution", "480p")
    # a text file named .png: the upload's own 422 message, next to the file field
    page.fill("#references-0-name", "Mara")
    text = {"name": "mara.png", "mimeType": "image/png", "buffer": b"not an image\n" * 20}
    page.set_input_files("#references-0-file", text)
    page.click("#generate-button")
    page.wait_for_selector("#err-references-0-file:not([hidden])")
    error = page.locator("#err-references-0-file").inner_text()
    assert "not a readable PNG, JPEG or WebP image" in error
    assert page.locator("#references-0-file").get_attribute("aria-invalid") == "true"
    assert page.locator("#prompt").input_value().startswith("Mara rides")  # kept
    assert page.locator("#references-0-name").input_value() == "Mara"
    assert server.count_projects() == before
    found = {"/new (reference error)": serious(page)}

    # the real image, and a second reference through "Add another reference image" (no script
    # needed: the server keeps the accepted upload and adds a blank row)
    mara = {"name": "mara.png", "mimeType": "image/png", "buffer": png("red")}
    page.set_input_files("#references-0-file", mara)
    page.fill("#references-0-description", "a red-haired courier")
    page.click("#add-reference")
    page.wait_for_selector("#references-1-name")
    assert "kept: PNG, 48×64 px" in page.locator("label[for=references-0-file]").inner_text()
    assert page.locator("#err-references-0-file").is_hidden()
    page.fill("#references-1-name", "Kite")
    kite = {"name": "kite.webp", "mimeType": "image/png", "buffer": png("blue")}
    page.set_input_files("#references-1-file", kite)
    page.click("#generate-button")
    page.wait_for_url(re.compile(r"/projects/[0-9a-f-]{36}$"))
    page.wait_for_selector("#stepper .step[data-stage=complete].done", timeout=180_000)
    page.wait_for_selector("#status-badge.s-complete")
    # the page's last refresh of its body has landed (the script drops `data-events` after it):
    # nothing read below is replaced afterwards
    page.wait_for_selector("#live:not([data-events])", timeout=30_000)
    project = page.url.rsplit("/", 1)[-1]

    # the project screen: both references, each with the scenes that show it (the local writer
    # puts the one the idea names in every scene, the other in the last)
    page.wait_for_selector(".references li img")
    shown = {text.split()[0]: text for text in page.locator(".references li").all_inner_texts()}
    assert set(shown) == {"Mara", "Kite"}
    assert "a red-haired courier" in shown["Mara"] and "in scenes 1, 2" in shown["Mara"]
    assert "in scene 2" in shown["Kite"] and "courier" not in shown["Kite"]
    page.locator(".references").scroll_into_view_if_needed()  # the images load lazily
    loaded = "s => [...document.querySelectorAll(s)].every(i => i.naturalWidth === 48)"
    wait_js(page, loaded, ".references li img")

    # the review screen: each scene's references beside its texts
    page.goto(f"/projects/{project}/review")
    chips = [page.locator(f"#scene-{n} .reference-chips strong").all_inner_texts() for n in (1, 2)]
    assert [sorted(names) for names in chips] == [["Mara"], ["Kite", "Mara"]]
    page.click("#card-2")  # scene 2 opens beside the timeline
    page.locator("#scene-2 .reference-chips").scroll_into_view_if_needed()
    wait_js(page, loaded, "#scene-2 .reference-chips img")
    found[f"/projects/{project}/review (references)"] = serious(page)
    assert found == dict.fromkeys(found, []), found
    web.check(expected_status=422)
