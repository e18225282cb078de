"""Whole projects through run_pipeline with real providers against the fakes.

Provider combinations, a cancel while a Veo operation is polled and the resume that polls the same
operation, a content-safety rejection, budgets, and an authentication failure.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from fake_comfyui import FakeComfyUI
from fake_google import FakeGoogle
from fake_openai import FakeOpenAI
from provider_env import comfyui_settings, google_settings, openai_settings
from pydantic import SecretStr
from remote_projects import new_project, spent, with_providers
from sqlalchemy.ext.asyncio import AsyncSession

from vidpipe.config import Settings
from vidpipe.db.queries import load_project
from vidpipe.errors import BadInputError, BudgetExceededError
from vidpipe.media.probe import probe
from vidpipe.orchestrator import run_pipeline
from vidpipe.orchestrator.projects import (
    GenerateOptions,
    check_budget,
    create_project,
    estimate_cost,
)
from vidpipe.orchestrator.report import project_document
from vidpipe.providers.calls import ProviderAuthError
from vidpipe.providers.registry import load_registry
from vidpipe.storage import ProjectStorage

VEO = {"scenes": 2, "clip_duration": 4.0, "resolution": "720p"}  # what Veo 3.1 takes
SMALL = {"scenes": 2, "clip_duration": 1.0, "resolution": "480p"}
# gemini-3.8-flash storyboard + gemini-3.1-flash-image keyframes + Veo 3.1 with audio, per second
GOOGLE_PRICES = (0.013, 0.067, 0.40)


def final_of(settings: Settings, project: Any) -> Any:
    return probe(ProjectStorage(settings.projects_dir, project.id).resolve(project.output_path))


# ---------------------------------------------------------------- combinations


async def test_google_google_google(
    session: AsyncSession, settings: Settings, google_fake: tuple[FakeGoogle, str]
) -> None:
    fake, url = google_fake
    settings = with_providers(google_settings(settings, url), "google", "google", "google")
    project_id = await new_project(session, settings, VEO)
    project = await run_pipeline(session, project_id, settings=settings, registry=load_registry())

    assert project.status == "complete"
    info = final_of(settings, project)
    assert (info.width, info.height, info.has_audio) == (1280, 720, True)
    assert info.duration == pytest.approx(8.0, abs=0.15)
    assert fake.count("generateContent:text") == 1
    images = fake.of_kind("generateContent:image")
    assert [len(r.body["contents"][0]["parts"]) for r in images] == [1, 2, 2]  # chained
    assert fake.count("predictLongRunning") == 2
    story, image, second = GOOGLE_PRICES
    assert await spent(session, project_id) == pytest.approx(story + 3 * image + 8 * second)


async def test_openai_comfyui_comfyui(
    session: AsyncSession,
    settings: Settings,
    openai_fake: tuple[FakeOpenAI, str],
    comfyui_fake: tuple[FakeComfyUI, str],
) -> None:
    (openai, openai_url), (comfy, comfy_url) = openai_fake, comfyui_fake
    settings = comfyui_settings(openai_settings(settings, openai_url), comfy_url)
    settings = with_providers(settings, "openai", "comfyui", "comfyui")
    project_id = await new_project(session, settings, {**SMALL, "scenes": 3})
    project = await run_pipeline(session, project_id, settings=settings, registry=load_registry())

    assert project.status == "complete"
    assert [s.clip.status for s in project.scenes if s.clip] == ["complete"] * 3
    assert final_of(settings, project).duration == pytest.approx(3 * 17 / 16, abs=0.2)
    assert openai.count() == 1
    assert len(comfy.graphs()) == 4 + 3  # 4 keyframes (1 text to image, 3 image to image), 3 clips
    assert comfy.count("upload") == 4  # each of the 4 keyframes once (by content hash)
    assert await spent(session, project_id) == pytest.approx(0.002)  # gpt-4o-mini; comfyui free


async def test_openai_storyboard_with_local_images_and_video(
    session: AsyncSession, settings: Settings, openai_fake: tuple[FakeOpenAI, str]
) -> None:
    fake, url = openai_fake
    settings = with_providers(openai_settings(settings, url), "openai", "local", "local")
    project_id = await new_project(session, settings, SMALL)
    project = await run_pipeline(session, project_id, settings=settings, registry=load_registry())
    assert project.status == "complete"
    assert project.scenes[0].start_frame_prompt == "a red fox in a snowy forest, moment 0"
    assert final_of(settings, project).duration == pytest.approx(2.0, abs=0.1)
    assert fake.count() == 1


async def test_gemini_api_storyboard_and_images_with_local_video(
    session: AsyncSession, settings: Settings, google_fake: tuple[FakeGoogle, str]
) -> None:
    fake, url = google_fake
    settings = with_providers(
        google_settings(settings, url, vertex=False), "google", "google", "local"
    )
    project_id = await new_project(session, settings, SMALL)
    project = await run_pipeline(session, project_id, settings=settings, registry=load_registry())
    assert project.status == "complete"
    assert all(r.path.startswith("/v1/models/") for r in fake.requests)  # the Gemini API
    assert fake.count("generateContent:image") == 3


async def test_clip_concurrency_is_capped_by_the_provider(
    session: AsyncSession, settings: Settings, comfyui_fake: tuple[FakeComfyUI, str]
) -> None:
    fake, url = comfyui_fake
    fake.video_seconds = 0.3
    settings = with_providers(comfyui_settings(settings, url), "local", "comfyui", "comfyui")
    project_id = await new_project(session, settings, {**SMALL, "scenes": 4})
    assert (
        await run_pipeline(session, project_id, settings=settings, registry=load_registry())
    ).status == "complete"
    # clip prompts in ComfyUI's queue (incl. the new one) each time one was queued
    assert len(fake.in_flight_videos) == 4
    assert max(fake.in_flight_videos) == 2  # ComfyUIVideoProvider.capabilities.max_concurrency


# ---------------------------------------------------------------- crash and resume


async def test_cancel_while_a_veo_operation_is_polled_then_resume_polls_it(
    session: AsyncSession, settings: Settings, google_fake: tuple[FakeGoogle, str]
) -> None:
    fake, url = google_fake
    settings = with_providers(google_settings(settings, url), "google", "google", "google")
    project_id = await new_project(session, settings, VEO)
    fake.hold.set()  # operations stay pending
    run = asyncio.create_task(
        run_pipeline(session, project_id, settings=settings, registry=load_registry())
    )
    # both operations committed and polled (a poll only follows the commit of the id)
    await _until(
        lambda: len({p.body["operationName"] for p in fake.of_kind("fetchPredictOperation")}) == 2
    )
    run.cancel()  # the process dies while both operations are being polled
    with pytest.raises(asyncio.CancelledError):
        await run
    project = await load_project(session, project_id)
    assert project.status == "failed" and "interrupted" in (project.error_message or "")
    committed = {s.clip.operation_id for s in project.scenes if s.clip}
    assert len(committed) == 2 and all(
        s.clip and s.clip.status == "submitted" for s in project.scenes
    )

    fake.hold.clear()
    polled_before = fake.count("fetchPredictOperation")
    project = await run_pipeline(session, project_id, settings=settings, registry=load_registry())
    assert project.status == "complete"
    assert fake.count("predictLongRunning") == 2  # nothing submitted twice
    resumed_polls = fake.of_kind("fetchPredictOperation")[polled_before:]
    assert {p.body["operationName"] for p in resumed_polls} == committed
    assert {s.clip.operation_id for s in project.scenes if s.clip} == committed
    assert fake.count("generateContent:text") == 1 and fake.count("generateContent:image") == 3


# ---------------------------------------------------------------- content safety


async def test_one_clip_rejected_for_content_safety_the_rest_is_stitched(
    session: AsyncSession, settings: Settings, google_fake: tuple[FakeGoogle, str]
) -> None:
    fake, url = google_fake
    fake.reject_video_when = "scene 1:"  # the fake storyboard's motion prompt of scene 1
    settings = with_providers(google_settings(settings, url), "google", "google", "google")
    project_id = await new_project(session, settings, {**VEO, "scenes": 3})
    project = await run_pipeline(session, project_id, settings=settings, registry=load_registry())

    assert project.status == "complete"
    assert [s.clip.status for s in project.scenes if s.clip] == [
        "complete",
        "rai_filtered",
        "complete",
    ]
    assert final_of(settings, project).duration == pytest.approx(8.0, abs=0.15)
    document = project_document(
        project, ProjectStorage(settings.projects_dir, project_id)
    ).as_json()
    (missing,) = document["missing_scenes"]
    assert missing["index"] == 1 and missing["clip_status"] == "rai_filtered"
    assert "content safety" in missing["reason"] and "Responsible AI" in missing["reason"]


# ---------------------------------------------------------------- budgets


async def test_over_budget_is_refused_before_any_call(
    settings: Settings, google_fake: tuple[FakeGoogle, str]
) -> None:
    fake, url = google_fake
    settings = with_providers(google_settings(settings, url), "google", "google", "google")
    options = GenerateOptions(prompt="a fox", max_cost=3.0, **VEO)  # type: ignore[arg-type]
    providers = load_registry().build(settings, "google", "google", "google")
    estimate = estimate_cost(options, providers)
    story, image, second = GOOGLE_PRICES
    assert estimate == pytest.approx(story + 3 * image + 2 * 4 * second)  # 3.414
    with pytest.raises(BadInputError, match="budget exceeded: the estimate is \\$3.41"):
        check_budget(options, estimate)
    assert fake.requests == []


async def test_mid_run_overspend_stops_before_the_call_then_resumes_with_more_budget(
    session: AsyncSession, settings: Settings, google_fake: tuple[FakeGoogle, str]
) -> None:
    """The ledger is checked before every paid call: $2 pays the storyboard, three keyframes and
    one 4 s clip ($1.81), not the second clip. (The start-up estimate check is skipped here.)"""
    fake, url = google_fake
    settings = with_providers(google_settings(settings, url), "google", "google", "google")
    options = GenerateOptions(prompt="a fox", max_cost=2.0, **VEO)  # type: ignore[arg-type]
    project_id = (await create_project(session, settings, options)).id
    with pytest.raises(BudgetExceededError):
        await run_pipeline(session, project_id, settings=settings, registry=load_registry())
    project = await load_project(session, project_id)
    assert project.status == "failed"
    assert "BudgetExceededError: budget exceeded: spent $1.81, next call $1.60, max $2.00" in (
        project.error_message or ""
    )
    assert fake.count("predictLongRunning") == 1  # the second clip was never asked for
    story, image, second = GOOGLE_PRICES
    assert await spent(session, project_id) == pytest.approx(story + 3 * image + 4 * second)
    (first,) = [s.clip.operation_id for s in project.scenes if s.clip and s.clip.operation_id]

    project.max_cost = 5.0  # what `resume --max-cost 5` would set
    await session.commit()
    project = await run_pipeline(session, project_id, settings=settings, registry=load_registry())
    assert project.status == "complete"
    assert fake.count("predictLongRunning") == 2  # the first operation was polled, not redone
    assert first in {p.body["operationName"] for p in fake.of_kind("fetchPredictOperation")}
    assert await spent(session, project_id) == pytest.approx(story + 3 * image + 8 * second)


# ---------------------------------------------------------------- authentication


async def test_a_bad_key_fails_the_project_with_one_line_and_no_retries(
    session: AsyncSession, settings: Settings, google_fake: tuple[FakeGoogle, str]
) -> None:
    fake, url = google_fake
    settings = with_providers(
        google_settings(settings, url, vertex=False, google_api_key=SecretStr("wrong")),
        "google",
        "local",
        "local",
    )
    project_id = await new_project(session, settings, SMALL)
    with pytest.raises(ProviderAuthError):
        await run_pipeline(session, project_id, settings=settings, registry=load_registry())
    project = await load_project(session, project_id)
    message = project.error_message or ""
    assert message.startswith(
        "storyboard failed: ProviderAuthError: google refused the credentials"
    )
    assert message.endswith("check VIDPIPE_GOOGLE_API_KEY") and "\n" not in message
    assert len(fake.requests) == 1


async def _until(predicate: Any, timeout: float = 60) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError("timed out waiting")
        await asyncio.sleep(0.02)
