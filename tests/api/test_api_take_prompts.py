"""Takes carry the prompt that made them: after a motion-prompt edit and a resume, the takes
document (HTTP and `vidpipe takes --json`) holds two clip takes with their two motion prompts,
and each frame take its frame prompt."""

from __future__ import annotations

import json
import subprocess
import sys

from api_helpers import TINY, finished, serving
from processes import user_env

from vidpipe.config import Settings

NEW_MOTION = "the camera circles the fox slowly while snow falls"


async def test_takes_document_carries_each_takes_prompt_after_an_edit_and_resume(
    sqlite_settings: Settings,
) -> None:
    async with serving(sqlite_settings) as (_, client):
        accepted = await client.post("/api/generate", json={"prompt": "a fox in snow", **TINY})
        assert accepted.status_code == 202, accepted.text
        project_id = accepted.json()["project_id"]
        base = f"/api/projects/{project_id}"
        assert (await finished(client, project_id))["status"] == "complete"
        got = await client.get(f"{base}/storyboard")
        board = got.json()["scenes"][0]
        first_motion = board["video_motion_prompt"]
        assert first_motion and first_motion != NEW_MOTION

        edited = await client.patch(
            f"{base}/scenes/1",
            json={"video_motion_prompt": NEW_MOTION},
            headers={"If-Match": got.headers["etag"]},
        )
        assert edited.status_code == 200, edited.text
        assert (await client.post(f"{base}/resume")).status_code == 202
        assert (await finished(client, project_id))["status"] == "complete"

        listed = (await client.get(f"{base}/scenes/1/takes")).json()
        clips = [t for t in listed["takes"] if t["slot"] == "clip"]
        assert [(t["take"], t["selected"], t["prompt"]) for t in clips] == [
            (1, False, first_motion),
            (2, True, NEW_MOTION),
        ]
        frames = {t["slot"]: t["prompt"] for t in listed["takes"] if t["slot"] != "clip"}
        assert frames == {"start": board["start_frame_prompt"], "end": board["end_frame_prompt"]}

    # the CLI reads the same document from the same database
    env = user_env(sqlite_settings.data_dir, VIDPIPE_DATABASE_URL=sqlite_settings.database_url)
    done = subprocess.run(
        [sys.executable, "-m", "vidpipe", "takes", project_id, "--scene", "1", "--json"],
        env=env, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["takes"] == [
        {k: v for k, v in t.items() if k != "url"} for t in listed["takes"]
    ]
    text = subprocess.run(
        [sys.executable, "-m", "vidpipe", "takes", project_id, "--scene", "1"],
        env=env, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert text.returncode == 0, text.stderr
    assert f"prompt: {NEW_MOTION}" in text.stdout
