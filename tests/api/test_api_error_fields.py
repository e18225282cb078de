"""Refusals from below the doors carry the field they concern: the API answers 422 with that
field as the `loc` and says the problem in words, with no CLI flag in it (the CLI shows the same
refusal with its flag: tests/acceptance/test_cli_takes.py, test_cli_models.py)."""

from __future__ import annotations

import pytest
from api_helpers import SMALL, finished, serving

from vidpipe.config import Settings


async def test_refusals_name_their_field_as_the_loc(sqlite_settings: Settings) -> None:
    async with serving(sqlite_settings) as (_, client):
        made = await client.post("/api/generate", json={"prompt": "a fox in snow", **SMALL})
        assert made.status_code == 202, made.text
        project_id = made.json()["project_id"]
        assert (await finished(client, project_id))["status"] == "complete"
        base = f"/api/projects/{project_id}"
        before = (await client.get(base)).json()

        # K takes, or a model of its own, are for a clip: a frame is redrawn once
        for body, field in (
            ({"target": "end_frame", "takes": 2}, "takes"),
            ({"target": "end_frame", "model": "sim:sim-clip"}, "model"),
        ):
            refused = await client.post(f"{base}/scenes/1/redo", json=body)
            assert refused.status_code == 422, refused.text
            (problem,) = refused.json()["detail"]
            assert problem["loc"] == ["body", field], problem
            assert "applies to a clip only" in problem["msg"] and "--" not in problem["msg"]

        # scene 2's start frame is scene 1's end frame: the text to edit is named by its field
        etag = (await client.get(f"{base}/storyboard")).headers["etag"]
        refused = await client.patch(
            f"{base}/scenes/2", json={"start_frame_prompt": "a den"}, headers={"If-Match": etag}
        )
        assert refused.status_code == 422, refused.text
        (problem,) = refused.json()["detail"]
        assert problem["loc"] == ["body", "start_frame_prompt"], problem
        assert "scene 1's end frame prompt" in problem["msg"] and "--" not in problem["msg"]

        after = (await client.get(base)).json()
        assert after["ledger"] == before["ledger"] and after["scenes"] == before["scenes"]


async def test_a_finished_project_refuses_what_it_cannot_do_naming_the_field_in_full(
    sqlite_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("FAL_KEY", raising=False)
    async with serving(sqlite_settings) as (_, client):
        made = await client.post("/api/generate", json={"prompt": "a fox in snow", **SMALL})
        project_id = made.json()["project_id"]
        assert (await finished(client, project_id))["status"] == "complete"
        base = f"/api/projects/{project_id}"
        before = (await client.get(base)).json()

        # the ledger counts scenes from 1, as every other place people read does
        details = [row["detail"] for row in before["ledger"]["attempts"]]
        assert {"scene 1 start frame", "scene 1 end frame", "scene 2 end frame"} <= set(details)
        assert {"scene 1 clip", "scene 2 clip"} <= set(details), details
        assert not [detail for detail in details if "scene 0" in detail], details

        # a redo on a model whose provider cannot be made here: the model is the field
        refused = await client.post(
            f"{base}/scenes/1/redo", json={"target": "clip", "model": "fal:fal-ai/wan-flf2v"}
        )
        assert refused.status_code == 422, refused.text
        (problem,) = refused.json()["detail"]
        assert problem["loc"] == ["body", "model"] and "needs an API key" in problem["msg"]

        # a rule's sentence is never cut short (the hint at its end is the useful part)
        etag = (await client.get(f"{base}/storyboard")).headers["etag"]
        refused = await client.patch(
            base, json={"image_model": "local:flow"}, headers={"If-Match": etag}
        )
        assert refused.status_code == 422, refused.text
        (problem,) = refused.json()["detail"]
        assert problem["loc"] == ["body", "image_model"]
        assert problem["msg"].endswith("(vidpipe models --role image)"), problem["msg"]

        # a take the scene does not have: the path's take, not a body the request has not
        refused = await client.post(f"{base}/scenes/1/takes/9/select")
        assert refused.status_code == 422, refused.text
        (problem,) = refused.json()["detail"]
        assert problem["loc"] == ["path", "take"] and "has no clip take 9" in problem["msg"]

        # a name no reference can have is refused before the database is asked (PostgreSQL
        # failed with a 500 on the NUL); a well-formed unknown name is 404
        refused = await client.get(f"{base}/references/a%00b")
        assert refused.status_code == 422 and refused.json()["detail"][0]["loc"] == [
            "path",
            "name",
        ]
        assert (await client.get(f"{base}/references/Mara")).status_code == 404

        # a fork's scene is a number, read as strictly as generate's body: `true` is not 1
        for scene in (True, "1"):
            body = {"scene": scene, "changes": {"narration": "hello"}}
            refused = await client.post(f"{base}/fork", json=body)
            assert refused.status_code == 422, refused.text
            assert refused.json()["detail"][0]["loc"] == ["body", "scene"]
        listed = (await client.get("/api/projects")).json()
        assert listed["total"] == 1  # no fork was made

        after = (await client.get(base)).json()
        assert after["ledger"] == before["ledger"] and after["scenes"] == before["scenes"]

        # a clip file gone: the re-stitch names the scene as people count it (scene 2)
        clip = sqlite_settings.projects_dir / project_id / "clips" / "scene_01.mp4"
        clip.unlink()
        runs = len((await client.get(base)).json()["runs"])
        refused = await client.post(f"{base}/stitch")
        assert refused.status_code == 409, refused.text  # not stitchable; ffmpeg never ran
        assert "clip of scene 2 (clips/scene_01.mp4) is missing" in refused.json()["detail"]
        assert len((await client.get(base)).json()["runs"]) == runs  # no failed run recorded
