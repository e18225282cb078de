"""Sound in the storyboard and in Veo prompts, through the real SDKs against the fakes: what the
writers are told and the schema they get, and which clip prompts carry dialogue and sound."""

from __future__ import annotations

from typing import Any

import pytest
from fake_fal import FakeFal
from fake_google import FakeGoogle
from fake_openai import FakeOpenAI, strict_problem
from provider_env import fal_settings, google_settings, openai_settings
from remote_projects import new_project, with_providers
from sqlalchemy.ext.asyncio import AsyncSession

from vidpipe.config import Settings
from vidpipe.db.queries import load_project
from vidpipe.orchestrator import run_pipeline
from vidpipe.orchestrator.edits import Editor, SceneEdit, dialogue_option
from vidpipe.orchestrator.pipeline import plan_project
from vidpipe.providers.base import StoryboardRequest
from vidpipe.providers.google import GoogleStoryboardProvider
from vidpipe.providers.openai_compat import OpenAIStoryboardProvider
from vidpipe.providers.registry import load_registry

SOUND = ("dialogue", "narration", "sound")


def request(**sound: bool) -> StoryboardRequest:
    return StoryboardRequest("Ada keeps a lighthouse", "noir", "16:9", 4.0, 2, **sound)


def scene_item(schema: dict[str, Any]) -> dict[str, Any]:
    return schema["properties"]["scenes"]["items"]


async def test_openai_gets_the_sound_fields_in_a_strict_schema_only_when_asked(
    openai_fake: tuple[FakeOpenAI, str], base_settings: Settings
) -> None:
    fake, url = openai_fake
    provider = OpenAIStoryboardProvider(openai_settings(base_settings, url))
    plain = await provider.write_storyboard(request())
    voiced = await provider.write_storyboard(request(narration=True, dialogue=True))

    first, second = (r.body for r in fake.requests)
    assert not set(SOUND) & set(
        scene_item(first["response_format"]["json_schema"]["schema"])["properties"]
    )
    assert "Sound fields" not in first["messages"][0]["content"]
    assert all(s.narration == "" and not s.dialogue for s in plain.scenes)

    schema = second["response_format"]["json_schema"]["schema"]
    item = scene_item(schema)
    assert set(SOUND) <= set(item["required"])  # strict: every field required, empty allowed
    assert item["properties"]["dialogue"]["items"]["required"] == ["speaker", "line"]
    assert strict_problem(schema) is None
    system = second["messages"][0]["content"]
    assert "- narration: one voice-over line per scene" in system
    assert "at most 10 words" in system  # 4 s at 2.5 words a second
    assert "- dialogue: the lines spoken on screen" in system
    assert '- sound: always ""' in system
    assert [s.narration for s in voiced.scenes] == ["narration of scene 0", "narration of scene 1"]
    assert voiced.scenes[0].dialogue[0].speaker == "Ada"


async def test_openai_json_mode_puts_the_sound_fields_in_the_instructions(
    openai_fake: tuple[FakeOpenAI, str], base_settings: Settings
) -> None:
    fake, url = openai_fake
    settings = openai_settings(base_settings, url, openai_json_mode="json_object")
    storyboard = await OpenAIStoryboardProvider(settings).write_storyboard(request(narration=True))
    system = fake.requests[0].body["messages"][0]["content"]
    assert '"narration"' in system and "JSON schema" in system
    assert storyboard.scenes[1].narration == "narration of scene 1"


async def test_gemini_gets_the_sound_fields_and_instructions_only_when_asked(
    google_fake: tuple[FakeGoogle, str], base_settings: Settings
) -> None:
    fake, url = google_fake
    provider = GoogleStoryboardProvider(google_settings(base_settings, url, vertex=False))
    await provider.write_storyboard(request())
    storyboard = await provider.write_storyboard(request(dialogue=True, sound=True))

    first, second = (r.body for r in fake.of_kind("generateContent:text"))
    plain_item = scene_item(first["generationConfig"]["responseJsonSchema"])
    assert not set(SOUND) & set(plain_item["properties"])
    item = scene_item(second["generationConfig"]["responseJsonSchema"])
    assert set(SOUND) <= set(item["properties"]) and set(SOUND) <= set(item["required"])
    system = second["systemInstruction"]["parts"][0]["text"]
    assert '- narration: always ""' in system
    assert "- dialogue: the lines spoken on screen" in system
    assert "SFX:" in system and "Ambient noise:" in system
    assert storyboard.scenes[0].sound == "Ambient noise: wind, scene 0"


# ---------------------------------------------------------------- Veo: native audio


async def test_veo_gets_dialogue_in_the_prompts_of_exactly_the_scenes_that_have_it(
    session: AsyncSession, settings: Settings, google_fake: tuple[FakeGoogle, str]
) -> None:
    fake, url = google_fake
    settings = with_providers(google_settings(settings, url), "google", "google", "google")
    options = {"scenes": 3, "clip_duration": 4.0, "resolution": "720p", "dialogue": True}
    project_id = await new_project(session, settings, options)
    project = await run_pipeline(session, project_id, settings=settings, registry=load_registry())
    assert project.status == "complete"

    # the fake writer gives scene 1 a line; Veo makes audio, so sound was asked for too
    assert [len(s.dialogue or []) for s in project.scenes] == [1, 0, 0]
    prompts = [r.body["instances"][0]["prompt"] for r in fake.of_kind("predictLongRunning")]
    by_scene = sorted(prompts, key=lambda p: p.split(":", 1)[0])  # "scene i: the camera ..."
    assert 'Ada says: "line 0"' in by_scene[0]
    assert all("says:" not in p for p in by_scene[1:])
    assert [f"Ambient noise: wind, scene {i}" in p for i, p in enumerate(by_scene)] == [True] * 3

    # editing the dialogue of scene 2 makes exactly that clip stale; narration makes none
    edits = Editor(session, settings, load_registry())
    await edits.edit(project_id, scene_number=3, scene_edit=SceneEdit(narration="Later."))
    after = await plan_project(session, project_id, settings=settings, registry=load_registry())
    assert not {item.kind for item in after.items} & {"keyframe", "clip"}
    lines = dialogue_option(['Ada: Who "rings" there?'])
    await edits.edit(project_id, scene_number=2, scene_edit=SceneEdit(dialogue=lines))
    plan = (
        (await plan_project(session, project_id, settings=settings, registry=load_registry()))
        .document()
        .as_json()
    )
    assert (plan["clips"], plan["keyframes"]) == ([2], [])

    project = await run_pipeline(session, project_id, settings=settings, registry=load_registry())
    assert project.status == "complete"
    latest = fake.of_kind("predictLongRunning")[-1].body["instances"][0]["prompt"]
    assert latest.startswith("scene 1:")
    assert "Ada says: \"Who 'rings' there?\"" in latest
    assert fake.count("predictLongRunning") == 4
    assert (await load_project(session, project_id)).scenes[2].narration == "Later."


async def test_veo_without_audio_gets_no_dialogue(
    session: AsyncSession, settings: Settings, google_fake: tuple[FakeGoogle, str]
) -> None:
    fake, url = google_fake
    settings = google_settings(settings, url, google_video_audio=False)
    settings = with_providers(settings, "google", "google", "google")
    options = {"scenes": 2, "clip_duration": 4.0, "resolution": "720p", "dialogue": True}
    project = await run_pipeline(
        session,
        await new_project(session, settings, options),
        settings=settings,
        registry=load_registry(),
    )
    assert project.status == "complete"
    assert project.scenes[0].dialogue  # written, but not for this clip
    prompts = [r.body["instances"][0]["prompt"] for r in fake.of_kind("predictLongRunning")]
    assert prompts and all("says:" not in p and "Ambient noise" not in p for p in prompts)


@pytest.mark.parametrize("audio", [True, False])
def test_makes_audio_follows_the_model_and_the_setting(
    base_settings: Settings, audio: bool
) -> None:
    from provider_env import google_settings as gs

    from vidpipe.providers.google import GoogleVideoProvider

    settings = gs(base_settings, "http://127.0.0.1:9", google_video_audio=audio)
    assert GoogleVideoProvider(settings).makes_audio() is audio
    veo2 = settings.model_copy(update={"google_video_model": "veo-2.0-generate-001"})
    assert GoogleVideoProvider(veo2).makes_audio() is False


async def test_a_fal_model_with_audio_gets_the_dialogue_and_sound_in_its_prompts(
    session: AsyncSession, settings: Settings, fal_fake: tuple[FakeFal, str]
) -> None:
    """Kling 3 Pro on fal with its audio on hears the scene's lines and sound as Veo does (the
    narrator then leaves the dialogue to it); with audio off, the prompt is the picture's only."""
    fake, url = fal_fake
    kling = "fal-ai/kling-video/v3/pro/image-to-video"
    options = {"scenes": 2, "clip_duration": 5.0, "resolution": "720p"}
    lines = dialogue_option(['Ada: Who "rings" there?'])
    prompts: dict[bool, list[str]] = {}
    for audio in (True, False):
        settings_now = with_providers(
            fal_settings(settings, url, fal_video_model=kling, fal_video_audio=audio),
            "local",
            "local",
            "fal",
        )
        project_id = await new_project(
            session, settings_now, {**options, "pause_after": "storyboard"}
        )
        await run_pipeline(session, project_id, settings=settings_now, registry=load_registry())
        edits = Editor(session, settings_now, load_registry())
        await edits.edit(
            project_id, scene_number=1, scene_edit=SceneEdit(dialogue=lines, sound="rain")
        )
        project = await run_pipeline(
            session, project_id, settings=settings_now, registry=load_registry()
        )
        assert project.status == "complete"
        made = [q for q in fake.submissions("video") if q.body.get("generate_audio") is audio]
        prompts[audio] = sorted(str(q.body["prompt"]) for q in made)
    with_sound, silent = prompts[True], prompts[False]
    assert len(with_sound) == len(silent) == 2
    spoken = [p for p in with_sound if "Ada says: \"Who 'rings' there?\"" in p]
    assert len(spoken) == 1 and "Ambient noise: rain" in spoken[0]
    assert not any("says:" in p or "Ambient noise" in p for p in silent)
