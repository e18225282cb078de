"""Today's Google models, chosen per video and per take, through the real google-genai SDK against
the fake: Gemini Omni through the Interactions API (first + last frame, both modes, the draft
tier, resume by id, states that end the wait, the fake's own strictness, a lost submit answer),
a mixed project (Gemini storyboard, Gemini image
keyframes, Veo clips, one scene redone on Omni), select with no call, `edit --video-model` making
exactly the clips stale and priced by the catalog, and a model Google stopped serving mid-run."""

from __future__ import annotations

import base64
import re
from pathlib import Path
from typing import Any

import pytest
from fake_google import FakeGoogle, b64decode
from provider_env import google_settings, vertex_project_settings
from remote_projects import new_project, spent, with_providers
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from vidpipe.config import Settings
from vidpipe.db.models import Take
from vidpipe.db.queries import load_project
from vidpipe.errors import OperationFailedError
from vidpipe.media.probe import probe
from vidpipe.orchestrator import run_pipeline
from vidpipe.orchestrator.edits import Editor, ProjectEdit
from vidpipe.orchestrator.pipeline import plan_project
from vidpipe.orchestrator.projects import approve_resubmissions
from vidpipe.orchestrator.report import takes_document
from vidpipe.pipeline.video_gen import SubmissionUnknownError
from vidpipe.providers.base import VideoRequest
from vidpipe.providers.google import GoogleVideoProvider
from vidpipe.providers.google.client import make_client
from vidpipe.providers.registry import load_registry
from vidpipe.storage import ProjectStorage

Fake = tuple[FakeGoogle, str]
OMNI = "gemini-omni-1.1-flash"
VEO = {"scenes": 2, "clip_duration": 4.0, "resolution": "720p"}


def frames(tmp_path: Path, width: int = 1280, height: int = 720) -> tuple[Path, Path]:
    from artifacts import png_from_prompt

    start, end = tmp_path / "start.png", tmp_path / "end.png"
    start.write_bytes(png_from_prompt("a fox at the edge", width, height))
    end.write_bytes(png_from_prompt("the fox in the clearing", width, height))
    return start, end


def omni_request(tmp_path: Path, *, resolution: int = 720) -> VideoRequest:
    width = resolution * 16 // 9 // 2 * 2
    start, end = frames(tmp_path, width, resolution)
    return VideoRequest("the fox trots", start, end, 4.0, width, resolution, "16:9", 24, 0)


# ---------------------------------------------------------------- Gemini Omni


@pytest.mark.parametrize("mode", ["gemini-api", "vertex-project"])
async def test_omni_makes_a_clip_between_the_two_frames(
    google_fake: Fake, base_settings: Settings, tmp_path: Path, mode: str
) -> None:
    fake, url = google_fake
    if mode == "gemini-api":
        settings = google_settings(base_settings, url, vertex=False, google_video_model=OMNI)
    else:
        settings = vertex_project_settings(base_settings, url, tmp_path, google_video_model=OMNI)
    provider = GoogleVideoProvider(settings)
    request = omni_request(tmp_path)
    interaction = await provider.submit(request)
    fresh = GoogleVideoProvider(settings)  # as after a crash: polls the same id
    result = await fresh.wait(interaction, request, tmp_path / "clip.mp4")

    (created,) = fake.of_kind("interactions.create")
    assert created.path.endswith("/interactions")
    body = created.body
    if mode == "vertex-project":  # Vertex AI's id for the model, in the one region serving it
        assert "/projects/fake-project/locations/global/interactions" in created.path
        assert created.headers["authorization"] == f"Bearer {fake.access_token}"
        assert body["model"] == "gemini-omni-1.1-flash-preview"
    else:
        assert body["model"] == OMNI
    # the shape of Google's interpolation sample: one user turn of text, first frame, last frame
    assert body["background"] is True
    (turn,) = body["input"]
    assert turn["type"] == "user_input"
    assert [p["type"] for p in turn["content"]] == ["text", "image", "image"]
    images = [b64decode(p["data"]) for p in turn["content"] if p["type"] == "image"]
    assert images == [request.start_image.read_bytes(), request.end_image.read_bytes()]
    assert body["generation_config"] == {"video_config": {"task": "image_to_video"}}
    assert body["response_format"] == {
        "type": "video",
        "aspect_ratio": "16:9",
        "resolution": "720p",
        "duration": "4s",
        "delivery": "inline",
    }
    assert set(body) == {"model", "background", "input", "generation_config", "response_format"}
    assert {p.path.rsplit("/", 1)[-1] for p in fake.of_kind("interactions.get")} == {interaction}
    info = probe(tmp_path / "clip.mp4")
    assert result.has_audio and info.has_audio
    assert info.duration == pytest.approx(4.0, abs=0.1)
    assert fake.billed("interactions.create") == 1
    assert provider.price_per_second == pytest.approx(0.10)


async def test_omni_draft_tier_is_360p(
    google_fake: Fake, base_settings: Settings, tmp_path: Path
) -> None:
    fake, url = google_fake
    provider = GoogleVideoProvider(
        google_settings(base_settings, url, vertex=False, google_video_model=OMNI)
    )
    assert "360p" in provider.capabilities.resolutions
    request = omni_request(tmp_path, resolution=360)
    await provider.wait(await provider.submit(request), request, tmp_path / "draft.mp4")
    (created,) = fake.of_kind("interactions.create")
    assert created.body["response_format"]["resolution"] == "360p"
    refused = provider.refusal(4, "1:1", "720p")
    assert refused is not None and refused.field == "aspect_ratio"
    assert str(refused) == "1:1; gemini-omni-1.1-flash takes 16:9, 9:16"
    assert "takes 3, 4, 5, 6, 7, 8, 9, 10 seconds" in str(provider.refusal(12, "16:9", "720p"))


@pytest.mark.parametrize("status", ["budget_exceeded", "requires_action", "cancelled"])
async def test_an_omni_interaction_that_stops_short_fails_at_once(
    google_fake: Fake, base_settings: Settings, tmp_path: Path, status: str
) -> None:
    """A state that will not change by itself ends the wait (failed, naming the state) instead
    of being polled until the time-out; queued and in_progress are waited on."""
    fake, url = google_fake
    fake.polls_before_done = 3  # queued, in_progress, then the injected state
    fake.inject("interactions.get", None, None, f"status:{status}")
    provider = GoogleVideoProvider(
        google_settings(base_settings, url, vertex=False, google_video_model=OMNI)
    )
    request = omni_request(tmp_path)
    interaction = await provider.submit(request)
    with pytest.raises(OperationFailedError, match=f"ended {status}"):
        await provider.wait(interaction, request, tmp_path / "clip.mp4")
    assert fake.count("interactions.get") == 3
    assert not (tmp_path / "clip.mp4").exists()


async def test_the_fake_refuses_what_the_interactions_api_does_not_define(
    google_fake: Fake, base_settings: Settings, tmp_path: Path
) -> None:
    """The fake answers a misnamed field, a bad value or the other mode's model id as Google
    does, so a request vidpipe got wrong cannot pass the tests above."""
    fake, url = google_fake
    settings = google_settings(base_settings, url, vertex=False)
    start, end = frames(tmp_path)
    parts = [
        {"type": "text", "text": "the fox trots"},
        *(
            {
                "type": "image",
                "mime_type": "image/png",
                "data": base64.b64encode(f.read_bytes()).decode(),
            }
            for f in (start, end)
        ),
    ]
    good = {"type": "video", "aspect_ratio": "16:9", "duration": "4s", "delivery": "inline"}
    wrong: list[tuple[dict[str, Any], str]] = [
        ({"response_format": {**good, "fps": 24}}, 'Unknown name "fps" at'),
        ({"response_format": {**good, "duration": "4"}}, "response_format.duration"),
        ({"response_format": {**good, "delivery": "url"}}, "response_format.delivery"),
        ({"generation_config": {"video_config": {"task": "interpolate"}}}, "task"),
        ({"generation_config": {"video_config": {"last_frame": 1}}}, 'Unknown name "last_frame"'),
        ({"extra_body": {"first_frame": 0}}, 'Unknown name "first_frame"'),  # past the SDK
        ({"model": "gemini-omni-1.1-flash-preview"}, "not found"),
    ]
    client = make_client(settings)
    try:
        for change, error in wrong:
            call = {"model": OMNI, "input": parts, "background": True, "response_format": good}
            with pytest.raises(Exception, match=re.escape(error)):
                await client.aio.interactions.create(**{**call, **change})
    finally:
        await client.aio.aclose()
    assert fake.billed("interactions.create") == 0


async def test_a_lost_omni_submit_answer_is_not_sent_again_without_consent(
    session: AsyncSession, settings: Settings, google_fake: Fake
) -> None:
    fake, url = google_fake
    fake.hang_seconds = 2.0
    settings = google_settings(
        settings, url, vertex=False, google_video_model=OMNI, provider_submit_timeout_seconds=0.5
    )
    settings = with_providers(settings, "google", "google", "google")
    project_id = await new_project(session, settings, {**VEO, "scenes": 1})
    fake.inject("interactions.create", "slow_answer")  # carried out and billed, answer lost
    with pytest.raises(SubmissionUnknownError):
        await run_pipeline(session, project_id, settings=settings, registry=load_registry())
    assert (fake.count("interactions.create"), fake.billed("interactions.create")) == (1, 1)
    project = await load_project(session, project_id)
    assert project.scenes[0].clip.status == "submit_unknown"
    with pytest.raises(SubmissionUnknownError):  # a plain resume does not send it again
        await run_pipeline(session, project_id, settings=settings, registry=load_registry())
    assert fake.count("interactions.create") == 1

    assert await approve_resubmissions(session, project_id) == [1]  # the user's consent
    project = await run_pipeline(session, project_id, settings=settings, registry=load_registry())
    assert project.status == "complete"
    assert fake.count("interactions.create") == 2


# ---------------------------------------------------------------- the model per video and take


async def test_a_mixed_project_with_one_scene_redone_on_omni(
    session: AsyncSession, settings: Settings, google_fake: Fake
) -> None:
    """Storyboard gemini-3.8-flash, keyframes gemini-3.1-flash-image, clips Veo 3.1 (all chosen
    per video); scene 2 redone on Omni; `takes` shows both models and their costs; `select`
    goes back with no call; `edit --video-model` makes exactly the clips stale, priced by the
    catalog."""
    fake, url = google_fake
    settings = google_settings(settings, url)  # Vertex AI: Veo and Omni both
    project_id = await new_project(
        session,
        settings,
        {
            **VEO,
            "storyboard_model": "google:gemini-3.8-flash",
            "image_model": "google:gemini-3.1-flash-image",
            "video_model": "google:veo-3.1-generate-001",
        },
    )
    project = await run_pipeline(session, project_id, settings=settings, registry=load_registry())
    assert project.status == "complete"
    assert (project.storyboard_provider, project.video_model) == ("google", "veo-3.1-generate-001")
    assert {
        r.path.split("models/")[1].split(":")[0] for r in fake.of_kind("generateContent:text")
    } == {"gemini-3.8-flash"}
    assert fake.count("generateContent:image") == 3
    assert fake.count("predictLongRunning") == 2

    registry = load_registry()
    editor = Editor(session, settings, registry)
    await editor.redo(project_id, 2, "clip", None, model=f"google:{OMNI}")
    plan = await plan_project(session, project_id, settings=settings, registry=registry)
    assert [(i.kind, i.scene, i.cost) for i in plan.items if i.kind == "clip"] == [
        ("clip", 2, pytest.approx(4 * 0.10))  # Omni's catalog price, not Veo's
    ]
    project = await run_pipeline(session, project_id, settings=settings, registry=load_registry())
    assert project.status == "complete"
    assert (fake.count("interactions.create"), fake.count("predictLongRunning")) == (1, 2)
    assert project.scenes[1].video_model == f"google:{OMNI}"

    document = (await takes_document(session, settings, project_id, 2)).as_json()
    clips = [t for t in document["takes"] if t["slot"] == "clip"]
    assert [(t["take"], t["model"], t["selected"]) for t in clips] == [
        (1, "google:veo-3.1-generate-001", False),
        (2, f"google:{OMNI}", True),
    ]
    assert [t["cost"] for t in clips] == [pytest.approx(4 * 0.40), pytest.approx(4 * 0.10)]
    keyframes = [t["model"] for t in document["takes"] if t["slot"] != "clip"]
    assert set(keyframes) == {"google:gemini-3.1-flash-image"}

    before = len(fake.requests)
    await editor.select(project_id, 2, 1)  # back to the Veo take
    project = await load_project(session, project_id)
    assert project.scenes[1].video_model is None  # the project's model again
    plan = await plan_project(session, project_id, settings=settings, registry=registry)
    assert [i.kind for i in plan.items] == ["stitch"]  # nothing to make, only re-stitch
    assert len(fake.requests) == before  # no call at all

    await editor.edit(
        project_id, project_edit=ProjectEdit(video_model="google:veo-3.1-fast-generate-001")
    )
    plan = await plan_project(session, project_id, settings=settings, registry=registry)
    assert [(i.kind, i.scene, i.cost) for i in plan.items] == [
        ("clip", 1, pytest.approx(4 * 0.15)),  # Veo 3.1 Fast with audio, from the catalog
        ("clip", 2, pytest.approx(4 * 0.15)),
        ("stitch", None, 0.0),
    ]
    assert len(fake.requests) == before
    rows = await session.scalars(select(Take).where(Take.project_id == project_id))
    assert {t.model for t in rows if t.slot == "clip"} == {
        "google:veo-3.1-generate-001",
        f"google:{OMNI}",
    }
    assert await spent(session, project_id) == pytest.approx(0.013 + 3 * 0.067 + 8 * 0.40 + 0.40)


async def test_a_model_google_stopped_serving_is_one_line_and_the_project_resumes(
    session: AsyncSession, settings: Settings, google_fake: Fake
) -> None:
    fake, url = google_fake
    settings = with_providers(google_settings(settings, url), "google", "local", "local")
    project_id = await new_project(session, settings, {"scenes": 1, "clip_duration": 1.0})
    fake.served.discard("gemini-3.8-flash")  # withdrawn between generate and the call
    with pytest.raises(Exception) as failed:
        await run_pipeline(session, project_id, settings=settings, registry=load_registry())
    message = str(failed.value)
    assert "does not serve gemini-3.8-flash" in message
    assert "VIDPIPE_GOOGLE_STORYBOARD_MODEL" in message and "vidpipe models" in message
    project = await load_project(session, project_id)
    assert project.status == "failed" and "\n" not in (project.error_message or "")
    assert await spent(session, project_id) == 0  # a 404 is not billed

    fake.served.add("gemini-3.8-flash")
    project = await run_pipeline(session, project_id, settings=settings, registry=load_registry())
    assert project.status == "complete"
    output = ProjectStorage(settings.projects_dir, project_id).resolve(project.output_path)
    assert base64.b64encode(output.read_bytes()[:4])  # a real file
