"""Reference images on the page, in process: the New video form takes reference images as a
multipart post (through POST /api/references' own function), shows refusals next to the row's
field and writes nothing, keeps accepted uploads across a refused form, and generates with them;
the review screen shows each scene's references beside its texts."""

from __future__ import annotations

import io
import re
import uuid
from pathlib import Path

from api_helpers import Recorder, serving
from PIL import Image
from sqlalchemy import func, select

from vidpipe.config import Settings
from vidpipe.db.models import Project, Scene
from vidpipe.web.reference_rows import MAX_ROWS
from vidpipe.web.security import MAX_FORM_FILES


def png(colour: str, size: tuple[int, int] = (40, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format="PNG")
    return buffer.getvalue()


def csrf_of(text: str) -> str:
    match = re.search(r'name="csrf-token" content="([^"]+)"', text)
    assert match
    return match.group(1)


def field_error(page: str, field_id: str) -> str | None:
    """The text of a field's error paragraph, or None when it is hidden."""
    match = re.search(rf'<p class="field-error" id="err-{field_id}"( hidden)?>(.*?)</p>', page)
    assert match, field_id
    return None if match.group(1) else match.group(2)


BASE = {"prompt": "Mara rides through the city", "scenes": "1", "clip_duration": "4"}
BASE |= {"resolution": "480p", "pause_after": "storyboard", "style": "cinematic"}
BASE |= {"aspect_ratio": "16:9", "crossfade": "0", "max_cost": ""}


async def test_the_form_uploads_references_refuses_bad_ones_inline_and_generates_with_them(
    sqlite_settings: Settings,
) -> None:
    assert MAX_ROWS == 12 and MAX_FORM_FILES == MAX_ROWS + 1  # and the music bed
    uploads = Path(sqlite_settings.data_dir) / "uploads" / "references"
    held = Recorder()
    async with serving(sqlite_settings, execute=held) as (app, client):

        async def projects() -> int:
            async with app.state.sessions() as session:
                return await session.scalar(select(func.count()).select_from(Project)) or 0

        form = (await client.get("/new")).text
        assert 'enctype="multipart/form-data"' in form
        assert 'id="references-0-file"' in form and 'id="references-1-file"' not in form
        token = csrf_of(form)
        fields = {**BASE, "csrf_token": token}

        # without the CSRF token: refused before any file is looked at
        refused = await client.post(
            "/new",
            data={**BASE, "references-0-name": "Mara"},
            files={"references-0-file": ("mara.png", png("red"), "image/png")},
        )
        assert refused.status_code == 403 and not uploads.exists()

        # a text file named .png, and a second row without a name: both inline, nothing written
        bad = await client.post(
            "/new",
            data={**fields, "references-0-name": "Mara", "references-1-description": "a dog"},
            files={
                "references-0-file": ("mara.png", b"hello, not an image\n" * 8, "image/png"),
                "references-1-file": ("dog.png", png("blue"), "image/png"),
            },
        )
        assert bad.status_code == 422
        page = bad.text
        assert "not a readable PNG, JPEG or WebP image" in field_error(page, "references-0-file")
        assert field_error(page, "references-0-name") is None
        assert field_error(page, "references-1-name") == "a name is needed (e.g. Mara)"
        assert field_error(page, "references-1-file") is None  # the dog was accepted: kept
        assert re.search(r'name="references-1-id" value="[0-9a-f]{40}"', page)
        assert "Image (kept: PNG, 40×30 px)" in page
        assert 'value="a dog"' in page and 'id="references-2-name"' in page  # + a blank row
        assert await projects() == 0
        assert [p.suffix for p in uploads.iterdir()] == [".png"]  # only the valid image
        dog_id = re.search(r'name="references-1-id" value="([0-9a-f]{40})"', page).group(1)  # type: ignore[union-attr]

        # duplicate names: the API's 422 at the later row's name
        twice = await client.post(
            "/new",
            data={
                **fields,
                "references-0-name": "Rex",
                "references-0-id": dog_id,
                "references-1-name": "rex",
                "references-1-id": dog_id,
            },
        )
        assert twice.status_code == 422
        assert field_error(twice.text, "references-0-name") is None
        assert field_error(twice.text, "references-1-name") == "another reference has this name"
        assert await projects() == 0

        # "Add another reference image": the form again, uploads kept, nothing created
        more = await client.post(
            "/new",
            data={**fields, "references-0-name": "Mara", "add_reference": "1"},
            files={"references-0-file": ("mara.png", png("red"), "image/png")},
        )
        assert more.status_code == 200 and await projects() == 0
        mara_id = re.search(r'name="references-0-id" value="([0-9a-f]{40})"', more.text).group(1)  # type: ignore[union-attr]
        assert 'id="references-1-name"' in more.text

        # all good: generated with both references, by id (the same ids the API gives)
        api = await client.post(
            "/api/references",
            files={"file": ("x.png", png("red"), "image/png")},
            headers={"X-CSRF-Token": token},
        )
        assert api.status_code == 201 and api.json()["id"] == mara_id
        made = await client.post(
            "/new",
            data={
                **fields,
                "references-0-name": "Mara",
                "references-0-id": mara_id,
                "references-0-description": "a red-haired courier",
                "references-1-name": "Rex",
                "references-1-id": dog_id,
            },
        )
        assert made.status_code == 303, made.text
        project_id = made.headers["location"].rsplit("/", 1)[-1]
        detail = (await client.get(f"/api/projects/{project_id}")).json()
        assert [(r["name"], r["description"]) for r in detail["references"]] == [
            ("Mara", "a red-haired courier"),
            ("Rex", None),
        ]
        assert held.calls and str(held.calls[-1]) == project_id

        # Scenes as the storyboard writer names their references (rows set by hand here;
        # the browser test runs the real pipeline)
        async with app.state.sessions() as session:
            for index, names in enumerate((["Mara", "Rex"], [])):
                session.add(
                    Scene(
                        project_id=uuid.UUID(project_id), scene_index=index, references=names,
                        scene_description=f"scene {index}", start_frame_prompt="s",
                        end_frame_prompt="e", video_motion_prompt="m",
                    )
                )  # fmt: skip
            await session.commit()
        review = (await client.get(f"/projects/{project_id}/review")).text
        first, second = re.findall(
            r'<section class="panel review-scene.*?(?=<section )', review, re.S
        )
        chips = re.findall(r'<li><img src="([^"]+)"[^>]*> <span><strong>([^<]+)</strong>', first)
        assert chips == [
            (f"/api/projects/{project_id}/references/Mara", "Mara"),
            (f"/api/projects/{project_id}/references/Rex", "Rex"),
        ]
        assert "a red-haired courier" in first
        assert "No reference image in this scene." in second and "<strong>Mara" not in second
        image = await client.get(chips[0][0])
        assert image.status_code == 200 and image.content == png("red")
        page = (await client.get(f"/projects/{project_id}")).text
        assert "in scene 1" in page  # the project screen's References block
