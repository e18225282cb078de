"""Spoken lines as artifacts: ledgered before the call, fingerprinted, made once, adopted after a
crash, spoken again only when their text (or voice) changes."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from vidpipe.config import Settings
from vidpipe.db.models import AudioArtifact, Project, ProviderCall, Scene
from vidpipe.db.queries import load_project
from vidpipe.errors import ProviderError
from vidpipe.pipeline.context import PipelineContext
from vidpipe.pipeline.plan import make_plan
from vidpipe.pipeline.sound import SoundOptions, line_name, sound_options, speak_lines
from vidpipe.providers.base import SpeechRequest, SpeechResult
from vidpipe.providers.registry import ProviderRegistry
from vidpipe.providers.sim import SimNarrationProvider
from vidpipe.storage import ProjectStorage


class CountingVoice(SimNarrationProvider):
    """The sim voice, counting calls; `fail` makes the next call fail after it was sent."""

    provider_id = "sim"
    price_per_call = 0.01
    calls: list[str] = []
    fail = False

    async def speak(self, request: SpeechRequest, dest: Path) -> SpeechResult:
        type(self).calls.append(request.text)
        if type(self).fail:
            raise ProviderError("the speech service broke mid-line")
        return await super().speak(request, dest)


async def narrated_project(session: AsyncSession, settings: Settings) -> Project:
    project = Project(
        prompt="a lighthouse", style="cinematic", aspect_ratio="16:9", resolution="480p",
        clip_duration=2.0, storyboard_provider="local", image_provider="local",
        video_provider="local", style_guide={"visual_style": "x", "color_palette": [],
                                             "camera_style": "y"},
        sound_options={"narration_provider": "sim"},
    )  # fmt: skip
    session.add(project)
    await session.flush()
    for index, text in enumerate(["The keeper wakes.", "", "The light turns."]):
        session.add(
            Scene(project_id=project.id, scene_index=index, scene_description="d",
                  start_frame_prompt="s", end_frame_prompt="e", video_motion_prompt="m",
                  narration=text,
                  dialogue=[{"speaker": "Keeper", "line": "Hold fast!"}] if index == 1 else [])
        )  # fmt: skip
    await session.commit()
    return await load_project(session, project.id)


def context(settings: Settings, project: Project) -> PipelineContext:
    registry = ProviderRegistry()
    registry.register(CountingVoice)
    providers = registry.build(settings, "local", "local", "local", "sim")
    storage = ProjectStorage(settings.projects_dir, project.id)
    storage.ensure_dirs()
    return PipelineContext(settings, providers, storage)


async def speak_planned(
    session: AsyncSession, project: Project, ctx: PipelineContext, options: SoundOptions
) -> list[AudioArtifact]:
    """The sound step speaks what the run's plan lists: plan first, as a run does."""
    ctx.plan = make_plan(project, ctx.storage, ctx.providers)
    return await speak_lines(session, project, ctx, options)


@pytest.fixture(autouse=True)
def fresh_voice() -> None:
    CountingVoice.calls, CountingVoice.fail = [], False


async def test_each_line_is_ledgered_once_and_respoken_only_when_changed(
    session: AsyncSession, settings: Settings
) -> None:
    project = await narrated_project(session, settings)
    ctx = context(settings, project)
    rows = await speak_planned(session, project, ctx, sound_options(project))
    assert [(r.scene_index, r.line_index, r.speaker) for r in rows] == [
        (0, 0, None), (1, 1, "Keeper"), (2, 0, None),
    ]  # fmt: skip
    assert CountingVoice.calls == ["The keeper wakes.", "Hold fast!", "The light turns."]
    ledger = list(await session.scalars(select(ProviderCall).order_by(ProviderCall.created_at)))
    assert [(c.step, c.role, c.status, c.cost) for c in ledger] == [
        ("narration", "narration", "ok", 0.01)
    ] * 3
    for row in rows:  # a file per fingerprint, its hash and measured length on the row
        assert ctx.storage.resolve(row.file_path).is_file() and row.duration_seconds > 0

    again = await speak_planned(session, project, ctx, sound_options(project))
    assert len(CountingVoice.calls) == 3 and [r.id for r in again] == [r.id for r in rows]

    project.scenes[2].narration = "The light turns at dusk."
    await session.commit()
    project = await load_project(session, project.id)
    await speak_planned(session, project, ctx, sound_options(project))
    assert CountingVoice.calls[3:] == ["The light turns at dusk."]
    assert len(list(await session.scalars(select(ProviderCall)))) == 4


async def test_a_failed_call_is_in_the_ledger_and_a_file_made_before_a_crash_is_adopted(
    session: AsyncSession, settings: Settings
) -> None:
    project = await narrated_project(session, settings)
    ctx = context(settings, project)
    CountingVoice.fail = True
    with pytest.raises(ProviderError):
        await speak_planned(session, project, ctx, sound_options(project))
    (call,) = list(await session.scalars(select(ProviderCall)))
    assert call.status == "failed" and "broke mid-line" in (call.note or "")
    assert list(await session.scalars(select(AudioArtifact))) == []
    assert not any((ctx.storage.root / "audio").glob("*.wav"))  # no partial file left

    # a crash after the first line's file was published, before its row was committed
    CountingVoice.fail = False
    project = await load_project(session, project.id)
    options = sound_options(project)
    from vidpipe.pipeline.sound import line_fingerprint, wanted_lines

    first = wanted_lines(project, options)[0]
    name = line_name(first, line_fingerprint(ctx.providers.narration, first, options))  # type: ignore[arg-type]
    await ctx.providers.narration.speak(SpeechRequest(first.text, ""), ctx.storage.resolve(name))  # type: ignore[union-attr]
    CountingVoice.calls.clear()
    rows = await speak_planned(session, project, ctx, options)
    assert CountingVoice.calls == ["Hold fast!", "The light turns."]  # the first was adopted
    assert rows[0].file_path == name


async def test_a_line_removed_from_the_storyboard_loses_its_row_not_its_file(
    session: AsyncSession, settings: Settings
) -> None:
    project = await narrated_project(session, settings)
    ctx = context(settings, project)
    rows = await speak_planned(session, project, ctx, sound_options(project))
    gone = ctx.storage.resolve(rows[0].file_path)
    project.scenes[0].narration = ""
    await session.commit()
    project = await load_project(session, project.id)
    rows = await speak_planned(session, project, ctx, sound_options(project))
    assert [(r.scene_index, r.line_index) for r in rows] == [(1, 1), (2, 0)]
    stored = list(await session.scalars(select(AudioArtifact.scene_index)))
    assert sorted(stored) == [1, 2] and gone.is_file()  # the file is for `gc`
    assert len(CountingVoice.calls) == 3
    from vidpipe.orchestrator.garbage import collect_garbage

    music = ctx.storage.write_bytes("audio/music-abc.mp3", b"ID3")
    project.sound_options = {**(project.sound_options or {}), "music": "audio/music-abc.mp3"}
    await session.commit()
    report = await collect_garbage(session, settings, dry_run=True)
    assert report.files == [gone]  # not the lines in use, not the music bed
    assert music.is_file()


async def test_gc_deletes_joined_pictures_the_selected_clips_no_longer_make(
    session: AsyncSession, settings: Settings
) -> None:
    from vidpipe.orchestrator.garbage import collect_garbage
    from vidpipe.pipeline.sound import picture_name
    from vidpipe.pipeline.stitcher import picture_fingerprint

    project = await narrated_project(session, settings)
    storage = ProjectStorage(settings.projects_dir, project.id)
    current = storage.write_bytes(picture_name(picture_fingerprint(project)), b"now")
    old = storage.write_bytes(picture_name("0" * 40), b"before an edit")
    final = storage.write_bytes("output/final.mp4", b"final")
    report = await collect_garbage(session, settings, dry_run=False)
    assert report.files == [old] and not old.exists()
    assert current.is_file() and final.is_file()


async def test_the_step_speaks_only_the_lines_the_plan_lists(
    session: AsyncSession, settings: Settings
) -> None:
    from vidpipe.errors import PipelineError
    from vidpipe.pipeline.plan import Plan

    project = await narrated_project(session, settings)
    ctx = context(settings, project)
    plan = make_plan(project, ctx.storage, ctx.providers)
    assert plan.lines == {(0, 0), (1, 1), (2, 0)}
    assert [i.reason for i in plan.items if i.kind == "narration"] == [
        "speak the narration", "speak the dialogue line 1", "speak the narration",
    ]  # fmt: skip
    ctx.plan = Plan()  # a plan that lists no line: nothing is spoken, and a missing line is named
    with pytest.raises(PipelineError, match="scene 1's line 0 is neither made nor planned"):
        await speak_lines(session, project, ctx, sound_options(project))
    assert CountingVoice.calls == []

    await speak_planned(session, project, ctx, sound_options(project))
    project.scenes[2].narration = "The light turns at dusk."
    await session.commit()
    project = await load_project(session, project.id)
    ctx.plan = Plan()  # stale, but not planned: the step does not decide to speak it
    rows = await speak_lines(session, project, ctx, sound_options(project))
    assert len(CountingVoice.calls) == 3 and rows[2].text == "The light turns."
    assert make_plan(project, ctx.storage, ctx.providers).lines == {(2, 0)}
