"""POST resume of a complete project whose files no longer match its plan (a keyframe deleted):
202 and brought up to date; 409 once nothing is left to make."""

from __future__ import annotations

import hashlib
from pathlib import Path

from api_helpers import Recorder, complete, finished, serving

from vidpipe.config import Settings
from vidpipe.media.probe import probe


def sha256(path: str | Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


async def complete_project(settings: Settings) -> dict:
    """A project made with the local providers, complete, as its detail document."""
    async with serving(settings) as (_, client):
        project_id = await complete(client)
        return (await client.get(f"/api/projects/{project_id}")).json()


async def test_resume_redraws_a_deleted_keyframe_then_refuses(settings: Settings) -> None:
    before = await complete_project(settings)
    project_id = before["id"]
    deleted = Path(before["scenes"][0]["end_keyframe_path"])
    drawn = sha256(deleted)
    final = Path(before["output_path"])
    final_before = final.stat().st_mtime_ns
    deleted.unlink()
    async with serving(settings) as (_, client):
        # the project says what is gone and what brings it back; the page offers the resume
        shown = (await client.get(f"/api/projects/{project_id}")).json()
        assert (shown["status"], shown["note"]) == (
            "complete",
            "scene 1's end frame is gone from disk; resume makes it again",
        )
        page = (await client.get(f"/projects/{project_id}")).text
        assert 'id="resume"' in page and "gone from disk" in page
        client.cookies.clear()  # the page's cookie would ask the API calls for its CSRF token
        plan = (await client.get(f"/api/projects/{project_id}/plan")).json()
        assert plan["clips"] == [1, 2] and plan["stitch"]

        accepted = await client.post(f"/api/projects/{project_id}/resume")
        assert accepted.status_code == 202, accepted.text
        assert (await finished(client, project_id))["status"] == "complete"
        after = (await client.get(f"/api/projects/{project_id}")).json()
        assert after["stale_stage"] is None and after["note"] is None
        assert 'id="resume"' not in (await client.get(f"/projects/{project_id}")).text
        client.cookies.clear()
        assert [r["status"] for r in after["runs"]] == ["complete", "complete"]
        redrawn = Path(after["scenes"][0]["end_keyframe_path"])
        assert sha256(redrawn) == drawn  # the local image provider draws the same frame again
        for old, new in zip(before["scenes"], after["scenes"], strict=True):
            assert new["clip_take"] == old["clip_take"] + 1 and Path(new["clip_path"]).is_file()
        assert new["end_keyframe_take"] == old["end_keyframe_take"] + 1  # both ends redrawn
        assert final.stat().st_mtime_ns > final_before and probe(final).duration > 1.5

        refused = await client.post(f"/api/projects/{project_id}/resume")
        assert refused.status_code == 409
        assert refused.json()["detail"] == (
            f"project {project_id} is complete and up to date; nothing to resume; to join its "
            "clips again, use stitch"
        )


async def test_while_it_is_resumed_status_and_page_say_it_is_out_of_date(
    settings: Settings,
) -> None:
    before = await complete_project(settings)
    project_id = before["id"]
    Path(before["scenes"][0]["end_keyframe_path"]).unlink()
    held = Recorder(hold=True)  # the run is handed over, not started: the state in between
    async with serving(settings, execute=held) as (_, client):
        assert (await client.post(f"/api/projects/{project_id}/resume")).status_code == 202
        await held.started.wait()
        status = (await client.get(f"/api/projects/{project_id}/status")).json()
        assert (status["status"], status["stale_stage"]) == ("out_of_date", "keyframing")
        page = (await client.get(f"/projects/{project_id}")).text
        assert 'class="step current" data-stage="keyframing"' in page
        held.release()
