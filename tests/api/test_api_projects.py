"""The API in process: generate → events → complete → detail, files, resume, re-stitch, list
on SQLite and PostgreSQL, with real (tiny) local runs."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

from api_helpers import SMALL, TINY, Recorder, finished, serving, wait_until

from vidpipe.config import Settings
from vidpipe.media.probe import probe


def sse(text: str) -> list[tuple[str, dict]]:
    """(event, data) pairs of a Server-Sent Events body."""
    events = []
    for block in text.replace("\r\n", "\n").split("\n\n"):
        fields = dict(
            line.split(": ", 1) for line in block.splitlines() if ": " in line and line[0] != ":"
        )
        if "event" in fields:
            events.append((fields["event"], json.loads(fields["data"])))
    return events


async def test_generate_streams_progress_completes_and_serves_everything(
    settings: Settings,
) -> None:
    async with serving(settings) as (_, client):
        accepted = await client.post("/api/generate", json={"prompt": "a fox in snow", **SMALL})
        assert accepted.status_code == 202, accepted.text
        body = accepted.json()
        project_id = body["project_id"]
        assert body["status_url"] == f"/api/projects/{project_id}/status"
        assert body["estimated_cost"] == 0.0

        # the stream follows the run here to its end: status first, progress, then `end`
        stream = await client.get(body["events_url"], timeout=120)
        assert stream.status_code == 200
        assert stream.headers["content-type"].startswith("text/event-stream")
        events = sse(stream.text)
        assert events[0][0] == "status" and events[-1][0] == "end"
        assert events[-1][1]["status"] == "complete"
        progress = [data for name, data in events if name == "progress"]
        assert {"storyboarding", "keyframing", "video_gen", "stitching"} <= {
            p["stage"] for p in progress
        }
        clip_updates = [p for p in progress if p["stage"] == "video_gen" and p["scene"] == 1]
        assert clip_updates and clip_updates[-1]["fraction"] == 1.0
        assert progress[-1]["overall_fraction"] == 1.0 and progress[-1]["eta_seconds"] == 0.0
        assert any(p["eta_seconds"] is not None for p in progress[:-1])

        status = await finished(client, project_id)
        assert status["status"] == "complete" and status["progress"] is None

        detail = (await client.get(f"/api/projects/{project_id}")).json()
        assert detail["status"] == "complete" and detail["error_message"] is None
        assert [s["index"] for s in detail["scenes"]] == [0, 1]
        assert [r["status"] for r in detail["runs"]] == ["complete"]
        attempts = detail["ledger"]["attempts"]  # 1 storyboard, 3 keyframes, 2 clips; all free
        assert sorted(a["step"] for a in attempts) == sorted(
            ["storyboard", "keyframes", "keyframes", "keyframes", "video_gen", "video_gen"]
        )
        assert {a["status"] for a in attempts} == {"ok"} and detail["ledger"]["spent"] == 0
        plan = (await client.get(f"/api/projects/{project_id}/plan")).json()
        assert (plan["items"], plan["stitch"], plan["estimated_cost"]) == ([], False, 0)
        final = Path(detail["output_path"])
        download = await client.get(detail["download_url"])
        assert download.status_code == 200 and download.headers["content-type"] == "video/mp4"
        assert download.content == final.read_bytes()
        part = await client.get(detail["download_url"], headers={"Range": "bytes=0-99"})
        assert part.status_code == 206 and part.content == final.read_bytes()[:100]
        for scene in detail["scenes"]:
            image = await client.get(scene["end_keyframe_url"])
            assert image.headers["content-type"] == "image/png"
            assert image.content == Path(scene["end_keyframe_path"]).read_bytes()
            clip = await client.get(scene["clip_url"])
            assert clip.content == Path(scene["clip_path"]).read_bytes()
        # the inherited start frame of scene 1 is scene 0's end frame (the same file)
        assert (await client.get(detail["scenes"][1]["start_keyframe_url"])).content == (
            await client.get(detail["scenes"][0]["end_keyframe_url"])
        ).content

        # a stream on a finished project: its status, then `end`
        again = sse((await client.get(body["events_url"])).text)
        assert [name for name, _ in again] == ["status", "end"]

        refused = await client.post(f"/api/projects/{project_id}/resume")
        assert refused.status_code == 409 and "complete" in refused.json()["detail"]

        too_long = await client.post(f"/api/projects/{project_id}/stitch", json={"crossfade": 2})
        assert too_long.status_code == 422
        assert too_long.json()["detail"][0]["loc"] == ["body", "crossfade"]
        before = final.stat().st_mtime_ns
        restitched = await client.post(
            f"/api/projects/{project_id}/stitch", json={"crossfade": 0.25}
        )
        assert restitched.status_code == 200, restitched.text
        assert restitched.json()["crossfade"] == 0.25
        assert final.stat().st_mtime_ns != before
        assert abs(probe(final).duration - 1.75) < 0.15  # two 1 s clips, one 0.25 s overlap
        assert (await client.get(detail["download_url"])).content == final.read_bytes()

        listed = (await client.get("/api/projects", params={"status": "complete"})).json()
        assert [p["id"] for p in listed["projects"]] == [project_id] and listed["total"] == 1


async def test_list_is_newest_first_with_limit_offset_and_status_filter(
    sqlite_settings: Settings, recorder: Recorder
) -> None:
    async with serving(sqlite_settings, execute=recorder) as (_, client):
        ids = []
        for n in range(3):
            response = await client.post("/api/generate", json={"prompt": f"p{n}", **TINY})
            ids.append(response.json()["project_id"])
        everything = (await client.get("/api/projects")).json()
        assert [p["id"] for p in everything["projects"]] == ids[::-1]
        assert everything["total"] == 3 and everything["limit"] == 50
        page = (await client.get("/api/projects", params={"limit": 1, "offset": 1})).json()
        assert [p["id"] for p in page["projects"]] == [ids[1]] and page["total"] == 3
        pending = (await client.get("/api/projects", params={"status": "pending"})).json()
        assert pending["total"] == 3
        none = (await client.get("/api/projects", params={"status": "failed"})).json()
        assert none == {"projects": [], "total": 0, "limit": 50, "offset": 0}
        for bad in ({"status": "bogus"}, {"limit": 0}, {"limit": 501}, {"offset": -1}):
            assert (await client.get("/api/projects", params=bad)).status_code == 422


async def test_resume_queues_a_resumable_project_and_refuses_a_running_one(
    sqlite_settings: Settings,
) -> None:
    held = Recorder(hold=True)
    async with serving(sqlite_settings, execute=held) as (app, client):
        project_id = (await client.post("/api/generate", json={"prompt": "x", **TINY})).json()[
            "project_id"
        ]
        await wait_until(held.started.is_set)
        status = (await client.get(f"/api/projects/{project_id}/status")).json()
        assert status["queued"] is False and status["progress"] is not None
        busy = await client.post(f"/api/projects/{project_id}/resume")
        assert busy.status_code == 409 and "already running" in busy.json()["detail"]
        assert busy.json()["detail"].endswith("or stop it first")  # words, not a CLI command
        stitch = await client.post(f"/api/projects/{project_id}/stitch")
        assert stitch.status_code == 409
        held.release()
        await wait_until(lambda: not app.state.runner.is_active(uuid.UUID(project_id)))
        # the stand-in ran nothing, so the project is still pending: resumable
        again = await client.post(f"/api/projects/{project_id}/resume")
        assert again.status_code == 202 and again.json()["project_id"] == project_id
        await wait_until(lambda: len(held.calls) == 2)


async def test_runs_beyond_the_cap_wait_for_a_slot(sqlite_settings: Settings) -> None:
    held = Recorder(hold=True)
    capped = sqlite_settings.model_copy(update={"api_max_runs": 1})
    async with serving(capped, execute=held) as (_, client):
        first, second = [
            (await client.post("/api/generate", json={"prompt": p, **TINY})).json()["project_id"]
            for p in ("one", "two")
        ]
        await wait_until(held.started.is_set)
        assert (await client.get(f"/api/projects/{second}/status")).json()["queued"] is True
        health = (await client.get("/api/health")).json()
        assert (health["runs_active"], health["runs_running"], health["max_runs"]) == (2, 1, 1)
        held.release()
        await wait_until(lambda: len(held.calls) == 2)
        assert [str(c) for c in held.calls] == [first, second]


async def test_unknown_ids_are_404_and_malformed_ids_422(
    sqlite_settings: Settings, recorder: Recorder
) -> None:
    unknown = uuid.uuid4()
    async with serving(sqlite_settings, execute=recorder) as (_, client):
        for method, tail in [
            ("GET", "/status"), ("GET", ""), ("POST", "/resume"), ("POST", "/stitch"),
            ("GET", "/download"), ("GET", "/keyframes/1/start"), ("GET", "/clips/1"),
            ("GET", "/events"),
        ]:  # fmt: skip
            response = await client.request(method, f"/api/projects/{unknown}{tail}")
            assert response.status_code == 404, (method, tail, response.text)
            assert str(unknown) in response.json()["detail"]
            malformed = await client.request(method, f"/api/projects/{str(unknown)[:8]}{tail}")
            assert malformed.status_code == 422
            assert malformed.json()["detail"][0]["loc"] == ["path", "project_id"]
        # the same id in another spelling is the same project
        project_id = (await client.post("/api/generate", json={"prompt": "x", **TINY})).json()[
            "project_id"
        ]
        upper = await client.get(f"/api/projects/{project_id.upper()}/status")
        assert upper.status_code == 200 and upper.json()["id"] == project_id
        dashless = await client.get(f"/api/projects/{uuid.UUID(project_id).hex}/status")
        assert dashless.status_code == 200 and dashless.json()["id"] == project_id


async def test_health(sqlite_settings: Settings, recorder: Recorder) -> None:
    async with serving(sqlite_settings, execute=recorder) as (_, client):
        response = await client.get("/api/health")
        assert response.status_code == 200
        assert response.json()["status"] == "ok"


async def test_openapi_describes_every_endpoint(
    sqlite_settings: Settings, recorder: Recorder
) -> None:
    async with serving(sqlite_settings, execute=recorder) as (_, client):
        schema = (await client.get("/openapi.json")).json()
        docs = await client.get("/docs")
    assert docs.status_code == 200 and "swagger" in docs.text.lower()
    paths = schema["paths"]
    assert set(paths) == {
        "/api/health", "/api/generate", "/api/projects", "/api/projects/{project_id}",
        "/api/projects/{project_id}/status", "/api/projects/{project_id}/resume",
        "/api/projects/{project_id}/stitch", "/api/projects/{project_id}/download",
        "/api/projects/{project_id}/plan",
        "/api/projects/{project_id}/keyframes/{scene}/{position}",
        "/api/projects/{project_id}/clips/{scene}", "/api/projects/{project_id}/events",
        "/api/estimate",
        "/api/projects/{project_id}/storyboard", "/api/projects/{project_id}/scenes/{scene}",
        "/api/projects/{project_id}/scenes/{scene}/redo",
        "/api/projects/{project_id}/scenes/{scene}/takes",
        "/api/projects/{project_id}/scenes/{scene}/takes/{take}/select",
        "/api/projects/{project_id}/scenes/{scene}/takes/{slot}/{take}/file",
        "/api/projects/{project_id}/fork", "/api/projects/{project_id}/stop",
        "/api/references", "/api/projects/{project_id}/references/{name}", "/api/models",
        "/api/music",
        "/api/projects/{project_id}/lines/{scene}/{line}",
        "/api/projects/{project_id}/subtitles.{kind}",
    }  # fmt: skip
    for path, operations in paths.items():
        for operation in operations.values():
            codes = set(operation["responses"])
            if "{project_id}" in path:
                assert {"404", "422"} <= codes, path
            assert "401" not in codes  # no token configured: nothing to declare
    assert paths["/api/generate"]["post"]["responses"]["202"]
    assert set(paths["/api/projects/{project_id}/resume"]["post"]["responses"]) >= {"202", "409"}
    download = paths["/api/projects/{project_id}/download"]["get"]["responses"]
    assert {"200", "206", "416"} <= set(download) and "video/mp4" in download["206"]["content"]
    body = schema["components"]["schemas"]["GenerateRequest"]
    assert set(body["properties"]) == {
        "prompt", "style", "aspect_ratio", "clip_duration", "scenes", "resolution", "crossfade",
        "max_cost", "pause_after", "takes", "references", "subtitles", "loudness",
        "clip_duration_auto", "narration", "dialogue", "storyboard_model", "image_model",
        "video_model", "music",
    }  # fmt: skip


async def test_a_project_run_by_another_process_is_followed_by_polling(
    sqlite_settings: Settings, recorder: Recorder
) -> None:
    """Events of a project this server does not run: status changes read from the database."""
    from vidpipe.db.engine import open_database
    from vidpipe.orchestrator.projects import GenerateOptions, create_project

    async with open_database(sqlite_settings.effective_database_url) as sessions:
        async with sessions() as session:
            project = await create_project(
                session, sqlite_settings, GenerateOptions(prompt="elsewhere", **TINY)
            )
            project.status, project.error_message = "failed", "video_gen failed: Boom: x"
            await session.commit()
    async with serving(sqlite_settings, execute=recorder) as (_, client):
        events = sse((await client.get(f"/api/projects/{project.id}/events")).text)
    assert [name for name, _ in events] == ["status", "end"]
    assert events[-1][1]["error_message"] == "video_gen failed: Boom: x"


async def test_a_review_gate_pauses_and_resume_goes_on(settings: Settings) -> None:
    async with serving(settings) as (_, client):
        body = {"prompt": "a fox in snow", **SMALL, "pause_after": "storyboard"}
        project_id = (await client.post("/api/generate", json=body)).json()["project_id"]
        status = await finished(client, project_id)
        assert status["status"] == "paused"
        detail = (await client.get(f"/api/projects/{project_id}")).json()
        assert detail["paused_before"] == "keyframing"
        assert all(s["end_keyframe_path"] is None for s in detail["scenes"])
        plan = (await client.get(f"/api/projects/{project_id}/plan")).json()
        assert plan["provider_calls"] == {"storyboard": 0, "image": 3, "video": 2}
        assert (await client.post(f"/api/projects/{project_id}/resume")).status_code == 202
        assert (await finished(client, project_id))["status"] == "complete"
