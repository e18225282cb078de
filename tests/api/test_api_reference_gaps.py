"""Follow-ups of references and takes over HTTP: `POST /api/generate` with references while the
image provider takes none answers the CLI's warning in `warnings` (described in /openapi.json);
`PATCH /api/projects/{id}` sets `takes` for clips made from then on and the plan shows it;
`PATCH .../scenes/{n}` sets which references appear in a scene, checked against the names."""

from __future__ import annotations

import io

from api_helpers import Recorder, finished, serving
from PIL import Image

from vidpipe.config import Settings
from vidpipe.orchestrator.projects import reference_warnings
from vidpipe.orchestrator.references import ReferenceSpec, check_image
from vidpipe.providers.registry import load_registry

PAUSED = {"scenes": 2, "clip_duration": 1, "resolution": "480p", "pause_after": "storyboard"}


def png(colour: str) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (60, 80), colour).save(buf, format="PNG")
    return buf.getvalue()


async def test_generate_warns_in_the_body_when_the_image_provider_takes_no_references(
    sqlite_settings: Settings,
) -> None:
    settings = sqlite_settings.model_copy(update={"image_provider": "sim"})
    recorder = Recorder()
    async with serving(settings, execute=recorder) as (_, client):
        upload = await client.post("/api/references", files={"file": ("m.png", png("red"))})
        reference = {"name": "Mara", "id": upload.json()["id"]}
        body = {"prompt": "Mara rides", "references": [reference], **PAUSED}
        accepted = await client.post("/api/generate", json=body)
        assert accepted.status_code == 202, accepted.text
        sentence = (
            "the sim image provider takes no reference images; keyframes are drawn from the "
            "prompts alone"
        )
        assert accepted.json()["warnings"] == [sentence]
        providers = load_registry().build(settings, "local", "sim", "local")
        spec = ReferenceSpec("Mara", check_image(png("red"), "file"))
        assert reference_warnings([spec], providers) == [sentence]  # what the CLI prints
        plain = await client.post("/api/generate", json={"prompt": "Mara rides", **PAUSED})
        assert plain.status_code == 202 and plain.json()["warnings"] == []
        assert len(recorder.calls) == 2  # a warning does not stop the run
        schema = (await client.get("/openapi.json")).json()
        warnings = schema["components"]["schemas"]["Accepted"]["properties"]["warnings"]
        assert warnings["type"] == "array" and warnings["items"] == {"type": "string"}
        assert "as the CLI prints them" in warnings["description"]


async def test_patch_takes_and_a_scenes_references(sqlite_settings: Settings) -> None:
    async with serving(sqlite_settings) as (_, client):
        upload = await client.post("/api/references", files={"file": ("m.png", png("red"))})
        reference = {"name": "Mara", "id": upload.json()["id"], "description": "a courier"}
        body = {"prompt": "a fox in snow", "references": [reference], **PAUSED}
        project_id = (await client.post("/api/generate", json=body)).json()["project_id"]
        assert (await finished(client, project_id))["status"] == "paused"
        base = f"/api/projects/{project_id}"
        etag = (await client.get(f"{base}/storyboard")).headers["etag"]
        before = (await client.get(base)).json()
        assert [s["references"] for s in before["scenes"]] == [[], ["Mara"]]  # the writer's

        for bad in ({"takes": 9}, {"takes": 0}):
            refused = await client.patch(base, json=bad, headers={"If-Match": etag})
            assert refused.status_code == 422, refused.text
        unknown = await client.patch(
            f"{base}/scenes/1", json={"references": ["Zed"]}, headers={"If-Match": etag}
        )
        assert unknown.status_code == 422 and "no reference named 'Zed'" in unknown.text
        assert (await client.get(f"{base}/storyboard")).headers["etag"] == etag  # unchanged
        assert (await client.get(f"{base}/scenes/1/takes")).json()["takes_per_clip"] == 1

        edited = await client.patch(base, json={"takes": 3}, headers={"If-Match": etag})
        assert edited.status_code == 200, edited.text
        plan = edited.json()["plan"]
        assert [i["takes"] for i in plan["items"] if i["kind"] == "clip"] == [3, 3]
        assert plan["provider_calls"]["video"] == 6
        assert (await client.get(f"{base}/scenes/1/takes")).json()["takes_per_clip"] == 3

        etag = edited.headers["etag"]
        scene = await client.patch(
            f"{base}/scenes/1", json={"references": ["Mara"]}, headers={"If-Match": etag}
        )
        assert scene.status_code == 200, scene.text
        detail = (await client.get(base)).json()
        assert [s["references"] for s in detail["scenes"]] == [["Mara"], ["Mara"]]
        board = (await client.get(f"{base}/storyboard")).json()
        assert [s["references"] for s in board["scenes"]] == [["Mara"], ["Mara"]]
