"""The review screen's scene form shows and edits narration, dialogue (one "Speaker: line" a
line) and sound, through the same function as PATCH .../scenes/{n}; a bad line is refused next to
the form (422) and nothing is written."""

from __future__ import annotations

import html
import re

from api_helpers import finished, serving

from vidpipe.config import Settings

THREE = {"scenes": 2, "clip_duration": 2, "resolution": "480p"}


async def test_the_scene_form_edits_the_sound_texts(sqlite_settings: Settings) -> None:
    async with serving(sqlite_settings) as (_, client):
        body = {"prompt": "Ada and Tom by the sea", **THREE, "narration": True, "dialogue": True}
        project_id = (await client.post("/api/generate", json=body)).json()["project_id"]
        assert (await finished(client, project_id))["status"] == "complete"
        board = (await client.get(f"/api/projects/{project_id}/storyboard")).json()
        page = await client.get(f"/projects/{project_id}/review")
        text = html.unescape(page.text)
        for field in ("narration", "dialogue", "sound"):
            assert f'id="s2-{field}"' in page.text
        first = board["scenes"][1]["dialogue"][0]
        assert f"{first['speaker']}: {first['line']}" in text  # the dialogue box, one a line
        assert board["scenes"][1]["narration"] in text
        token = re.search(r'name="csrf-token" content="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
        form = {"csrf_token": token, "version": str(board["version"]), "mode": "save"}
        edit = f"/projects/{project_id}/scenes/2/edit"

        bad = await client.post(edit, data={**form, "dialogue": "Tom: fine\nno colon here"})
        assert bad.status_code == 422 and "write it as" in html.unescape(bad.text)
        assert (await client.get(f"/api/projects/{project_id}/storyboard")).json() == board

        saved = await client.post(
            edit,
            data={
                **form,
                "narration": "The tide turns.",
                "dialogue": "Tom: Look!\r\n\r\nAda: I see it.\r\n",
                "sound": "Ambient noise: surf",
            },
        )
        assert saved.status_code == 303, saved.text
        scene = (await client.get(f"/api/projects/{project_id}/storyboard")).json()["scenes"][1]
        assert scene["narration"] == "The tide turns."
        assert scene["dialogue"] == [
            {"speaker": "Tom", "line": "Look!"},
            {"speaker": "Ada", "line": "I see it."},
        ]
        assert scene["sound"] == "Ambient noise: surf"
        detail = (await client.get(f"/api/projects/{project_id}")).json()
        assert detail["plan"]["items"] == []  # no clip made again for sound texts (local video)
