"""Takes side by side labelled with the prompt that made them, in a real headless Chromium: after
a motion-prompt edit and a resume, and the first take selected again, the second take shows its
motion prompt and the words it adds as <ins> against the take in use (escaped: a prompt with
markup stays text); no "not stored" caveat when every take knows its prompt; axe in light and
dark."""

from __future__ import annotations

import pytest
from web_helpers import Server, Watched, serious

pytestmark = pytest.mark.slow

ADDED = 'while red kites climb <img src=x onerror="window.pwned=1">'


def test_each_take_shows_its_prompt_and_the_words_it_adds(web: Watched, server: Server) -> None:
    project = server.generate("a fox in snow", scenes=1)
    with server.client() as client:
        base = f"/api/projects/{project}"
        got = client.get(f"{base}/storyboard")
        first = got.json()["scenes"][0]["video_motion_prompt"]
        edited = client.patch(
            f"{base}/scenes/1",
            json={"video_motion_prompt": f"{first} {ADDED}"},
            headers={"If-Match": got.headers["etag"]},
        )
        assert edited.status_code == 200, edited.text
        assert client.post(f"{base}/resume").status_code == 202
        assert server.wait_idle(project)["status"] == "complete"
        selected = client.post(f"{base}/scenes/1/takes/1/select")
        assert selected.status_code == 200, selected.text

    page = web.page
    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto(f"/projects/{project}/review")
    older, newer = page.locator("#take-1-1"), page.locator("#take-1-2")
    assert older.locator(".badge", has_text="In use").count() == 1
    assert f"Motion prompt: “{first}" in older.inner_text()
    assert older.locator(".prompt-diff").count() == 0  # the take in use is the reference
    assert "Motion prompt: “" in newer.inner_text() and "window.pwned" in newer.inner_text()
    inserted = newer.locator(".prompt-diff ins")
    assert inserted.count() == 1
    assert inserted.inner_text().endswith(ADDED)  # after "added: " for screen readers
    assert newer.locator(".prompt-diff del").count() == 0
    assert newer.locator("img").count() == 0  # the markup in the prompt stayed text
    assert page.evaluate("window.pwned === undefined")
    assert "not stored" not in page.locator("#scene-1").inner_text()
    assert "not recorded" not in page.locator("#scene-1").inner_text()

    # the page budget: the screen's HTML, stylesheet and script together stay under 150 KB
    with server.client() as client:
        sizes = [
            len(client.get(path).content)
            for path in (f"/projects/{project}/review", "/static/app.css", "/static/app.js")
        ]
    print("review screen bytes (html, css, js):", sizes)
    assert sum(sizes) <= 150 * 1024, sizes

    found = serious(page)
    page.emulate_media(color_scheme="dark")
    found += serious(page)
    assert found == []
    web.check()
