"""Today's Google models, chosen per video and per take, through the real google-genai SDK against
the fake: Gemini Omni through the Interactions API (first + last frame, both modes, the draft
tier, resume by id, a lost submit answer), a mixed project (Gemini storyboard, Gemini image
keyframes, Veo clips, one scene redone on Omni), select with no call, `edit --video-model` making
exactly the clips stale and priced by the catalog, and a model Google stopped serving mid-run."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from fake_google import FakeGoogle, b64decode
from provider_env import google_settings, vertex_project_settings
from remote_projects import new_project, spent, with_providers
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from vidpipe.config import Settings
from vidpipe.db.models import Take
from vidpipe.db.queries import load_project
from vidpipe.media.probe import probe
from vidpipe.orchestrator import run_pipeline
from vidpipe.orchestrator.edits import Editor, ProjectEdit
from vidpipe.orchestrator.pipeline import plan_project
from vidpipe.orchestrator.projects import approve_resubmissions
from vidpipe.orchestrator.report import takes_document
from vidpipe.pipeline.video_gen import SubmissionUnknownError
from vidpipe.providers.base import VideoRequest
from vidpipe.providers.google import GoogleVideoProvider
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
    if mode == "vertex-project":
        assert "/projects/fake-project/locations/us-central1/interactions" in created.path
        assert created.headers["authorization"] == f"Bearer {fake.access_token}"
    body = created.body
    assert (body["model"], body["background"]) == (OMNI, True)
    parts = [p for turn in body["input"] for p in turn["content"]]
    images = [b64decode(p["data"]) for p in parts if p["type"] == "image"]
    assert images == [request.start_image.read_bytes(), request.end_image.read_bytes()]
    assert body["response_format"] == {
        "type": "video",
        "aspect_ratio": "16:9",
        "resolution": "720p",
        "duration": "4s",
        "delivery": "inline",
    }
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
