"""The review screen's forms in process: each calls what its JSON endpoint calls, so a
refusal has the API's status (403 CSRF, 428/412 If-Match, 422 field, 409 running) shown next to
the form, and writes nothing; what is accepted lands in the rows (fork, re-stitch)."""

from __future__ import annotations

import logging
import re

import httpx
import pytest
from api_helpers import SMALL, Recorder, complete, finished, serving, wait_until

from vidpipe.config import Settings


def csrf_of(page: httpx.Response) -> str:
    match = re.search(r'name="csrf-token" content="([^"]+)"', page.text)
    assert match, page.text[:300]
    return match.group(1)


async def storyboard(client: httpx.AsyncClient, project_id: str) -> tuple[str, dict]:
    got = await client.get(f"/api/projects/{project_id}/storyboard")
    return got.headers["etag"], got.json()


async def test_review_forms_refuse_with_the_apis_status_and_write_nothing_then_fork_and_restitch(
    sqlite_settings: Settings,
) -> None:
    async with serving(sqlite_settings) as (_, client):
        project_id = await complete(client, "a heron at dawn")
        base = f"/projects/{project_id}"
        page = await client.get(f"{base}/review")
        assert page.status_code == 200
        assert "Up to date" in page.text and 'id="s1-start_frame_prompt"' in page.text
        assert 'id="s2-start_frame_prompt"' not in page.text  # scene 2 starts on scene 1's end
        assert f"/api/projects/{project_id}/scenes/2/takes/clip/1/file" in page.text
        assert '<span class="take-model">local:flow</span>' in page.text  # its model
        token = csrf_of(page)
        etag, board = await storyboard(client, project_id)
        version = etag.strip('"')
        edit = f"{base}/scenes/2/edit"
        change = {"video_motion_prompt": "the heron lifts off, slowly", "version": version}

        assert (await client.post(edit, data=change)).status_code == 403  # no CSRF token
        change["csrf_token"] = token
        missing = await client.post(edit, data={**change, "version": ""})
        assert missing.status_code == 428 and "If-Match is required" in missing.text
        stale = await client.post(edit, data={**change, "version": "99"})
        assert stale.status_code == 412 and "changed elsewhere" in stale.text
        assert "the heron lifts off, slowly</textarea>" in stale.text  # what was typed is kept
        blank = await client.post(edit, data={**change, "video_motion_prompt": ""})
        assert blank.status_code == 422
        assert re.search(r'id="err-s2-video_motion_prompt">[^<]*at least 1 character', blank.text)
        spaces = await client.post(edit, data={**change, "video_motion_prompt": "  \r\n "})
        assert spaces.status_code == 422  # spaces alone say nothing either
        assert re.search(r'id="err-s2-video_motion_prompt">[^<]*at least 1 character', spaces.text)
        # a rule below the schema that names its text is shown next to that text too
        speechless = await client.post(edit, data={**change, "dialogue": "nobody says this"})
        assert speechless.status_code == 422
        assert re.search(r'id="err-s2-dialogue">[^<]*write it as', speechless.text)
        assert re.search(r'id="problem-2"[^>]*>Not saved: see the fields below', speechless.text)
        assert "nobody says this</textarea>" in speechless.text  # what was typed is kept
        refused = await client.post(f"{base}/scenes/2/takes/9/select", data={"csrf_token": token})
        assert refused.status_code == 422 and "has no clip take 9" in refused.text
        bad = await client.post(f"{base}/scenes/1/redo", data={"csrf_token": token, "target": "x"})
        assert bad.status_code == 422 and re.search(r'id="problem-1"[^>]*>target: ', bad.text)
        idle = await client.post(f"{base}/stop", data={"csrf_token": token, "screen": "review"})
        assert idle.status_code == 409 and "not running" in idle.text.lower()
        assert await storyboard(client, project_id) == (etag, board)  # nothing written

        # the scene's texts as a fork: the new project has them, the original does not change
        forked = await client.post(edit, data={**change, "mode": "fork"})
        assert forked.status_code == 303
        twin = forked.headers["location"].removeprefix("/projects/")
        assert re.fullmatch(r"[0-9a-f-]{36}", twin) and twin != project_id
        assert await storyboard(client, project_id) == (etag, board)
        assert (await finished(client, twin))["status"] == "complete"
        twin_board = (await storyboard(client, twin))[1]
        assert twin_board["scenes"][1]["video_motion_prompt"] == "the heron lifts off, slowly"
        twin_detail = (await client.get(f"/api/projects/{twin}")).json()
        assert twin_detail["forked_from"] == project_id

        # re-stitch from the slider: back to the review screen; a crossfade too long for the
        # clips is the API's 422, next to the slider
        form = {"csrf_token": token, "screen": "review"}
        too_long = await client.post(f"{base}/stitch", data={**form, "crossfade": "1"})
        assert too_long.status_code == 422 and "Review and fix" in too_long.text
        assert re.search(r'<p class="field-error" id="err-crossfade">[^<]+', too_long.text)
        stitched = await client.post(f"{base}/stitch", data={**form, "crossfade": "0.5"})
        assert stitched.status_code == 303 and stitched.headers["location"] == f"{base}/review"
        detail = (await client.get(f"/api/projects/{project_id}")).json()
        assert detail["crossfade"] == 0.5 and detail["status"] == "complete"

        # saved without script: back to the scene, the storyboard's next version, the plan
        saved = await client.post(edit, data={**change, "mode": "save"})
        assert saved.status_code == 303
        assert saved.headers["location"] == f"{base}/review?saved=2#scene-2"
        assert (await storyboard(client, project_id))[0] == f'"{int(version) + 1}"'
        page = await client.get(saved.headers["location"])
        assert 'id="saved-2"' in page.text
        assert '<span id="plan-clips">1 clip (scene 2)</span> and the stitch' in page.text


async def test_while_a_project_runs_the_review_screen_offers_stop_and_refuses_edits(
    sqlite_settings: Settings,
) -> None:
    from vidpipe.db.models import Scene
    from vidpipe.orchestrator.projects import GenerateOptions, create_project
    from vidpipe.providers.base import SceneSpec, StyleGuide

    held = Recorder(hold=True)
    async with serving(sqlite_settings, execute=held) as (app, client):
        async with app.state.sessions() as session:
            project = await create_project(session, sqlite_settings, GenerateOptions(prompt="x"))
            spec = SceneSpec(
                scene_description="d", start_frame_prompt="s", end_frame_prompt="e",
                video_motion_prompt="m", transition_notes="",
            )  # fmt: skip
            session.add(Scene(project_id=project.id, scene_index=0, **spec.model_dump()))
            project.style_guide = StyleGuide.model_validate(
                {"visual_style": "v", "color_palette": ["#000000"], "camera_style": "c"}
            ).model_dump()
            project.status = "failed"
            await session.commit()
        base = f"/projects/{project.id}"
        token = csrf_of(await client.get(f"{base}/review"))
        resumed = await client.post(
            f"{base}/resume", data={"csrf_token": token, "screen": "review"}
        )
        assert resumed.status_code == 303 and resumed.headers["location"] == f"{base}/review"
        await held.started.wait()
        page = (await client.get(f"{base}/review")).text
        assert 'id="stop"' in page and "<fieldset disabled>" in page
        assert f'data-events="/api/projects/{project.id}/events"' in page
        project_page = (await client.get(base)).text
        assert 'id="stop"' in project_page and 'id="review-link"' in project_page
        edit = {"csrf_token": token, "version": "1", "scene_description": "new"}
        refused = await client.post(f"{base}/scenes/1/edit", data=edit)
        assert refused.status_code == 409 and "already running" in refused.text
        redo = {"csrf_token": token, "target": "clip"}
        assert (await client.post(f"{base}/scenes/1/redo", data=redo)).status_code == 409
        assert (await client.post(f"{base}/fork", data={"csrf_token": token})).status_code == 409
        scenes = (await client.get(f"/api/projects/{project.id}/storyboard")).json()["scenes"]
        assert scenes[0]["scene_description"] == "d"
        held.release()


async def test_stop_from_the_page_stops_the_run_at_its_next_safe_point(
    sqlite_settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="vidpipe")
    async with serving(sqlite_settings) as (_, client):
        body = {"prompt": "a slow river", "scenes": 4, "clip_duration": 3, "resolution": "480p"}
        project_id = (await client.post("/api/generate", json=body)).json()["project_id"]
        base = f"/projects/{project_id}"
        token = csrf_of(await client.get(base))

        async def leased() -> bool:
            document = (await client.get(f"/api/projects/{project_id}/status")).json()
            return document["running"] and document["status"] != "pending"

        await wait_until(leased, timeout=60, every=0.02)
        stopped = await client.post(f"{base}/stop", data={"csrf_token": token})
        assert stopped.status_code == 303 and stopped.headers["location"] == base
        status = await finished(client, project_id)
        # a stop is an outcome: `stopped`, no error, said plainly; INFO in the log, never ERROR
        assert status["status"] == "stopped" and status["error_message"] is None
        assert status["note"] == "stopped by you; resume it"
        assert status["progress"] is None  # no ETA left behind
        stops = [r for r in caplog.records if "stopped by the user" in r.getMessage()]
        assert stops and all(r.levelno == logging.INFO for r in stops)
        assert not [
            r
            for r in caplog.records
            if r.levelno >= logging.WARNING and project_id in r.getMessage()
        ]
        # stopped: the project screen offers Resume, and a second stop says nothing runs it
        page = await client.get(base)
        assert 'id="resume"' in page.text and 'id="stop"' not in page.text
        assert "Stopped by an error" not in page.text and "Error" not in page.text
        assert (
            'class="badge s-stopped"' in page.text and 'class="panel problems resting"' in page.text
        )
        assert 'id="eta" class="muted"></span>' in page.text
        again = await client.post(f"{base}/stop", data={"csrf_token": token})
        assert again.status_code == 409 and 'id="review-link"' in again.text  # the same screen


async def test_every_form_of_the_page_refuses_a_post_without_the_csrf_token(
    sqlite_settings: Settings, recorder: Recorder
) -> None:
    """Enumerated from the page's routers, so a form added later is covered too."""
    from fastapi.routing import APIRoute

    from vidpipe.web import review, routes

    posts = [
        route.path
        for route in (*routes.router.routes, *review.router.routes)
        if isinstance(route, APIRoute) and "POST" in route.methods
    ]
    assert {"/projects/{project_id}/scenes/{scene}/edit", "/projects/{project_id}/stop"} <= set(
        posts
    )
    async with serving(sqlite_settings, execute=recorder) as (_, client):
        await client.get("/")  # the browser has its CSRF cookie, but the form lacks the field
        values = {"project_id": "0b5e8f6a-6f0e-4a55-9a3c-2a7a3cf0e001", "scene": 1, "take": 1}
        for path in posts:
            response = await client.post(path.format(**values), data={"version": "1"})
            assert response.status_code == 403, path
        assert recorder.calls == []


async def test_a_take_refused_for_not_fitting_can_be_kept_anyway_from_the_page(
    sqlite_settings: Settings,
) -> None:
    """The refusal says the take can be kept by forcing it; the page offers exactly that."""
    async with serving(sqlite_settings) as (_, client):
        project_id = await complete(client, "a heron at dawn")
        api = f"/api/projects/{project_id}"
        redo = {"target": "end_frame", "direction": "at dusk"}  # another picture
        redone = await client.post(f"{api}/scenes/1/redo", json=redo)
        assert redone.status_code == 202, redone.text
        assert (await finished(client, project_id))["status"] == "complete"
        assert (await client.get(api)).json()["scenes"][0]["clip_take"] == 2  # from the new frame

        token = csrf_of(await client.get(f"/projects/{project_id}/review"))
        select = f"/projects/{project_id}/scenes/1/takes/1/select"
        refused = await client.post(select, data={"csrf_token": token})
        assert refused.status_code == 422 and "another end frame" in refused.text
        assert 'id="force-1">Keep take 1 anyway' in refused.text
        assert re.search(rf'action="{select}"[^>]*>\s*<input[^>]*csrf_token', refused.text)
        assert (await client.get(api)).json()["scenes"][0]["clip_take"] == 2  # nothing written

        kept = await client.post(select, data={"csrf_token": token, "force": "1"})
        assert kept.status_code == 303, kept.text
        detail = (await client.get(api)).json()
        assert detail["scenes"][0]["clip_take"] == 1 and detail["status"] == "out_of_date"


async def test_a_project_waiting_for_a_run_slot_offers_stop_which_takes_it_out_of_the_queue(
    sqlite_settings: Settings,
) -> None:
    held = Recorder(hold=True)
    capped = sqlite_settings.model_copy(update={"api_max_runs": 1})
    async with serving(capped, execute=held) as (_, client):
        running, waiting = [
            (await client.post("/api/generate", json={"prompt": p, **SMALL})).json()["project_id"]
            for p in ("one", "two")
        ]
        await held.started.wait()
        base = f"/projects/{waiting}"
        review = (await client.get(f"{base}/review")).text
        assert "Queued: it waits for a free run slot" in review and 'id="stop"' in review
        page = await client.get(base)
        assert 'id="stop"' in page.text and "takes it out of the queue" in page.text
        stopped = await client.post(f"{base}/stop", data={"csrf_token": csrf_of(page)})
        assert stopped.status_code == 303 and stopped.headers["location"] == base
        status = (await client.get(f"/api/projects/{waiting}/status")).json()
        assert status["status"] == "stopped" and not status["queued"]
        after = (await client.get(base)).text
        assert 'id="resume"' in after and 'id="stop"' not in after
        held.release()

        async def idle() -> bool:
            return (await client.get("/api/health")).json()["runs_active"] == 0

        await wait_until(idle)
        assert [str(call) for call in held.calls] == [running]  # the stopped one never ran
