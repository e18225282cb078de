"""An OpenAI-compatible vision model describes a reference given without a description:
one billed chat completion with the image as a data URL, in the ledger; a model that does not see
images (the default for a non-OpenAI endpoint) is never sent one."""

from __future__ import annotations

import base64
import logging
from pathlib import Path

import pytest
from fake_openai import FakeOpenAI
from PIL import Image
from provider_env import openai_settings
from remote_projects import ledger_rows, with_providers
from sqlalchemy.ext.asyncio import AsyncSession

from vidpipe.config import Settings
from vidpipe.orchestrator import run_pipeline
from vidpipe.orchestrator.projects import GenerateOptions, create_project, reference_specs
from vidpipe.orchestrator.references import parse_option
from vidpipe.providers.registry import load_registry

OPTIONS = {"prompt": "Mara at the harbour", "scenes": 2, "pause_after": "storyboard"}


async def storyboard_with(session: AsyncSession, settings: Settings, reference: str) -> object:
    options = GenerateOptions.model_validate(OPTIONS)
    specs = reference_specs(options, settings, [parse_option(reference)])
    project = await create_project(session, settings, options, None, specs)
    return await run_pipeline(session, project.id, settings=settings, registry=load_registry())


async def test_a_vision_model_describes_the_reference_once(
    session: AsyncSession,
    settings: Settings,
    openai_fake: tuple[FakeOpenAI, str],
    tmp_path: Path,
) -> None:
    fake, url = openai_fake
    image = tmp_path / "mara.jpg"
    Image.new("RGB", (40, 60), "red").save(image, format="JPEG")
    vision = openai_settings(settings, url, openai_vision=True)
    project = await storyboard_with(
        session, with_providers(vision, "openai", "local", "local"), f"Mara={image}"
    )
    assert project.status == "paused"  # type: ignore[attr-defined]
    (described,) = [r for r in fake.requests if r.kind == "describe"]
    (part,) = [p for p in described.body["messages"][0]["content"] if p["type"] == "image_url"]
    head, data = part["image_url"]["url"].split(",", 1)
    assert head == "data:image/jpeg;base64" and base64.b64decode(data) == image.read_bytes()
    reference = project.references[0]  # type: ignore[attr-defined]
    assert reference.description == "a character drawn in a image/jpeg image"
    assert reference.description_source == "openai"
    rows = await ledger_rows(session, project.id)  # type: ignore[attr-defined]
    assert [r.detail for r in rows] == ["describe reference Mara", "storyboard"]
    (story,) = [r for r in fake.requests if r.kind == "chat"]
    assert "- Mara: a character drawn in a image/jpeg image" in story.body["messages"][1]["content"]


async def test_without_vision_the_writer_gets_the_name_only(
    session: AsyncSession,
    settings: Settings,
    openai_fake: tuple[FakeOpenAI, str],
    tmp_path: Path,
) -> None:
    fake, url = openai_fake
    image = tmp_path / "mara.png"
    Image.new("RGB", (40, 60), "red").save(image)
    plain = with_providers(openai_settings(settings, url), "openai", "local", "local")
    project = await storyboard_with(session, plain, f"Mara={image}")
    assert project.status == "paused"  # type: ignore[attr-defined]
    assert [r.kind for r in fake.requests] == ["chat"]
    assert (
        "- Mara: (no description; use the name)" in fake.requests[0].body["messages"][1]["content"]
    )


async def test_the_schema_names_only_the_projects_references_and_a_stray_costs_nothing(
    session: AsyncSession,
    settings: Settings,
    openai_fake: tuple[FakeOpenAI, str],
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A writer that fills every array: the strict schema's enum keeps a made-up name out (one
    paid storyboard); without a schema (JSON mode) the stray name is dropped with a warning
    instead of paying for another storyboard."""
    fake, url = openai_fake
    fake.stray_reference = "Ghost"
    image = tmp_path / "mara.png"
    Image.new("RGB", (40, 60), "red").save(image)
    plain = with_providers(openai_settings(settings, url), "openai", "local", "local")
    project = await storyboard_with(session, plain, f"Mara={image}")
    assert project.status == "paused"  # type: ignore[attr-defined]
    (chat,) = [r for r in fake.requests if r.kind == "chat"]  # one storyboard, paid once
    schema = chat.body["response_format"]["json_schema"]["schema"]
    field = schema["properties"]["scenes"]["items"]["properties"]["references"]
    assert field["items"] == {"type": "string", "enum": ["Mara"]}
    names = {n for s in project.scenes for n in s.references}  # type: ignore[attr-defined]
    assert names == {"Mara"}

    fake.requests.clear()
    json_mode = openai_settings(settings, url, openai_json_mode="json_object")
    with caplog.at_level(logging.WARNING):
        project = await storyboard_with(
            session, with_providers(json_mode, "openai", "local", "local"), f"Mara={image}"
        )
    assert project.status == "paused"  # type: ignore[attr-defined]
    assert [r.kind for r in fake.requests] == ["chat"]  # dropped, not asked again
    names = {n for s in project.scenes for n in s.references}  # type: ignore[attr-defined]
    assert names == {"Mara"}
    assert any("Ghost" in r.getMessage() for r in caplog.records if r.levelno == logging.WARNING)


async def test_without_references_the_schema_allows_none(
    session: AsyncSession, settings: Settings, openai_fake: tuple[FakeOpenAI, str]
) -> None:
    fake, url = openai_fake
    fake.stray_reference = "Ghost"
    plain = with_providers(openai_settings(settings, url), "openai", "local", "local")
    options = GenerateOptions.model_validate(OPTIONS)
    project = await create_project(session, plain, options)
    project = await run_pipeline(session, project.id, settings=plain, registry=load_registry())
    assert project.status == "paused"
    (chat,) = [r for r in fake.requests if r.kind == "chat"]
    schema = chat.body["response_format"]["json_schema"]["schema"]
    assert schema["properties"]["scenes"]["items"]["properties"]["references"]["maxItems"] == 0
    assert all(s.references == [] for s in project.scenes)
