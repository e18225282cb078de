"""Sound fields over HTTP: generate asks for them, the storyboard document and the project
document carry them, PATCH .../scenes/{n} edits them (same limits as other scene texts; 422 on
bad input, nothing written), and no clip is made again for them on a model without audio."""

from __future__ import annotations

import httpx
from api_helpers import finished, serving

from vidpipe.config import Settings

THREE = {"scenes": 3, "clip_duration": 2, "resolution": "480p"}


async def voiced(client: httpx.AsyncClient) -> str:
    body = {"prompt": "Mara and Bo at the harbour", **THREE, "narration": True, "dialogue": True}
    accepted = await client.post("/api/generate", json=body)
    assert accepted.status_code == 202, accepted.text
    project_id = accepted.json()["project_id"]
    assert (await finished(client, project_id))["status"] == "complete"
    return project_id


async def test_sound_fields_over_http(sqlite_settings: Settings) -> None:
    async with serving(sqlite_settings) as (_, client):
        project_id = await voiced(client)
        base = f"/api/projects/{project_id}"
        got = await client.get(f"{base}/storyboard")
        board, etag = got.json(), got.headers["etag"]
        assert all(scene["narration"] for scene in board["scenes"])
        assert {line["speaker"] for line in board["scenes"][0]["dialogue"]} == {"Mara", "Bo"}
        detail = (await client.get(base)).json()
        assert detail["scenes"][1]["narration"] == board["scenes"][1]["narration"]
        assert detail["scenes"][1]["dialogue"] == board["scenes"][1]["dialogue"]

        too_long = await client.patch(
            f"{base}/scenes/2", json={"narration": "x" * 4001}, headers={"If-Match": etag}
        )
        assert too_long.status_code == 422, too_long.text
        no_speaker = await client.patch(
            f"{base}/scenes/2",
            json={"dialogue": [{"speaker": "", "line": "hi"}]},
            headers={"If-Match": etag},
        )
        assert no_speaker.status_code == 422
        assert (await client.get(f"{base}/storyboard")).headers["etag"] == etag  # nothing written

        change = {
            "narration": "Night falls on the harbour.",
            "dialogue": [{"speaker": "Bo", "line": "Hold the rope!"}],
            "sound": "Ambient noise: gulls and rigging",
        }
        edited = await client.patch(f"{base}/scenes/2", json=change, headers={"If-Match": etag})
        assert edited.status_code == 200, edited.text
        assert edited.json()["plan"]["items"] == []  # the local video model: no clip again
        scene = (await client.get(f"{base}/storyboard")).json()["scenes"][1]
        assert {k: scene[k] for k in change} == change

        # the whole storyboard, back with one line changed
        board = (await client.get(f"{base}/storyboard")).json()
        board["scenes"][2]["dialogue"] = []
        board["scenes"][2]["narration"] = ""
        etag = f'"{board["version"]}"'
        put = await client.patch(f"{base}/storyboard", json=board, headers={"If-Match": etag})
        assert put.status_code == 200, put.text
        last = (await client.get(f"{base}/storyboard")).json()["scenes"][2]
        assert (last["dialogue"], last["narration"]) == ([], "")


async def test_generate_refuses_a_non_boolean_narration(sqlite_settings: Settings) -> None:
    async with serving(sqlite_settings) as (_, client):
        refused = await client.post(
            "/api/generate", json={"prompt": "a fox", "narration": "lots please"}
        )
        assert refused.status_code == 422
        assert (await client.get("/api/projects")).json()["projects"] == []
