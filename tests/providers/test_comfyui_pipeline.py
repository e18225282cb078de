"""Whole projects with ComfyUI templates whose outputs are not H.264 MP4 (issue 14): a SaveWEBM
template gives an H.264 final; a template whose output is no clip fails the clip with the
reason, and `resume` after fixing the template completes."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from fake_comfyui import FakeComfyUI
from provider_env import comfyui_settings
from remote_projects import new_project, with_providers
from sqlalchemy.ext.asyncio import AsyncSession
from test_remote_pipelines import SMALL, final_of

from vidpipe.config import Settings
from vidpipe.db.queries import load_project
from vidpipe.orchestrator import run_pipeline
from vidpipe.providers.registry import load_registry

WORKFLOWS = Path(__file__).resolve().parents[2] / "vidpipe/providers/comfyui/workflows"


def saved_by(kind: str, **inputs: Any) -> dict[str, Any]:
    """The shipped Wan template with its SaveVideo replaced by `kind` reading the frames."""
    template = json.loads((WORKFLOWS / "first_last_frame_to_video.json").read_text())
    template["workflow"]["85"] = {
        "class_type": kind,
        "inputs": {"images": ["8", 0], "filename_prefix": "vidpipe/clip", **inputs},
    }
    del template["workflow"]["84"]
    template["inputs"].pop("fps")
    return template


def comfy(settings: Settings, url: str, tmp_path: Path, template: dict[str, Any]) -> Settings:
    path = tmp_path / "video.json"
    path.write_text(json.dumps(template))
    settings = comfyui_settings(settings, url, comfyui_video_workflow=path)
    return with_providers(settings, "local", "comfyui", "comfyui")


@pytest.mark.parametrize(
    ("kind", "inputs"),
    [
        ("SaveWEBM", {"codec": "vp9", "fps": 16.0, "crf": 32.0}),
        ("SaveAnimatedWEBP", {"fps": 16.0, "lossless": False, "quality": 80, "method": "default"}),
    ],
)
async def test_non_mp4_outputs_give_an_h264_final(
    session: AsyncSession,
    settings: Settings,
    comfyui_fake: tuple[FakeComfyUI, str],
    tmp_path: Path,
    kind: str,
    inputs: dict[str, Any],
) -> None:
    fake, url = comfyui_fake
    settings = comfy(settings, url, tmp_path, saved_by(kind, **inputs))
    project_id = await new_project(session, settings, SMALL)
    project = await run_pipeline(session, project_id, settings=settings, registry=load_registry())
    assert project.status == "complete"
    final = final_of(settings, project)
    assert (final.video_codec, final.pix_fmt) == ("h264", "yuv420p")
    assert final.duration == pytest.approx(2 * 17 / 16, abs=0.1)
    assert all(s.clip.status == "complete" for s in project.scenes if s.clip)


async def test_an_output_that_is_no_clip_fails_with_the_reason_and_resume_completes(
    session: AsyncSession,
    settings: Settings,
    comfyui_fake: tuple[FakeComfyUI, str],
    tmp_path: Path,
) -> None:
    fake, url = comfyui_fake
    broken = comfy(settings, url, tmp_path, saved_by("SaveImage"))  # one still per frame
    project_id = await new_project(session, broken, SMALL)
    with pytest.raises(Exception, match="cannot be used as a clip"):
        await run_pipeline(session, project_id, settings=broken, registry=load_registry())
    session.expire_all()
    project = await load_project(session, project_id)
    assert project.status == "failed"
    failed = [s.clip for s in project.scenes if s.clip and s.clip.status == "failed"]
    assert failed and all("cannot be used as a clip" in (c.error_message or "") for c in failed)

    fixed = comfy(settings, url, tmp_path, json.loads(
        (WORKFLOWS / "first_last_frame_to_video.json").read_text()
    ))  # fmt: skip
    resumes = 0
    while True:  # a sibling clip cancelled by the failure still holds its (broken) prompt's id
        resumes += 1
        try:
            project = await run_pipeline(
                session, project_id, settings=fixed, registry=load_registry()
            )
            break
        except Exception as exc:
            assert "cannot be used as a clip" in str(exc) and resumes < SMALL["scenes"]
            session.expire_all()
    assert project.status == "complete"
    assert final_of(settings, project).video_codec == "h264"
    videos = [p["graph"]["85"] for p in fake.prompts.values() if "85" in p["graph"]]
    assert sum(node["class_type"] == "SaveVideo" for node in videos) == SMALL["scenes"]
    assert len(fake.accepted) == len(set(fake.accepted))  # no prompt id was queued twice


# ---------------------------------------------------------------- lost answers and restarts


def comfy_shipped(settings: Settings, url: str) -> Settings:
    return with_providers(comfyui_settings(settings, url), "local", "comfyui", "comfyui")


async def test_every_lost_prompt_answer_is_found_by_its_id(
    session: AsyncSession, settings: Settings, comfyui_fake: tuple[FakeComfyUI, str]
) -> None:
    fake, url = comfyui_fake
    fake.inject("prompt", *[("after", 502)] * 5)  # queued, and every answer lost
    settings = comfy_shipped(settings, url)
    project_id = await new_project(session, settings, SMALL)
    project = await run_pipeline(session, project_id, settings=settings, registry=load_registry())
    assert project.status == "complete"
    assert fake.count("prompt") == 5  # 3 keyframes + 2 clips, none sent twice
    assert len(fake.executed) == len(set(fake.executed)) == 5
    assert {s.clip.operation_id for s in project.scenes if s.clip} <= set(fake.executed)


@pytest.mark.parametrize("when", ["while down", "while running"])
async def test_one_resume_after_a_comfyui_restart(
    session: AsyncSession,
    settings: Settings,
    comfyui_fake: tuple[FakeComfyUI, str],
    when: str,
) -> None:
    """Both clips are queued on ComfyUI; it restarts (losing its queue and history) while
    vidpipe is stopped, or while vidpipe waits; one resume completes, and the server ran
    exactly one prompt per keyframe and clip that it finished."""
    fake, url = comfyui_fake
    settings = comfy_shipped(settings, url)
    project_id = await new_project(session, settings, SMALL)
    fake.hold_videos.set()  # keyframes finish; clip prompts stay running or queued
    run = asyncio.create_task(
        run_pipeline(session, project_id, settings=settings, registry=load_registry())
    )
    clip_prompts = lambda: [p for p in fake.accepted if _is_clip(fake, p)]  # noqa: E731
    deadline = asyncio.get_running_loop().time() + 60
    while len(clip_prompts()) < 2 or len(fake.executed) < 3:
        assert asyncio.get_running_loop().time() < deadline, "the clips were never queued"
        await asyncio.sleep(0.02)
    if when == "while down":
        run.cancel()
        with pytest.raises(asyncio.CancelledError):
            await run
        fake.restart()
    else:
        fake.restart()  # the waits notice: "no record of prompt"
        with pytest.raises(Exception, match="no record of prompt"):
            await run
    fake.hold_videos.clear()
    session.expire_all()
    project = await run_pipeline(
        session, project_id, settings=settings, registry=load_registry()
    )  # one resume
    assert project.status == "complete"
    clips = {s.clip.operation_id for s in project.scenes if s.clip}
    if when == "while down":  # the waits were cancelled: their ids were kept and re-sent
        assert clips == set(clip_prompts()[:2])
    assert len(fake.executed) == len(set(fake.executed)) == 5  # 3 keyframes + 2 clips, once each
    assert clips <= set(fake.executed)


def _is_clip(fake: FakeComfyUI, prompt_id: str) -> bool:
    return any(n["class_type"] == "SaveVideo" for n in fake.prompts[prompt_id]["graph"].values())


async def test_a_keyframe_prompt_cut_short_is_collected_by_its_id_not_queued_again(
    session: AsyncSession, settings: Settings, comfyui_fake: tuple[FakeComfyUI, str]
) -> None:
    """The keyframe's prompt id is committed before it is sent: a run stopped while ComfyUI
    draws it (as by a kill) leaves the id, and the next run collects that very prompt."""
    fake, url = comfyui_fake
    settings = comfy_shipped(settings, url)
    project_id = await new_project(session, settings, SMALL)
    fake.hold.set()  # the first keyframe prompt stays running
    run = asyncio.create_task(
        run_pipeline(session, project_id, settings=settings, registry=load_registry())
    )
    deadline = asyncio.get_running_loop().time() + 60
    while not fake.accepted:
        assert asyncio.get_running_loop().time() < deadline, "no keyframe was queued"
        await asyncio.sleep(0.02)
    run.cancel()
    with pytest.raises(asyncio.CancelledError):
        await run
    first = fake.accepted[0]
    session.expire_all()
    left = (await load_project(session, project_id)).scenes[0].pending_frame_request
    assert left is not None and left.startswith("start:") and left.endswith(first)
    fake.hold.clear()

    project = await run_pipeline(session, project_id, settings=settings, registry=load_registry())
    assert project.status == "complete"
    assert fake.accepted.count(first) == 1  # collected by its id, never queued twice
    assert len(fake.executed) == len(set(fake.executed)) == 3 + 2
    assert all(s.pending_frame_request is None for s in project.scenes)
