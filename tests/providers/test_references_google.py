"""Reference images through the real google-genai client against the fake: the
storyboard writer describes an image given without a description (one billed call, in the
ledger, then cached by content hash), and every keyframe request of a scene that lists the
reference carries its bytes; no other request does."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from fake_google import FakeGoogle, b64decode
from PIL import Image, ImageDraw
from provider_env import google_settings
from remote_projects import ledger_rows, with_providers
from sqlalchemy.ext.asyncio import AsyncSession

from vidpipe.config import Settings
from vidpipe.db.queries import load_project
from vidpipe.orchestrator import run_pipeline
from vidpipe.orchestrator.projects import GenerateOptions, create_project, reference_specs
from vidpipe.orchestrator.references import parse_option
from vidpipe.providers.registry import load_registry

SMALL = {"scenes": 2, "clip_duration": 1.0, "resolution": "480p"}


def mara(path: Path) -> Path:
    image = Image.new("RGB", (120, 160), "white")
    draw = ImageDraw.Draw(image)
    draw.rectangle([40, 60, 80, 150], fill=(30, 60, 200))
    draw.chord([30, 10, 90, 70], 180, 360, fill=(220, 30, 20))
    image.save(path)
    return path


async def new_project(
    session: AsyncSession, settings: Settings, reference: str, idea: str
) -> uuid.UUID:
    options = GenerateOptions.model_validate({"prompt": idea, **SMALL})
    specs = reference_specs(options, settings, [parse_option(reference)])
    return (await create_project(session, settings, options, None, specs)).id


def inline_images(body: dict) -> list[bytes]:
    parts = body["contents"][0]["parts"]
    return [b64decode(p["inlineData"]["data"]) for p in parts if "inlineData" in p]


async def test_gemini_keyframes_carry_the_scene_references_and_the_writer_describes_them(
    session: AsyncSession,
    settings: Settings,
    google_fake: tuple[FakeGoogle, str],
    tmp_path: Path,
) -> None:
    fake, url = google_fake
    settings = with_providers(
        google_settings(settings, url, vertex=False), "google", "google", "local"
    )
    image = mara(tmp_path / "mara.png")
    project_id = await new_project(session, settings, f"Mara={image}", "Mara crosses the city")
    project = await run_pipeline(session, project_id, settings=settings, registry=load_registry())
    assert project.status == "complete", project.error_message

    described = fake.of_kind("generateContent:describe")
    assert len(described) == 1
    assert inline_images(described[0].body) == [image.read_bytes()]
    reference = project.references[0]
    assert reference.description == "a figure in blue and red"
    assert reference.description_source == "google"
    rows = await ledger_rows(session, project_id)
    assert [r.detail for r in rows if r.step == "storyboard"] == [
        "describe reference Mara",
        "storyboard",
    ]
    assert all(r.cost > 0 for r in rows if r.step == "storyboard")
    story = fake.of_kind("generateContent:text")[0].body["contents"][0]["parts"][0]["text"]
    assert "- Mara: a figure in blue and red" in story
    # the fake's writer puts every reference in the first scene only
    assert [s.references for s in project.scenes] == [["Mara"], []]

    requests = fake.of_kind("generateContent:image")
    assert len(requests) == 3  # chain positions 0 (scene 1), 1 (scenes 1 and 2), 2 (scene 2)
    carried = [image.read_bytes() in inline_images(r.body) for r in requests]
    assert carried == [True, True, False]
    assert "input image 2: Mara (a figure in blue and red)" in str(requests[1].body)

    # a second project with the same image: the description is reused, not paid again
    again = await new_project(session, settings, f"Mara={image}", "Mara again")
    await run_pipeline(session, again, settings=settings, registry=load_registry())
    assert len(fake.of_kind("generateContent:describe")) == 1
    assert (await load_project(session, again)).references[0].description == (
        "a figure in blue and red"
    )


@pytest.mark.filterwarnings("ignore:The edit_image method is deprecated")
async def test_imagen_takes_references_as_subject_references(
    session: AsyncSession,
    settings: Settings,
    google_fake: tuple[FakeGoogle, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake, url = google_fake
    # Imagen was shut down (2026-08-17) and `generate` refuses it; the provider's Imagen request
    # shape is still kept and checked here, past that refusal.
    monkeypatch.setattr("vidpipe.orchestrator.models.check_configured", lambda *a, **k: None)
    imagen = google_settings(settings, url, google_image_model="imagen-4.0-generate-001")
    settings = with_providers(imagen, "google", "google", "local")
    image = mara(tmp_path / "mara.png")
    project_id = await new_project(
        session, settings, f"Mara={image}::a courier in a blue coat", "Mara crosses the city"
    )
    project = await run_pipeline(session, project_id, settings=settings, registry=load_registry())
    assert project.status == "complete", project.error_message
    assert fake.count("generateContent:describe") == 0  # the user described her

    requests = fake.of_kind("predict")
    subjects = [
        [
            b64decode(r["referenceImage"]["bytesBase64Encoded"])
            for r in request.body["instances"][0].get("referenceImages", [])
            if r["referenceType"] == "REFERENCE_TYPE_SUBJECT"
        ]
        for request in requests
    ]
    assert subjects == [[image.read_bytes()], [image.read_bytes()], []]
    assert "[1]: Mara" in requests[0].body["instances"][0]["prompt"]  # start frame: subject [1]
    assert "[2]: Mara" in requests[1].body["instances"][0]["prompt"]  # end frame: raw [1]


async def test_gemini_is_given_an_enum_of_the_names_and_a_stray_costs_no_second_storyboard(
    session: AsyncSession,
    settings: Settings,
    google_fake: tuple[FakeGoogle, str],
    tmp_path: Path,
) -> None:
    """Vertex fills unconstrained arrays: with the names as an enum, a made-up one cannot come
    back, so one storyboard is paid for (before: refused and asked again, four times)."""
    fake, url = google_fake
    fake.stray_reference = "Ghost"
    settings = with_providers(google_settings(settings, url), "google", "local", "local")
    image = mara(tmp_path / "mara.png")
    options = GenerateOptions.model_validate(
        {"prompt": "Mara crosses the city", **SMALL, "pause_after": "storyboard"}
    )
    specs = reference_specs(options, settings, [parse_option(f"Mara={image}::a courier")])
    project = await create_project(session, settings, options, None, specs)
    project = await run_pipeline(session, project.id, settings=settings, registry=load_registry())
    assert project.status == "paused"
    (story,) = fake.of_kind("generateContent:text")
    config = story.body["generationConfig"]
    schema = config.get("responseJsonSchema") or config.get("responseSchema")
    field = schema["properties"]["scenes"]["items"]["properties"]["references"]
    assert field["items"]["enum"] == ["Mara"]
    assert {n for s in project.scenes for n in s.references} == {"Mara"}
    rows = [r for r in await ledger_rows(session, project.id) if r.step == "storyboard"]
    assert len(rows) == 1
