"""A fork takes the same edit object as PATCH .../storyboard, references included: the fork gets
the references the body names (an upload's id replaces, a name left out is removed), and the
original keeps its own. A refused reference leaves no fork behind."""

from __future__ import annotations

from api_helpers import finished, serving
from test_api_references import PAUSED, png

from vidpipe.config import Settings


async def test_fork_with_storyboard_references(sqlite_settings: Settings) -> None:
    async with serving(sqlite_settings) as (_, client):
        red = (await client.post("/api/references", files={"file": ("r.png", png("red"))})).json()
        blue = (await client.post("/api/references", files={"file": ("b.png", png("blue"))})).json()
        body = {
            "prompt": "Mara rides through the city",
            "references": [{"name": "Mara", "id": red["id"], "description": "a courier"}],
            **PAUSED,
        }
        accepted = await client.post("/api/generate", json=body)
        assert accepted.status_code == 202, accepted.text
        project_id = accepted.json()["project_id"]
        assert (await finished(client, project_id))["status"] == "paused"
        base = f"/api/projects/{project_id}"
        board = (await client.get(f"{base}/storyboard")).json()

        board["references"] = [{"name": "Zed", "id": "0" * 40}]
        total = (await client.get("/api/projects")).json()["total"]
        refused = await client.post(f"{base}/fork", json={"storyboard": board})
        assert refused.status_code == 422, refused.text
        assert (await client.get("/api/projects")).json()["total"] == total  # no fork left

        board["references"] = [{"name": "Zed", "id": blue["id"], "description": "a dog"}]
        for scene in board["scenes"]:
            scene["references"] = ["Zed"]
        forked = await client.post(f"{base}/fork", json={"storyboard": board})
        assert forked.status_code == 202, forked.text
        twin_id = forked.json()["project_id"]
        await finished(client, twin_id)
        twin = (await client.get(f"/api/projects/{twin_id}")).json()
        assert [(r["name"], r["description"]) for r in twin["references"]] == [("Zed", "a dog")]
        assert [s["references"] for s in twin["scenes"]] == [["Zed"], ["Zed"]]
        assert (await client.get(twin["references"][0]["url"])).content == png("blue")

        original = (await client.get(base)).json()  # the original is not changed
        assert [r["name"] for r in original["references"]] == ["Mara"]
        assert [s["references"] for s in original["scenes"]] == [["Mara"], ["Mara"]]
