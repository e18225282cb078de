"""A project spoken by the Google voice, resumed where the Google key is not set: the voice
cannot be built, and the run is recorded as failed with what to set (not left open, the
project still `paused`); with the key, the resume speaks the lines and completes."""

from __future__ import annotations

from fake_google import FakeGoogle
from provider_env import google_settings
from remote_projects import runs_of
from sqlalchemy.ext.asyncio import AsyncSession

from vidpipe.config import Settings
from vidpipe.db.models import Project
from vidpipe.db.queries import load_project
from vidpipe.errors import PipelineError
from vidpipe.orchestrator import run_pipeline
from vidpipe.orchestrator.projects import GenerateOptions, create_project
from vidpipe.providers.registry import load_registry


async def test_a_voice_without_its_key_fails_the_resume_recorded_and_the_key_fixes_it(
    google_fake: tuple[FakeGoogle, str], session: AsyncSession, settings: Settings
) -> None:
    fake, url = google_fake
    keyed = google_settings(settings, url, vertex=False, narration_provider="google")
    options = GenerateOptions.model_validate(
        {"prompt": "a keeper lights the lamp", "scenes": 2, "clip_duration": 2.0,
         "resolution": "480p", "narration": True, "pause_after": "storyboard"}
    )  # fmt: skip
    project_id = (await create_project(session, keyed, options)).id
    registry = load_registry()
    paused = await run_pipeline(session, project_id, settings=keyed, registry=registry)
    assert paused.status == "paused" and any(scene.narration for scene in paused.scenes)

    keyless = keyed.model_copy(update={"google_api_key": None})
    try:
        await run_pipeline(session, project_id, settings=keyless, registry=registry)
    except PipelineError as exc:  # recorded on the project: a failure, not a refusal
        assert "VIDPIPE_GOOGLE_API_KEY" in str(exc)
    else:
        raise AssertionError("the resume ran without the voice's key")
    project = await session.get(Project, project_id, populate_existing=True)
    assert project is not None and project.status == "failed"
    assert (project.error_message or "").startswith(
        "plan failed: BadInputError: the google provider needs an API key: "
        "set VIDPIPE_GOOGLE_API_KEY"
    )
    runs = await runs_of(session, project_id)
    assert [run.status for run in runs] == ["paused", "failed"]
    assert runs[-1].error == project.error_message and runs[-1].completed_at is not None
    assert fake.count("generateContent:speech") == 0

    project = await run_pipeline(session, project_id, settings=keyed, registry=registry)
    assert project.status == "complete" and project.error_message is None
    assert fake.count("generateContent:speech") == sum(1 for s in project.scenes if s.narration)
    assert (await load_project(session, project_id)).stop_requested_at is None
