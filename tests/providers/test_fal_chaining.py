"""A video model that takes only a start frame (fal's Kling 4 Flash, on the fake) is usable:
the plan says so, only the first keyframe is drawn, each scene starts from the previous clip's
real last frame, and every cut is seamless although the clips wander away from where the
storyboard's end frames would have been."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from fake_fal import FakeFal
from provider_env import fal_settings
from remote_projects import new_project, with_providers
from sqlalchemy.ext.asyncio import AsyncSession

from vidpipe.config import Settings
from vidpipe.db.models import keyframe_of
from vidpipe.db.queries import load_project
from vidpipe.media.frames import psnr, read_frames_at
from vidpipe.media.probe import probe
from vidpipe.orchestrator import run_pipeline
from vidpipe.pipeline.plan import make_plan
from vidpipe.providers.registry import load_registry
from vidpipe.storage import ProjectStorage

FLASH = "kling/v4/flash/image-to-video"
OPTIONS = {"scenes": 3, "clip_duration": 4.0, "resolution": "720p"}


def flash_settings(settings: Settings, url: str) -> Settings:
    return with_providers(fal_settings(settings, url, fal_video_model=FLASH), "local", "fal", "fal")


def joins(project: Any, storage: ProjectStorage) -> list[float]:
    """PSNR (dB) between the last frame of clip k and the first frame of clip k+1."""
    clips = [storage.resolve(s.clip.file_path) for s in project.scenes]
    values = []
    for before, after in zip(clips, clips[1:], strict=False):
        (last,) = read_frames_at(before, [-1])
        (first,) = read_frames_at(after, [0])
        values.append(psnr(last, first))
    return values


async def test_a_start_frame_only_model_makes_seamless_joins(
    session: AsyncSession, settings: Settings, fal_fake: tuple[FakeFal, str]
) -> None:
    fake, url = fal_fake
    settings = flash_settings(settings, url)
    project_id = await new_project(session, settings, OPTIONS)
    project = await run_pipeline(session, project_id, settings=settings, registry=load_registry())
    assert project.status == "complete"
    storage = ProjectStorage(settings.projects_dir, project_id)

    assert [q.model for q in fake.submissions("image")] == ["fal-ai/flux/schnell"]  # one frame
    assert all(r["end"] is None for r in fake.received)  # no end frame was sent
    values = joins(project, storage)
    assert len(values) == 2 and min(values) >= 40.0, values

    # Each later scene's start frame is the previous clip's real last frame, fingerprinted.
    for before, after in zip(project.scenes, project.scenes[1:], strict=False):
        end, start = keyframe_of(before, "end"), keyframe_of(after, "start")
        assert end is not None and start is not None
        assert end.source == "extracted" and start.file_path == end.file_path
        sent = hashlib.sha256(storage.resolve(start.file_path).read_bytes()).hexdigest()
        assert sent in {r["start"] for r in fake.received}
    # The clips wander: the last frame is far from the start frame it was made from.
    first = project.scenes[0]
    (last,) = read_frames_at(storage.resolve(first.clip.file_path), [-1])  # type: ignore[union-attr]
    (opening,) = read_frames_at(storage.resolve(first.clip.file_path), [0])  # type: ignore[union-attr]
    assert psnr(last, opening) < 25.0
    final = probe(storage.resolve(project.output_path))  # type: ignore[arg-type]
    assert final.duration == pytest.approx(12.0, abs=0.2)

    # The plan says so; a complete project plans nothing and a resume makes nothing.
    providers = load_registry().build(settings, "local", "fal", "fal")
    plan = make_plan(project, storage, providers)
    assert plan.empty and "only a start frame" in plan.notes[0]


async def test_redoing_a_middle_clip_remakes_the_clips_after_it(
    session: AsyncSession, settings: Settings, fal_fake: tuple[FakeFal, str]
) -> None:
    fake, url = fal_fake
    settings = flash_settings(settings, url)
    project_id = await new_project(session, settings, OPTIONS)
    project = await run_pipeline(session, project_id, settings=settings, registry=load_registry())
    assert project.status == "complete"
    scene = project.scenes[1]
    scene.video_motion_prompt += " and the wind rises"  # an edit of scene 2's motion
    project.status = "video_gen"  # what an edit of the motion sets (the earliest stale stage)
    await session.commit()
    project = await load_project(session, project_id)
    storage = ProjectStorage(settings.projects_dir, project_id)
    providers = load_registry().build(settings, "local", "fal", "fal")
    plan = make_plan(project, storage, providers)
    assert plan.clips == [2, 3] and plan.keyframes == []
    assert "last frame of a clip made anew" in plan.items[1].reason

    project = await run_pipeline(session, project_id, settings=settings, registry=load_registry())
    assert project.status == "complete"
    assert len(fake.submissions("video")) == 3 + 2
    assert min(joins(project, storage)) >= 40.0


def test_the_estimate_prices_one_keyframe_for_a_start_frame_only_model(
    settings: Settings, fal_fake: tuple[FakeFal, str]
) -> None:
    """Before anything is made, `generate` prices only the first keyframe: the later ones are
    the clips' last frames, which cost nothing."""
    from vidpipe.orchestrator.projects import GenerateOptions, estimate_cost

    _, url = fal_fake
    options = GenerateOptions.model_validate({"prompt": "a red fox in the snow", **OPTIONS})
    registry = load_registry()
    flash = registry.build(flash_settings(settings, url), "local", "fal", "fal")
    both = registry.build(fal_settings(settings, url), "local", "fal", "fal")
    image = flash.image.estimate_cost(calls=1)
    assert image > 0 and not flash.video.takes_end_frame and both.video.takes_end_frame
    clips = flash.video.estimate_cost(seconds=3 * 4.0)
    assert estimate_cost(options, flash) == pytest.approx(image + clips)
    assert estimate_cost(options, both) == pytest.approx(
        4 * image + both.video.estimate_cost(seconds=3 * 4.0)
    )
