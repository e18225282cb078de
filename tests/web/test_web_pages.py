"""The page in a real headless Chromium: make a video from the form and watch it
finish live, play it, browse the projects, and keep the forms' rules the API's."""

from __future__ import annotations

import re

import pytest
from web_helpers import Server, Watched, wait_js

pytestmark = pytest.mark.slow


def test_generate_from_the_form_and_watch_it_finish_without_a_reload(
    web: Watched, server: Server
) -> None:
    page = web.page
    page.goto("/new")
    assert page.locator("#estimate").inner_text() == "$0"
    page.fill("#prompt", "a paper boat drifting down a rainy street")
    page.fill("#scenes", "2")
    page.fill("#clip_duration", "1")
    page.select_option("#resolution", "480p")
    # the estimate follows the options as they change (local providers are free: the scene count)
    wait_js(
        page, "() => document.getElementById('estimate-detail').textContent.includes('2 scenes')"
    )
    assert page.locator(".providers").inner_text().count("local") == 3
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/projects/[0-9a-f-]{36}$"))
    page.evaluate("window.__sameDocument = true")  # gone if anything reloads the page
    # every stage the stepper marks current: keyframes and clips overlap, and a keyframe's line
    # after a clip's must not move the stepper back to Keyframes (only stage changes move it)
    page.evaluate(
        """() => {
        window.__current = [];
        const note = () => {
          const at = document.querySelector("#stepper .step.current");
          const stage = at ? at.dataset.stage : null;
          if (stage && window.__current.at(-1) !== stage) window.__current.push(stage);
        };
        note();
        new MutationObserver(note).observe(document.getElementById("live"),
          { subtree: true, attributes: true, attributeFilter: ["class"], childList: true });
      }"""
    )
    # the stepper moves through the stages from the event stream, up to `complete`
    page.wait_for_selector("#stepper .step[data-stage=complete].done", timeout=180_000)
    current = page.evaluate("window.__current")  # a late stream replays the opening stages first
    assert "video_gen" in current, current
    assert "keyframing" not in current[current.index("video_gen") :], current
    page.wait_for_selector("#status-badge.s-complete")  # the page body is refreshed in place
    page.wait_for_selector("video#final")
    assert page.evaluate("window.__sameDocument") is True
    assert page.locator("#stepper .step.done").count() == 5
    assert page.locator("#progress").evaluate("p => p.value") == 1
    # the body was refreshed in place: chain of N+1 = 3 frames, 2 clips, the final video, runs
    assert page.locator(".chain .frame img").count() == 3
    assert "End of scene 1 = start of scene 2" in page.locator(".chain").inner_text()
    assert page.locator(".clips video").count() == 2
    assert page.locator("video#final").count() == 1
    assert page.locator("table.runs tbody tr").count() == 1
    assert "Storyboard" in page.locator("table.runs").inner_text()
    web.check()


def test_the_final_video_plays_and_downloads(
    web: Watched, server: Server, complete_project: str
) -> None:
    page = web.page
    page.goto(f"/projects/{complete_project}")
    video = page.locator("video#final")
    video.evaluate("v => { v.muted = true; return v.play(); }")
    wait_js(page, "() => document.getElementById('final').readyState >= 2")
    wait_js(page, "() => document.getElementById('final').currentTime > 0.2")
    assert video.evaluate("v => v.videoWidth") > 0
    link = page.locator("a[download]")
    assert link.get_attribute("href") == f"/api/projects/{complete_project}/download"
    with page.expect_download() as download:
        link.click()
    assert download.value.suggested_filename == f"vidpipe-{complete_project}.mp4"
    # each clip is playable on its own (Range requests, as the final is)
    for clip in page.locator(".clips video").all():
        clip.evaluate("v => { v.muted = true; return v.play(); }")
        wait_js(page, "v => v.readyState >= 2", clip.element_handle())
    web.check()


def test_projects_screen_lists_newest_first_filters_and_pages(
    web: Watched, server: Server, complete_project: str
) -> None:
    page = web.page
    page.goto("/")
    first = page.locator(".cards .card").first
    assert first.locator("img.thumb").count() == 1  # the first keyframe as thumbnail
    wait_js(page, "() => document.querySelector('img.thumb').naturalWidth > 0")
    times = page.locator(".cards time").evaluate_all("ts => ts.map(t => t.dateTime)")
    assert times == sorted(times, reverse=True)
    page.select_option("#status", "failed")  # filtering applies on change
    page.wait_for_url(re.compile(r"status=failed"))
    failed = page.locator(".cards .badge").all_text_contents()
    assert set(failed) <= {"failed"}
    if not failed:
        assert "No projects" in page.locator(".empty-state").inner_text()
    page.select_option("#status", "complete")
    page.wait_for_url(re.compile(r"status=complete"))
    badges = page.locator(".cards .badge").all_text_contents()
    assert badges and set(badges) == {"complete"}
    page.goto("/?limit=1")
    assert page.locator(".cards .card").count() == 1
    assert "Page 1 of" in page.locator(".pager").inner_text()
    page.click("a[rel=next]")
    page.wait_for_url(re.compile(r"page=2"))
    assert page.locator(".cards .card").count() == 1
    web.check()


def test_bad_input_shows_the_field_error_next_to_the_field_and_writes_nothing(
    web: Watched, server: Server
) -> None:
    page = web.page
    before = server.count_projects()
    page.goto("/new")
    # a rule the browser cannot check: crossfade must be shorter than a scene
    page.fill("#prompt", "a fox in the snow")
    page.fill("#clip_duration", "1")
    page.fill("#crossfade", "2")
    # live: the estimate endpoint already names the field
    page.wait_for_selector("#err-crossfade:not([hidden])")
    page.click("button[type=submit]")
    page.wait_for_load_state()
    error = page.locator("#err-crossfade")
    assert "shorter than the clip duration" in error.inner_text()
    assert page.locator("#crossfade").get_attribute("aria-invalid") == "true"
    assert "err-crossfade" in (page.locator("#crossfade").get_attribute("aria-describedby") or "")
    assert page.evaluate("document.activeElement.id") == "crossfade"  # the focus is on it
    # the form keeps what was typed
    assert page.locator("#prompt").input_value() == "a fox in the snow"
    # a blank prompt (spaces pass the browser's `required`) is the API's rule too
    page.fill("#prompt", "   ")
    page.fill("#crossfade", "0")
    page.click("button[type=submit]")
    page.wait_for_selector("#err-prompt:not([hidden])")
    assert "must not be empty" in page.locator("#err-prompt").inner_text()
    assert page.evaluate("document.activeElement.id") == "prompt"  # the first of the errors
    # the provider's capability: seconds per scene beyond what the local provider takes
    page.goto("/new")
    page.fill("#prompt", "a fox in the snow")
    page.locator("#clip_duration").evaluate("e => e.removeAttribute('max')")
    page.fill("#clip_duration", "11")
    page.click("button[type=submit]")
    page.wait_for_selector("#err-clip_duration:not([hidden])")
    assert "takes 1 to 10 seconds" in page.locator("#err-clip_duration").inner_text()
    assert page.evaluate("document.activeElement.id") == "clip_duration"
    assert server.count_projects() == before
    web.check(expected_status=422)  # the refusals themselves, and nothing else


def test_a_failed_project_shows_the_error_and_the_resume_that_fixes_it(
    web: Watched, server: Server, complete_project: str
) -> None:
    """A project stopped before it finished offers Resume; Resume finishes it live. The shared
    finished project is made to fail at its stitch and is complete again at the end (the other
    tests that read it find it as before, with one more run)."""
    import sqlite3

    project_id = complete_project
    with sqlite3.connect(server.data_dir / "vidpipe.db") as db:
        db.execute(
            "UPDATE projects SET status='failed', output_path=NULL, "
            "error_message='stitch failed: disk full' WHERE id=?",
            (project_id.replace("-", ""),),
        )
    page = web.page
    page.goto(f"/projects/{project_id}")
    problems = page.locator(".problems")
    assert "disk full" in problems.inner_text()
    assert page.locator("#stepper .step[data-stage=stitching]").get_attribute("class") == (
        "step failed"
    )
    page.click("#resume")
    page.wait_for_selector("#stepper .step[data-stage=complete].done", timeout=120_000)
    # the stepper moves on the `status` event; the body's refresh lands a moment later
    page.wait_for_selector(".problems", state="detached", timeout=30_000)
    with server.client() as client:
        document = client.get(f"/api/projects/{project_id}").json()
    assert document["status"] == "complete" and document["output_path"], document["status"]
    web.check()
