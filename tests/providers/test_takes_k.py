"""`--takes K` with a paid, long-running video provider (Veo, the google fake): K takes
per clip, each in the ledger before it is sent and within the budget; the best by fidelity is
selected (checked against a PSNR computed here from the files); a resume after a budget stop or
a cancel pays only for the takes still missing and collects the one already submitted."""

from __future__ import annotations

import asyncio
import json
import math
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest
from cli_runner import run_in_process
from fake_google import FakeGoogle
from PIL import Image
from processes import user_env
from provider_env import FAST, GOOGLE_KEY, google_settings
from remote_projects import ledger_rows, new_project, spent, with_providers
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from vidpipe.config import Settings
from vidpipe.db.models import Take
from vidpipe.db.queries import load_project
from vidpipe.errors import BadInputError, BudgetExceededError
from vidpipe.orchestrator import run_pipeline
from vidpipe.orchestrator.edits import Editor
from vidpipe.orchestrator.pipeline import plan_project
from vidpipe.orchestrator.projects import (
    GenerateOptions,
    create_project,
    estimate_cost,
    set_budget,
)
from vidpipe.providers.registry import load_registry
from vidpipe.storage import ProjectStorage

ONE_VEO_SCENE = {"scenes": 1, "clip_duration": 4.0, "resolution": "720p"}
TAKE_COST = 4 * 0.40  # Veo 3.1 with audio, 4 seconds


def veo(settings: Settings, url: str) -> Settings:
    return with_providers(google_settings(settings, url), "local", "local", "google")


def independent_fidelity(clip: Path, start: Path, end: Path) -> float:
    """The lower PSNR of (first frame, start keyframe) and (last frame, end keyframe)."""
    first = last = None
    with av.open(str(clip)) as container:
        for decoded in container.decode(video=0):
            first, last = first or decoded, decoded
    assert first is not None and last is not None
    scores = []
    for decoded, image in ((first, start), (last, end)):
        frame = decoded.to_ndarray(format="rgb24")
        with Image.open(image) as picture:
            size = (frame.shape[1], frame.shape[0])
            key = np.asarray(picture.convert("RGB").resize(size), dtype=np.float64)
        mse = float(np.mean((frame.astype(np.float64) - key) ** 2))
        scores.append(99.0 if mse == 0 else 10 * math.log10(255.0**2 / mse))
    return min(scores)


async def clip_takes(session: AsyncSession, project_id: uuid.UUID) -> list[Take]:
    rows = await session.scalars(
        select(Take)
        .where(Take.project_id == project_id, Take.slot == "clip")
        .order_by(Take.number)
        .execution_options(populate_existing=True)
    )
    return list(rows)


async def video_attempts(session: AsyncSession, project_id: uuid.UUID) -> list[Any]:
    return [row for row in await ledger_rows(session, project_id) if row.step == "video_gen"]


async def assert_best_selected(
    session: AsyncSession, settings: Settings, project_id: uuid.UUID, among: list[int]
) -> int:
    """The selected clip is the take of `among` with the highest fidelity measured here."""
    project = await load_project(session, project_id)
    storage = ProjectStorage(settings.projects_dir, project_id)
    scene = project.scenes[0]
    start = storage.resolve(next(k for k in scene.keyframes if k.position == "start").file_path)
    end = storage.resolve(next(k for k in scene.keyframes if k.position == "end").file_path)
    takes = {t.number: t for t in await clip_takes(session, project_id)}
    measured = {
        n: independent_fidelity(storage.resolve(takes[n].file_path), start, end) for n in among
    }
    for number in among:
        assert takes[number].fidelity == pytest.approx(measured[number], abs=0.05)
    best = max(among, key=lambda n: measured[n])
    assert sorted(measured.values())[-1] > sorted(measured.values())[-2] + 1  # a clear winner
    assert scene.clip is not None and scene.clip.take == best
    assert scene.clip.file_path == takes[best].file_path
    assert [n for n in among if takes[n].auto_selected] == [best]
    return best


async def test_k_takes_are_each_paid_and_the_best_is_selected_then_a_redo_round(
    session: AsyncSession, settings: Settings, google_fake: tuple[FakeGoogle, str]
) -> None:
    fake, url = google_fake
    settings = veo(settings, url)
    options = GenerateOptions(prompt="a red fox in a snowy forest", takes=2, **ONE_VEO_SCENE)
    providers = load_registry().build(settings, "local", "local", "google")
    one_take = estimate_cost(options.model_copy(update={"takes": 1}), providers)
    assert estimate_cost(options, providers) == pytest.approx(one_take + TAKE_COST)

    fake.video_drift = [30.0, 0.0]  # take 2 matches its keyframes best
    project_id = await new_project(session, settings, {**ONE_VEO_SCENE, "takes": 2})
    project = await run_pipeline(session, project_id, settings=settings, registry=load_registry())
    assert project.status == "complete" and project.takes_per_clip == 2
    assert fake.count("predictLongRunning") == 2
    attempts = await video_attempts(session, project_id)
    assert [(a.status, a.cost) for a in attempts] == [("ok", TAKE_COST)] * 2
    takes = await clip_takes(session, project_id)
    assert [t.number for t in takes] == [1, 2]
    storage = ProjectStorage(settings.projects_dir, project_id)
    assert len({storage.resolve(t.file_path).read_bytes() for t in takes}) == 2  # 2 real files
    assert await assert_best_selected(session, settings, project_id, [1, 2]) == 2
    assert (
        await plan_project(session, project_id, settings=settings, registry=load_registry())
    ).empty

    # redo --clip --takes 2: a new round of two takes; the best of *that round* is selected
    await Editor(session, settings, load_registry()).redo(project_id, 1, "clip", None, 2)
    plan = (
        (await plan_project(session, project_id, settings=settings, registry=load_registry()))
        .document()
        .as_json()
    )
    assert plan["clips"] == [1] and plan["provider_calls"]["video"] == 2
    assert plan["estimated_cost"] == pytest.approx(2 * TAKE_COST)
    fake.video_drift = [30.0, 8.0]  # take 4 wins its round, though take 2 is better
    project = await run_pipeline(session, project_id, settings=settings, registry=load_registry())
    assert project.status == "complete"
    assert fake.count("predictLongRunning") == 4
    assert await assert_best_selected(session, settings, project_id, [3, 4]) == 4
    assert len(await video_attempts(session, project_id)) == 4
    assert await spent(session, project_id) == pytest.approx(4 * TAKE_COST)


async def test_a_stopped_round_collects_its_submitted_take_and_the_budget_covers_all_k(
    session: AsyncSession, settings: Settings, google_fake: tuple[FakeGoogle, str]
) -> None:
    """Take 2 is polled when the run is stopped; the resume collects it (not sent again), then
    the budget (room for two takes) refuses take 3 before it is sent; a larger budget lets the
    next resume pay for take 3 only."""
    fake, url = google_fake
    settings = veo(settings, url)
    with pytest.raises(BadInputError, match="budget exceeded"):  # the estimate counts K takes
        await new_project(session, settings, {**ONE_VEO_SCENE, "takes": 3, "max_cost": 3.3})
    options = GenerateOptions(
        prompt="a red fox in a snowy forest", takes=3, max_cost=3.3, **ONE_VEO_SCENE
    )
    project_id = (await create_project(session, settings, options)).id
    fake.video_drift, fake.pending_from = [25.0, 12.0, 0.0], 2
    run = asyncio.create_task(
        run_pipeline(session, project_id, settings=settings, registry=load_registry())
    )
    for _ in range(600):
        second = [o for o in fake.operations.values() if o.number == 2]
        if second and second[0].polls >= 1:
            break
        await asyncio.sleep(0.05)
    else:
        raise AssertionError("take 2 was never polled")
    run.cancel()
    with pytest.raises(BaseException):  # noqa: B017 - cancelled, recorded as interrupted
        await run
    await session.rollback()
    project = await load_project(session, project_id)
    assert project.scenes[0].clip is not None and project.scenes[0].clip.status == "submitted"
    plan = (
        (await plan_project(session, project_id, settings=settings, registry=load_registry()))
        .document()
        .as_json()
    )
    clip = next(item for item in plan["items"] if item["kind"] == "clip")
    assert clip["takes"] == 2 and clip["cost"] == pytest.approx(TAKE_COST)  # 1 collected, 1 paid

    fake.pending_from = None
    with pytest.raises(BudgetExceededError):
        await run_pipeline(session, project_id, settings=settings, registry=load_registry())
    assert fake.count("predictLongRunning") == 2  # take 2 collected; take 3 refused unsent
    assert len(await video_attempts(session, project_id)) == 2
    assert len(await clip_takes(session, project_id)) == 2
    plan = (
        (await plan_project(session, project_id, settings=settings, registry=load_registry()))
        .document()
        .as_json()
    )
    clip = next(item for item in plan["items"] if item["kind"] == "clip")
    assert (clip["reason"], clip["takes"]) == ("2 of 3 takes made", 1)
    assert plan["estimated_cost"] == pytest.approx(TAKE_COST)

    await set_budget(session, project_id, 10.0)
    project = await run_pipeline(session, project_id, settings=settings, registry=load_registry())
    assert project.status == "complete"
    assert fake.count("predictLongRunning") == 3  # only the missing take
    assert await spent(session, project_id) == pytest.approx(3 * TAKE_COST)
    assert await assert_best_selected(session, settings, project_id, [1, 2, 3]) == 3


@pytest.mark.slow
def test_sigkill_mid_round_then_resume_pays_for_no_take_twice(
    google_fake: tuple[FakeGoogle, str], tmp_path: Path
) -> None:
    """`generate --takes 3` killed (SIGKILL) while take 2 is polled: `resume` collects take 2
    and submits only take 3; `takes` lists all three, the best by fidelity selected."""
    fake, url = google_fake
    env = user_env(tmp_path / "data") | {f"VIDPIPE_{k.upper()}": str(v) for k, v in FAST.items()}
    env |= {
        "VIDPIPE_VIDEO_PROVIDER": "google",
        "VIDPIPE_GOOGLE_VERTEXAI": "1",
        "VIDPIPE_GOOGLE_BASE_URL": url,
        "VIDPIPE_GOOGLE_API_KEY": GOOGLE_KEY,
    }
    fake.video_drift, fake.pending_from = [20.0, 0.0, 35.0], 2
    run = subprocess.Popen(
        [sys.executable, "-m", "vidpipe", "generate", "a fox in the snow", "--scenes", "1",
         "--clip-duration", "4", "--takes", "3", "--yes"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
        text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while not any(o.number == 2 and o.polls for o in list(fake.operations.values())):
            assert time.monotonic() < deadline, "take 2 was never polled"
            time.sleep(0.05)
    finally:
        run.send_signal(signal.SIGKILL)
        _, said = run.communicate()
    fake.pending_from = None
    project_id = said.split()[1]  # "project <id>", printed before the run starts

    def cli(*args: str) -> dict[str, Any]:
        done = run_in_process([*args, "--json"], env)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    assert cli("resume", project_id, "--yes")["status"] == "complete"
    assert fake.count("predictLongRunning") == 3  # take 2 collected, only take 3 sent
    clips = [t for t in cli("takes", project_id, "--scene", "1")["takes"] if t["slot"] == "clip"]
    assert [t["take"] for t in clips] == [1, 2, 3]
    assert [(t["take"], t["selected"], t["auto_selected"]) for t in clips if t["selected"]] == [
        (2, True, True)
    ]
    assert max(clips, key=lambda t: t["fidelity"])["take"] == 2


async def test_a_raised_takes_k_is_checked_against_the_budget_at_edit_time(
    session: AsyncSession, settings: Settings, google_fake: tuple[FakeGoogle, str]
) -> None:
    fake, url = google_fake
    settings = veo(settings, url)
    project_id = await new_project(session, settings, ONE_VEO_SCENE)
    project = await run_pipeline(session, project_id, settings=settings, registry=load_registry())
    assert project.status == "complete"
    paid = await spent(session, project_id)
    editor = Editor(session, settings, load_registry())
    from vidpipe.orchestrator.edits import ProjectEdit, SceneEdit

    await editor.edit(project_id, scene_number=1, scene_edit=SceneEdit(video_motion_prompt="pan"))
    await set_budget(session, project_id, paid + 2 * TAKE_COST)  # room for two more takes
    version = (await load_project(session, project_id)).storyboard_version
    with pytest.raises(BadInputError, match=r"^3 takes .* over the budget") as refused:
        await editor.edit(project_id, project_edit=ProjectEdit(takes=3))  # 3 takes: $4.80
    assert refused.value.field == "takes"  # the CLI says --takes, the API a loc
    project = await load_project(session, project_id)
    assert (project.takes_per_clip, project.storyboard_version) == (1, version)  # unwritten
    assert fake.count("predictLongRunning") == 1  # an edit calls nothing
    await editor.edit(project_id, project_edit=ProjectEdit(takes=2))  # fits exactly
    assert (await load_project(session, project_id)).takes_per_clip == 2
