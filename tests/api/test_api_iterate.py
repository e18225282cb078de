"""Iterating over HTTP: storyboard ETag/If-Match (412, 428), 409 while running, a scene
edit → plan → resume that remakes exactly that clip, takes + select, redo, fork, stop — real local
runs in process, asserted on the served documents, ledger rows and file identity."""

from __future__ import annotations

import asyncio
import hashlib
import os
from pathlib import Path
from typing import Any

import pytest
from api_helpers import (
    Recorder,
    complete,
    finished,
    generated,
    hold_keyframes,
    serving,
    wait_until,
)

from vidpipe.config import Settings

# the smallest picture: rendering is not the subject
THREE = {"scenes": 3, "clip_duration": 1, "resolution": "360p"}


def stamp(path: str) -> tuple[int, int]:
    info = os.stat(path)
    return info.st_ino, info.st_mtime_ns


def sha(path: str) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def video_calls(detail: dict[str, Any]) -> int:
    return sum(1 for a in detail["ledger"]["attempts"] if a["role"] == "video")


async def test_scene_edit_needs_if_match_then_resume_remakes_only_that_clip_and_select_restores(
    sqlite_settings: Settings,
) -> None:
    async with serving(sqlite_settings) as (_, client):
        project_id = await complete(client, options=THREE)
        base = f"/api/projects/{project_id}"
        got = await client.get(f"{base}/storyboard")
        assert got.status_code == 200
        etag, board = got.headers["etag"], got.json()
        assert etag == f'"{board["version"]}"' and len(board["scenes"]) == 3
        before = (await client.get(base)).json()
        assert before["plan"]["items"] == [] and not any(s["stale"] for s in before["scenes"])
        # one numbering for people: scenes 1..3 in `scene` and in the file URLs
        assert [s["scene"] for s in before["scenes"]] == [1, 2, 3]
        assert before["scenes"][2]["clip_url"].endswith("/clips/3")
        assert before["scenes"][0]["start_keyframe_url"].endswith("/keyframes/1/start")
        assert (await client.get(f"{base}/clips/3")).status_code == 200
        assert (await client.get(f"{base}/keyframes/3/end")).status_code == 200
        assert (await client.get(f"{base}/clips/0")).status_code == 422
        clips = {s["index"]: s["clip_path"] for s in before["scenes"]}
        stamps = {index: stamp(path) for index, path in clips.items()}
        final = sha(before["output_path"])
        change = {"video_motion_prompt": "the camera circles the fox slowly"}

        missing = await client.patch(f"{base}/scenes/2", json=change)
        assert missing.status_code == 428, missing.text
        stale = await client.patch(f"{base}/scenes/2", json=change, headers={"If-Match": '"99"'})
        assert stale.status_code == 412, stale.text
        refused = await client.patch(
            f"{base}/scenes/2", json={"start_frame_prompt": "x"}, headers={"If-Match": etag}
        )
        assert refused.status_code == 422 and "end" in refused.text
        unknown = await client.patch(f"{base}/scenes/7", json=change, headers={"If-Match": etag})
        assert unknown.status_code == 422
        unchanged = await client.get(f"{base}/storyboard")
        assert unchanged.json() == board and unchanged.headers["etag"] == etag  # nothing written

        edited = await client.patch(f"{base}/scenes/2", json=change, headers={"If-Match": etag})
        assert edited.status_code == 200, edited.text
        assert edited.headers["etag"] == f'"{board["version"] + 1}"'
        plan = edited.json()["plan"]
        assert plan["clips"] == [2] and plan["keyframes"] == [] and plan["stitch"]
        assert plan["provider_calls"] == {"storyboard": 0, "image": 0, "video": 1}
        again = await client.patch(f"{base}/scenes/2", json=change, headers={"If-Match": etag})
        assert again.status_code == 412  # the old ETag no longer matches
        detail = (await client.get(base)).json()
        assert [s["stale"] for s in detail["scenes"]] == [False, True, False]
        # idle and stale is its own status, with the earliest stale stage; nothing runs it
        assert (detail["status"], detail["stale_stage"]) == ("out_of_date", "video_gen")
        assert not detail["running"] and detail["note"].endswith("; resume brings it up to date")
        assert detail["storyboard_version"] == board["version"] + 1

        assert (await client.post(f"{base}/resume")).status_code == 202
        assert (await finished(client, project_id))["status"] == "complete"
        after = (await client.get(base)).json()
        assert video_calls(after) == video_calls(before) + 1
        assert {s["index"]: stamp(s["clip_path"]) for s in after["scenes"] if s["index"] != 1} == {
            i: stamps[i] for i in (0, 2)
        }
        assert after["scenes"][1]["clip_path"] != clips[1] and Path(clips[1]).is_file()
        assert after["scenes"][1]["clip_take"] == 2 and not any(s["stale"] for s in after["scenes"])

        takes = (await client.get(f"{base}/scenes/2/takes")).json()
        clip_takes = [t for t in takes["takes"] if t["slot"] == "clip"]
        assert [(t["take"], t["selected"]) for t in clip_takes] == [(1, False), (2, True)]
        # every take's file is served (to compare them), the old one too, with Range
        old = await client.get(clip_takes[0]["url"])
        assert old.status_code == 200 and old.headers["content-type"] == "video/mp4"
        assert hashlib.sha256(old.content).hexdigest() == sha(clips[1])
        part = await client.get(clip_takes[1]["url"], headers={"Range": "bytes=0-9"})
        assert part.status_code == 206 and len(part.content) == 10
        assert (await client.get(f"{base}/scenes/2/takes/clip/9/file")).status_code == 404
        assert (await client.get(f"{base}/scenes/2/takes/other/1/file")).status_code == 422
        assert (await client.post(f"{base}/scenes/2/takes/9/select")).status_code == 422

        selected = await client.post(f"{base}/scenes/2/takes/1/select")
        assert selected.status_code == 200, selected.text
        document = selected.json()
        assert document["status"] == "complete" and document["scenes"][1]["clip_take"] == 1
        assert document["plan"]["items"] == []
        assert video_calls(document) == video_calls(after)  # nothing generated
        assert document["scenes"][1]["clip_path"] == clips[1]  # the original take, re-stitched
        assert (
            document["runs"][-1]["status"] == "complete"
            and len(document["runs"]) == len(after["runs"]) + 1
        )
        assert Path(document["output_path"]).stat().st_size > 0 and final


async def test_an_edit_or_a_redo_of_a_running_project_is_409(sqlite_settings: Settings) -> None:
    held = Recorder(hold=True)
    async with serving(sqlite_settings, execute=held) as (_, client):
        accepted = await client.post("/api/generate", json={"prompt": "a fox", **THREE})
        base = f"/api/projects/{accepted.json()['project_id']}"
        await held.started.wait()
        patch = await client.patch(
            f"{base}/scenes/1", json={"video_motion_prompt": "x"}, headers={"If-Match": '"1"'}
        )
        assert patch.status_code == 409, patch.text
        redo = await client.post(f"{base}/scenes/1/redo", json={"target": "clip"})
        assert redo.status_code == 409
        assert (await client.post(f"{base}/fork")).status_code == 409
        # queued here but holding no lease yet: there is no runner to ask
        assert (await client.post(f"{base}/stop")).status_code == 409
        held.release()


async def test_redo_fork_and_stop(
    sqlite_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with serving(sqlite_settings) as (_, client):
        project_id = await complete(client, "a lighthouse at dawn", THREE)
        base = f"/api/projects/{project_id}"
        original = (await client.get(base)).json()
        final = sha(original["output_path"])
        assert (await client.post(f"{base}/stop")).status_code == 409  # not running

        redo = await client.post(
            f"{base}/scenes/1/redo", json={"target": "clip", "direction": "slower"}
        )
        assert redo.status_code == 202, redo.text
        assert (await finished(client, project_id))["status"] == "complete"
        redone = (await client.get(base)).json()
        assert video_calls(redone) == video_calls(original) + 1
        takes = (await client.get(f"{base}/scenes/1/takes")).json()["takes"]
        assert [t["direction"] for t in takes if t["slot"] == "clip"] == [None, "slower"]
        final = sha(redone["output_path"])

        total = (await client.get("/api/projects")).json()["total"]
        bad = await client.post(
            f"{base}/fork", json={"scene": 2, "changes": {"start_frame_prompt": "x"}}
        )
        assert bad.status_code == 422
        assert (await client.get("/api/projects")).json()["total"] == total  # no fork left

        forked = await client.post(
            f"{base}/fork", json={"scene": 3, "changes": {"video_motion_prompt": "a slow pan"}}
        )
        assert forked.status_code == 202, forked.text
        twin_id = forked.json()["project_id"]
        assert twin_id != project_id
        assert (await finished(client, twin_id))["status"] == "complete"
        twin = (await client.get(f"/api/projects/{twin_id}")).json()
        assert twin["forked_from"] == project_id and video_calls(twin) == 1
        for mine, theirs in zip(twin["scenes"][:2], redone["scenes"][:2], strict=True):
            assert stamp(mine["clip_path"])[0] == stamp(theirs["clip_path"])[0]  # hard links
        assert sha(redone["output_path"]) == final  # the original is untouched

        # keyframes are held at a gate until the stop has landed: the run is surely under way
        gate = hold_keyframes(monkeypatch)
        slow = await client.post("/api/generate", json={"prompt": "a slow river", **THREE})
        slow_id = slow.json()["project_id"]

        async def leased() -> bool:
            document = (await client.get(f"/api/projects/{slow_id}/status")).json()
            return document["running"] and document["status"] != "pending"

        await wait_until(leased, timeout=60, every=0.02)
        stopped = await client.post(f"/api/projects/{slow_id}/stop")
        assert stopped.status_code == 202, stopped.text
        status = await finished(client, slow_id)
        assert status["status"] == "stopped" and status["error_message"] is None
        assert status["note"] == "stopped by you; resume it"
        gate.set()
        assert (await client.post(f"/api/projects/{slow_id}/resume")).status_code == 202
        assert (await finished(client, slow_id))["status"] == "complete"


async def test_the_openapi_schema_describes_each_event_of_the_stream(
    sqlite_settings: Settings,
) -> None:
    """/openapi.json's text/event-stream schema is one SSE event (`event`, `data`, `id`), the way
    schemathesis 4 validates streams item by item; every event of a real stream conforms."""
    import jsonschema_rs

    async with serving(sqlite_settings, execute=Recorder()) as (_, client):
        schema = (await client.get("/openapi.json")).json()
        accepted = (await client.post("/api/generate", json={"prompt": "a fox", **THREE})).json()
        stream = await client.get(accepted["events_url"], timeout=60)
    described = schema["paths"]["/api/projects/{project_id}/events"]["get"]["responses"]["200"]
    validator = jsonschema_rs.validator_for(described["content"]["text/event-stream"]["schema"])
    events = []
    for block in stream.text.replace("\r\n", "\n").split("\n\n"):
        lines = [line.split(": ", 1) for line in block.splitlines() if line and line[0] != ":"]
        if lines:
            event: dict[str, Any] = dict(lines)
            if "retry" in event:  # a number in SSE, as schemathesis reads it
                event["retry"] = int(event["retry"])
            events.append(event)
    assert [event["event"] for event in events][-1] == "end"
    for event in events:
        assert validator.is_valid(event), event
    assert not validator.is_valid("event: status")  # a bare string is no longer what it says


async def test_a_project_waiting_for_a_slot_can_be_stopped_and_resumed_later(
    sqlite_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    # one slot: the first project holds it on a held keyframe, the second waits for it
    gate = hold_keyframes(monkeypatch)
    capped = sqlite_settings.model_copy(update={"api_max_runs": 1})
    async with serving(capped) as (_, client):
        ids = []
        for prompt in ("a fox in snow", "a heron at dusk"):
            accepted = await client.post("/api/generate", json={"prompt": prompt, **THREE})
            assert accepted.status_code == 202, accepted.text
            ids.append(accepted.json()["project_id"])
        first, second = ids

        async def first_leased() -> bool:
            document = (await client.get(f"/api/projects/{first}/status")).json()
            return document["running"] and document["status"] != "pending"

        await wait_until(first_leased, timeout=60, every=0.02)
        waiting = (await client.get(f"/api/projects/{second}/status")).json()
        assert waiting["queued"] is True and waiting["status"] == "pending"
        refused = await client.post(f"/api/projects/{second}/resume")
        assert refused.status_code == 409 and "stop it first" in refused.text

        stopped = await client.post(f"/api/projects/{second}/stop")
        assert stopped.status_code == 202, stopped.text
        assert stopped.json()["project_id"] == second
        status = (await client.get(f"/api/projects/{second}/status")).json()
        assert status["status"] == "stopped" and status["error_message"] is None
        assert not (status["queued"] or status["running"])
        detail = (await client.get(f"/api/projects/{second}")).json()
        assert detail["ledger"]["attempts"] == []  # nothing called, nothing paid
        assert (await client.post(f"/api/projects/{second}/stop")).status_code == 409

        gate.set()  # the first was never touched: it finishes
        assert (await finished(client, first))["status"] == "complete"
        assert (await client.get(f"/api/projects/{second}/status")).json()["status"] == "stopped"
        assert (await client.post(f"/api/projects/{second}/resume")).status_code == 202
        assert (await finished(client, second))["status"] == "complete"


async def test_a_clip_redo_before_any_clip_is_refused_and_runs_nothing(
    sqlite_settings: Settings,
) -> None:
    async with serving(sqlite_settings) as (_, client):
        body = {"prompt": "a fox in snow", **THREE, "pause_after": "storyboard"}
        project_id = await generated(client, body, "paused")
        base = f"/api/projects/{project_id}"
        before = (await client.get(base)).json()
        board = (await client.get(f"{base}/storyboard")).headers["etag"]

        frame = await client.post(f"{base}/scenes/1/redo", json={"target": "end_frame"})
        clip = await client.post(
            f"{base}/scenes/1/redo", json={"target": "clip", "direction": "slower"}
        )
        assert clip.status_code == frame.status_code == 422, clip.text
        assert clip.json()["detail"][0]["msg"] == "scene 1 has no clip yet; resume it"
        assert frame.json()["detail"][0]["msg"] == "scene 1 has no end frame yet; resume it"

        await asyncio.sleep(0.5)  # a run handed over would have begun by now
        after = await finished(client, project_id)
        detail = (await client.get(base)).json()
        assert after["status"] == "paused" and detail["paused_before"] == "keyframing"
        assert detail["ledger"]["attempts"] == before["ledger"]["attempts"]  # no keyframe, clip
        assert all(s["clip_path"] is None for s in detail["scenes"])
        assert (await client.get(f"{base}/storyboard")).headers["etag"] == board  # nothing written


async def test_blank_required_texts_are_refused_at_their_field_and_nothing_is_written(
    sqlite_settings: Settings,
) -> None:
    """A prompt or a speaker of spaces alone is refused like an empty one, by PATCH storyboard
    and PATCH scene alike; the optional texts may still be cleared with ""."""
    async with serving(sqlite_settings) as (_, client):
        body = {"prompt": "a fox in snow", **THREE, "pause_after": "storyboard"}
        project_id = await generated(client, body, "paused")
        base = f"/api/projects/{project_id}"
        got = await client.get(f"{base}/storyboard")
        etag, board = got.headers["etag"], got.json()

        def scene_one(**texts: Any) -> dict[str, Any]:
            return {**board, "scenes": [{**board["scenes"][0], **texts}, *board["scenes"][1:]]}

        refusals = [
            (scene_one(video_motion_prompt="   "), ["body", "scenes", 0, "video_motion_prompt"]),
            (scene_one(scene_description=""), ["body", "scenes", 0, "scene_description"]),
            (
                scene_one(dialogue=[{"speaker": "", "line": "Hello"}]),
                ["body", "scenes", 0, "dialogue", 0, "speaker"],
            ),
            (
                scene_one(dialogue=[{"speaker": "Mara", "line": " \n "}]),
                ["body", "scenes", 0, "dialogue", 0, "line"],
            ),
        ]
        for sent, loc in refusals:
            refused = await client.patch(
                f"{base}/storyboard", json=sent, headers={"If-Match": etag}
            )
            assert refused.status_code == 422, refused.text
            assert refused.json()["detail"][0]["loc"] == loc
        for change, field in [
            ({"end_frame_prompt": "  "}, "end_frame_prompt"),
            ({"dialogue": [{"speaker": " ", "line": "Hi"}]}, "dialogue"),
        ]:
            refused = await client.patch(
                f"{base}/scenes/2", json=change, headers={"If-Match": etag}
            )
            assert refused.status_code == 422, refused.text
            assert refused.json()["detail"][0]["loc"][:2] == ["body", field]
        unchanged = await client.get(f"{base}/storyboard")
        assert unchanged.json() == board and unchanged.headers["etag"] == etag  # nothing written
        # optional texts: "" clears them, as documented
        cleared = await client.patch(
            f"{base}/scenes/2",
            json={"narration": "", "sound": "", "dialogue": [], "transition_notes": ""},
            headers={"If-Match": etag},
        )
        assert cleared.status_code == 200, cleared.text


async def test_an_edit_that_changes_nothing_writes_nothing(sqlite_settings: Settings) -> None:
    """The storyboard sent back as it is, or a scene's texts as they are: the same version and
    ETag (other clients' stay valid), 200 with the same answer, nothing goes stale."""
    async with serving(sqlite_settings) as (_, client):
        project_id = await complete(client, options=THREE)
        base = f"/api/projects/{project_id}"
        got = await client.get(f"{base}/storyboard")
        etag, board = got.headers["etag"], got.json()
        same = await client.patch(f"{base}/storyboard", json=board, headers={"If-Match": etag})
        assert same.status_code == 200, same.text
        assert same.headers["etag"] == etag
        assert same.json()["storyboard_version"] == board["version"]
        assert same.json()["plan"]["items"] == []
        texts = {"video_motion_prompt": board["scenes"][1]["video_motion_prompt"]}
        again = await client.patch(f"{base}/scenes/2", json=texts, headers={"If-Match": etag})
        assert again.status_code == 200 and again.headers["etag"] == etag
        after = await client.get(f"{base}/storyboard")
        assert after.json() == board and after.headers["etag"] == etag
        detail = (await client.get(base)).json()
        assert detail["status"] == "complete" and not any(s["stale"] for s in detail["scenes"])
        # a real change still moves the version on
        moved = await client.patch(
            f"{base}/scenes/2", json={"video_motion_prompt": "slowly"}, headers={"If-Match": etag}
        )
        assert moved.status_code == 200 and moved.headers["etag"] != etag
