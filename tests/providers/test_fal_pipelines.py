"""Whole projects on fal against the fal fake: money, crashes, lost answers, failures, chaining.

- A full run: what the fake bills equals what the ledger says may have been billed, and each
  clip's end frame is the next clip's start frame (the fake records the frames it received).
- SIGKILL while a request is IN_QUEUE or IN_PROGRESS, then `resume`: the same request ids are
  polled, one submission per clip.
- A lost submit answer: never re-sent without consent; with consent, sent once more.
- A request that fails at fal: reported with fal's message, resumable; a model's error (422) is
  counted as spent, fal's own server error (a 5xx request error, e.g. runner_disconnected) is
  not — for a clip and for a keyframe — and the ledger still matches what fal bills.
- A stop while a request is queued: cancelled at fal, sent afresh by the next run.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cli_runner import run_in_process
from fake_fal import Failure, FakeFal
from processes import user_env
from provider_env import FAL_KEY, FAST, fal_settings
from remote_projects import ledger_rows, new_project, runs_of, spent, with_providers
from sqlalchemy.ext.asyncio import AsyncSession

from vidpipe.config import Settings
from vidpipe.db.models import keyframe_of
from vidpipe.db.queries import load_project
from vidpipe.media.probe import probe
from vidpipe.orchestrator import run_pipeline
from vidpipe.orchestrator.projects import approve_resubmissions
from vidpipe.pipeline.context import spent_so_far
from vidpipe.pipeline.video_gen import SubmissionUnknownError
from vidpipe.providers.registry import load_registry
from vidpipe.storage import ProjectStorage

# what may have cost money; not refused, cancelled or server_error
BILLED = {"sent", "ok", "failed", "unknown"}
KLING = {"scenes": 3, "clip_duration": 5.0, "resolution": "720p"}
KLING_PER_SECOND, EDIT_IMAGE = 0.157, 0.039  # the catalog's prices
KLING_ID = "fal-ai/kling-video/v4/image-to-video"
SEEDANCE, SEEDANCE_PER_SECOND = "bytedance/seedance-2.0/mini/image-to-video", 0.1547


def fal_project_settings(settings: Settings, url: str, **extra: Any) -> Settings:
    return with_providers(fal_settings(settings, url, **extra), "local", "fal", "fal")


def chained(fake: FakeFal, project: Any, settings: Settings) -> bool:
    """The frames fal received for clip k are chain positions k and k+1 (scene k's end frame is
    scene k+1's start frame), by content."""
    storage = ProjectStorage(settings.projects_dir, project.id)
    positions = [keyframe_of(project.scenes[0], "start")]
    positions += [keyframe_of(scene, "end") for scene in project.scenes]
    hashes = [
        hashlib.sha256(storage.resolve(k.file_path).read_bytes()).hexdigest() for k in positions
    ]
    pairs = {(r["start"], r["end"]) for r in fake.received}
    return pairs == set(zip(hashes, hashes[1:], strict=False))


async def billed_in_ledger(session: AsyncSession, project_id: Any, role: str) -> int:
    rows = await ledger_rows(session, project_id)
    return sum(1 for r in rows if r.role == role and r.provider == "fal" and r.status in BILLED)


async def billed_clip_requests(session: AsyncSession, project_id: Any) -> set[str | None]:
    """The fal request ids of the clip attempts the ledger counts as billed (None: an attempt
    whose answer was lost, so its id was never known)."""
    rows = await ledger_rows(session, project_id)
    return {
        r.operation_id.rpartition("|")[2] if r.operation_id else None
        for r in rows
        if r.role == "video" and r.status in BILLED
    }


def billed_by_fal(fake: FakeFal) -> set[str]:
    return {rid for rid in fake.billed if rid in {q.id for q in fake.submissions("video")}}


async def test_a_project_on_fal_kling_completes_chained_and_billed_as_the_ledger_says(
    session: AsyncSession, settings: Settings, fal_fake: tuple[FakeFal, str]
) -> None:
    fake, url = fal_fake
    settings = fal_project_settings(settings, url)
    project_id = await new_project(session, settings, KLING)
    project = await run_pipeline(session, project_id, settings=settings, registry=load_registry())

    assert project.status == "complete"
    final = probe(ProjectStorage(settings.projects_dir, project_id).resolve(project.output_path))
    assert final.duration == pytest.approx(15.0, abs=0.2)
    assert len(fake.submissions("video")) == 3 and len(fake.submissions("image")) == 4
    assert chained(fake, project, settings) and fake.refused == []
    fake.finish_all()
    assert fake.billed_of("video") == await billed_in_ledger(session, project_id, "video") == 3
    assert fake.billed_of("image") == await billed_in_ledger(session, project_id, "image") == 4
    # estimates use the dearer image model for every keyframe
    assert await spent(session, project_id) == pytest.approx(4 * EDIT_IMAGE + 15 * KLING_PER_SECOND)


async def test_a_lost_submit_answer_is_not_sent_again_without_consent(
    session: AsyncSession, settings: Settings, fal_fake: tuple[FakeFal, str]
) -> None:
    fake, url = fal_fake
    fake.hang_seconds = 1.5
    settings = fal_project_settings(settings, url, provider_submit_timeout_seconds=0.5)
    project_id = await new_project(session, settings, {**KLING, "scenes": 2})
    fake.inject("submit:video", "lose")  # the first clip's answer is lost
    with pytest.raises(SubmissionUnknownError, match="may have been accepted and billed"):
        await run_pipeline(session, project_id, settings=settings, registry=load_registry())
    assert len(fake.submissions("video")) == 2  # both queued at fal; one answer was lost

    with pytest.raises(SubmissionUnknownError):  # a resume without consent sends nothing
        await run_pipeline(session, project_id, settings=settings, registry=load_registry())
    assert len(fake.submissions("video")) == 2

    assert len(await approve_resubmissions(session, project_id)) == 1
    project = await run_pipeline(session, project_id, settings=settings, registry=load_registry())
    assert project.status == "complete"
    assert len(fake.submissions("video")) == 3  # sent once more, with consent
    fake.finish_all()  # fal made (and billed) the request whose answer was lost, too
    assert fake.billed_of("video") == await billed_in_ledger(session, project_id, "video") == 3


async def test_a_request_that_fails_at_fal_is_reported_and_resumable(
    session: AsyncSession, settings: Settings, fal_fake: tuple[FakeFal, str]
) -> None:
    fake, url = fal_fake
    # One clip at a time: the failure then cancels no other clip's submission mid-flight.
    settings = fal_project_settings(settings, url, video_concurrency=1)
    project_id = await new_project(session, settings, {**KLING, "scenes": 2})
    fake.fail_next.append("Kling worker out of memory at 720p")
    with pytest.raises(Exception, match="Kling worker out of memory"):
        await run_pipeline(session, project_id, settings=settings, registry=load_registry())
    project = await load_project(session, project_id)
    assert project.status == "failed"
    assert "fal" in (project.error_message or "")
    assert "Kling worker out of memory at 720p" in (project.error_message or "")

    (failed,) = [q for q in fake.submissions("video") if q.error]
    # a model's error (HTTP 422) may be billed by fal (GPU time was used): counted as spent
    assert failed.id in await billed_clip_requests(session, project_id)

    project = await run_pipeline(session, project_id, settings=settings, registry=load_registry())
    assert project.status == "complete"
    assert len(fake.submissions("video")) == 3  # the failed clip was submitted afresh
    fake.finish_all()
    assert fake.billed_of("video") == 2  # the failed request was not billed by fal
    assert failed.id in await billed_clip_requests(session, project_id)  # still counted


RUNNER_DISCONNECTED = ("Runner disconnected", 503, "runner_disconnected")  # fal's request error


def fal_bill(fake: FakeFal, seconds: float) -> float:
    """What fal bills for the requests it made, at the per-call estimates the ledger uses (every
    keyframe at the dearer image model's price, each clip `seconds` long)."""
    fake.finish_all()
    return fake.billed_of("image") * EDIT_IMAGE + fake.billed_of("video") * seconds * (
        KLING_PER_SECOND
    )


async def statuses(session: AsyncSession, project_id: Any, role: str) -> list[str]:
    return sorted(r.status for r in await ledger_rows(session, project_id) if r.role == role)


async def test_a_clip_request_fal_fails_with_its_own_server_error_is_not_counted_as_spent(
    session: AsyncSession, settings: Settings, fal_fake: tuple[FakeFal, str]
) -> None:
    """fal does not bill a request that fails with a 5xx request error: the clip's ledger row is
    `server_error`, the project fails saying so, and resume sends the clip again."""
    fake, url = fal_fake
    settings = fal_project_settings(settings, url, video_concurrency=1)
    project_id = await new_project(session, settings, {**KLING, "scenes": 2})
    fake.fail_next.append(Failure(*RUNNER_DISCONNECTED))
    with pytest.raises(Exception, match="runner_disconnected"):
        await run_pipeline(session, project_id, settings=settings, registry=load_registry())
    project = await load_project(session, project_id)
    assert project.status == "failed"
    assert "failed at fal with a server error (runner_disconnected" in project.error_message
    assert "fal does not bill it, and resume sends it again" in project.error_message
    (failed,) = [q for q in fake.submissions("video") if q.error]
    rows = [r for r in await ledger_rows(session, project_id) if r.role == "video"]
    (row,) = [r for r in rows if r.operation_id == f"{KLING_ID}|{failed.id}"]
    assert row.status == "server_error" and "runner_disconnected" in (row.note or "")
    (run,) = await runs_of(session, project_id)
    assert run.log["video_gen"]["server_error"] == 1  # the run's log counts it
    assert await billed_clip_requests(session, project_id) == billed_by_fal(fake)
    bill = fal_bill(fake, 5.0)
    assert await spent(session, project_id) == pytest.approx(bill)
    assert await spent_so_far(session, project_id) == pytest.approx(bill)

    project = await run_pipeline(session, project_id, settings=settings, registry=load_registry())
    assert project.status == "complete"
    assert len(fake.submissions("video")) == 3  # the failed clip was sent again
    assert fake.billed_of("video") == 2
    assert await statuses(session, project_id, "video") == ["ok", "ok", "server_error"]
    assert await billed_clip_requests(session, project_id) == billed_by_fal(fake)
    assert await spent(session, project_id) == pytest.approx(fal_bill(fake, 5.0))


async def test_a_keyframe_request_fal_fails_with_its_own_server_error_is_not_counted_as_spent(
    session: AsyncSession, settings: Settings, fal_fake: tuple[FakeFal, str]
) -> None:
    """A keyframe is polled inside one call: the attempt it started is settled `server_error`
    too, and the ledger matches fal's bill before and after the resume."""
    fake, url = fal_fake
    settings = fal_project_settings(settings, url)
    project_id = await new_project(session, settings, {**KLING, "scenes": 2})
    fake.fail_next.append(Failure(*RUNNER_DISCONNECTED, kind="image"))
    with pytest.raises(Exception, match="runner_disconnected"):
        await run_pipeline(session, project_id, settings=settings, registry=load_registry())
    project = await load_project(session, project_id)
    assert project.status == "failed"
    assert "fal does not bill it, and resume sends it again" in (project.error_message or "")
    assert await statuses(session, project_id, "image") == ["server_error"]
    assert await spent(session, project_id) == pytest.approx(fal_bill(fake, 5.0))

    project = await run_pipeline(session, project_id, settings=settings, registry=load_registry())
    assert project.status == "complete"
    assert len(fake.submissions("image")) == 4  # the failed keyframe was drawn again
    assert await statuses(session, project_id, "image") == ["ok", "ok", "ok", "server_error"]
    assert await spent(session, project_id) == pytest.approx(fal_bill(fake, 5.0))
    assert await spent(session, project_id) == pytest.approx(3 * EDIT_IMAGE + 10 * KLING_PER_SECOND)


async def test_a_keyframe_request_fal_fails_with_a_model_error_is_failed_not_unanswered(
    session: AsyncSession, settings: Settings, fal_fake: tuple[FakeFal, str]
) -> None:
    """A keyframe fal answered with the model's error (422, which fal may bill) is `failed` in
    the ledger and counted as spent; it is not left `sent` for the run's end to call unknown."""
    fake, url = fal_fake
    settings = fal_project_settings(settings, url)
    project_id = await new_project(session, settings, {**KLING, "scenes": 2})
    fake.fail_next.append(Failure("the image model could not read the start frame", kind="image"))
    with pytest.raises(Exception, match="could not read the start frame"):
        await run_pipeline(session, project_id, settings=settings, registry=load_registry())
    assert await statuses(session, project_id, "image") == ["failed"]
    assert await spent(session, project_id) == pytest.approx(EDIT_IMAGE)  # may be billed

    project = await run_pipeline(session, project_id, settings=settings, registry=load_registry())
    assert project.status == "complete"
    assert await statuses(session, project_id, "image") == ["failed", "ok", "ok", "ok"]


async def test_a_stop_while_queued_cancels_at_fal_and_the_next_run_sends_it_afresh(
    session: AsyncSession, settings: Settings, fal_fake: tuple[FakeFal, str]
) -> None:
    fake, url = fal_fake
    settings = fal_project_settings(settings, url)
    project_id = await new_project(session, settings, {**KLING, "scenes": 2})
    fake.hold_in_queue.set()
    run = asyncio.create_task(
        run_pipeline(session, project_id, settings=settings, registry=load_registry())
    )
    await _until(lambda: len(_answered(fake)) == 2)
    run.cancel()  # Ctrl+C, or the stop watcher cancelling the run
    with pytest.raises(asyncio.CancelledError):
        await run
    assert fake.count("cancel") == 2
    assert all(q.state == "CANCELLED" for q in fake.submissions("video"))
    # settled when the stop is recorded, not only by the next run
    rows = [r for r in await ledger_rows(session, project_id) if r.role == "video"]
    assert [r.status for r in rows] == ["cancelled", "cancelled"]
    assert await spent(session, project_id) == pytest.approx(3 * EDIT_IMAGE)
    fake.hold_in_queue.clear()
    project = await run_pipeline(session, project_id, settings=settings, registry=load_registry())
    assert project.status == "complete"
    assert len(fake.submissions("video")) == 4  # the two dropped ones were sent again
    fake.finish_all()
    assert fake.billed_of("video") == 2
    # the ledger counts exactly the requests fal bills; the dropped ones are `cancelled`
    assert await billed_clip_requests(session, project_id) == billed_by_fal(fake)
    rows = [r for r in await ledger_rows(session, project_id) if r.role == "video"]
    assert sorted(r.status for r in rows) == ["cancelled", "cancelled", "ok", "ok"]
    assert await spent(session, project_id) == pytest.approx(
        3 * EDIT_IMAGE + 10 * KLING_PER_SECOND  # 2 scenes: 3 keyframes, 2 clips of 5 s
    )


async def test_a_stop_mid_submit_leaves_the_unanswered_clip_awaiting_consent(
    session: AsyncSession, settings: Settings, fal_fake: tuple[FakeFal, str]
) -> None:
    """One clip is queued at fal, the other's submit answer has not come when the stop lands:
    that request may have been queued (here it was, and fal makes and bills it), so it waits
    for consent; the ledger still matches what fal bills."""
    fake, url = fal_fake
    fake.hang_seconds = 5.0
    settings = fal_project_settings(settings, url)
    project_id = await new_project(session, settings, {**KLING, "scenes": 2})
    fake.hold_in_queue.set()
    fake.inject("submit:video", None, "lose")  # the second submit's answer is late
    run = asyncio.create_task(
        run_pipeline(session, project_id, settings=settings, registry=load_registry())
    )
    await _until(lambda: len(fake.submissions("video")) == 2 and len(_answered(fake)) == 1)
    run.cancel()
    with pytest.raises(asyncio.CancelledError):
        await run
    fake.hold_in_queue.clear()
    with pytest.raises(SubmissionUnknownError, match="may have been accepted and billed"):
        await run_pipeline(session, project_id, settings=settings, registry=load_registry())
    assert len(fake.submissions("video")) == 3  # only the cancelled one was sent again

    assert len(await approve_resubmissions(session, project_id)) == 1
    project = await run_pipeline(session, project_id, settings=settings, registry=load_registry())
    assert project.status == "complete"
    fake.finish_all()  # fal made (and billed) the request whose answer never came
    assert fake.billed_of("video") == await billed_in_ledger(session, project_id, "video") == 3
    known = await billed_clip_requests(session, project_id)
    assert None in known and known - {None} < billed_by_fal(fake)


async def test_a_stop_before_the_submit_left_sends_it_without_asking(
    session: AsyncSession, settings: Settings, fal_fake: tuple[FakeFal, str]
) -> None:
    """The stop lands while the second clip's frames are still uploading: its submit was never
    sent (the ledger has no attempt of it), so the next run sends it without asking."""
    fake, url = fal_fake
    settings = fal_project_settings(settings, url)
    project_id = await new_project(session, settings, {**KLING, "scenes": 2})
    fake.hold_in_queue.set()
    fake.stalled_uploads.add("scene1_end.png")  # the second clip's end frame
    run = asyncio.create_task(
        run_pipeline(session, project_id, settings=settings, registry=load_registry())
    )
    uploading = lambda: any(  # noqa: E731
        r.headers.get("x-fal-file-name") == "scene1_end.png" for r in fake.of_kind("upload")
    )
    await _until(lambda: len(_answered(fake)) == 1 and uploading())
    run.cancel()
    with pytest.raises(asyncio.CancelledError):
        await run
    fake.stalled_uploads.clear()
    fake.hold_in_queue.clear()
    assert len(fake.submissions("video")) == 1

    project = await run_pipeline(
        session, project_id, settings=settings, registry=load_registry()
    )  # no consent asked
    assert project.status == "complete"
    assert len(fake.submissions("video")) == 3  # the cancelled one again, and the unsent one
    fake.finish_all()
    assert await billed_clip_requests(session, project_id) == billed_by_fal(fake)
    assert fake.billed_of("video") == 2


async def _until(predicate: Callable[[], Any], timeout: float = 60) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError("timed out waiting")
        await asyncio.sleep(0.02)


# ---------------------------------------------------------------- SIGKILL, in a subprocess


@pytest.mark.slow
@pytest.mark.parametrize("held", ["IN_QUEUE", "IN_PROGRESS"])
def test_sigkill_while_a_request_is_held_then_resume_polls_the_same_request(
    held: str, fal_fake: tuple[FakeFal, str], tmp_path: Path
) -> None:
    fake, url = fal_fake
    env = user_env(tmp_path / "data")
    env |= {f"VIDPIPE_{k.upper()}": str(v) for k, v in FAST.items()}
    env |= {
        "VIDPIPE_IMAGE_PROVIDER": "fal",
        "VIDPIPE_VIDEO_PROVIDER": "fal",
        "VIDPIPE_FAL_BASE_URL": url,
        "FAL_KEY": FAL_KEY,
    }
    hold = fake.hold_in_queue if held == "IN_QUEUE" else fake.hold_in_progress
    hold.set()
    run = subprocess.Popen(
        [sys.executable, "-m", "vidpipe", "generate", "a paper boat", "--scenes", "2",
         "--clip-duration", "5", "--yes"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        _wait_for(lambda: len(_polled(fake)) == 2 and _states(fake) == {held}, timeout=60)
    finally:
        run.send_signal(signal.SIGKILL)
        run.communicate()
    committed = _polled(fake)
    assert fake.count("cancel") == 0  # a SIGKILL cancels nothing

    hold.clear()
    listed = _vidpipe("list", "--json", env=env)
    (project,) = json.loads(listed.stdout)
    resumed = _vidpipe("resume", project["id"], "--yes", "--json", env=env)
    assert resumed.returncode == 0, resumed.stderr
    assert json.loads(resumed.stdout)["status"] == "complete"
    assert len(fake.submissions("video")) == 2  # one submission per clip
    assert _polled(fake) == committed  # the resume polled the same request ids
    fake.finish_all()
    assert fake.billed_of("video") == 2


def _polled(fake: FakeFal) -> set[str]:
    """Ids of the clip requests whose status was asked."""
    clips = {q.id for q in fake.submissions("video")}
    asked = {r.path.split("/requests/")[1].split("/")[0] for r in fake.of_kind("status")}
    return asked & clips


def _answered(fake: FakeFal) -> set[str]:
    """Ids of the clip requests whose status the client has surely read once: asked twice (the
    client asks again only after reading an answer)."""
    return {q.id for q in fake.submissions("video") if q.polls >= 2}


def _states(fake: FakeFal) -> set[str]:
    return {q.state for q in fake.submissions("video")}


def _vidpipe(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return run_in_process(list(args), env)


def _wait_for(predicate: Callable[[], Any], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.05)


@pytest.mark.slow
def test_doctor_asks_fals_pricing_endpoint_and_names_the_key_when_refused(
    fal_fake: tuple[FakeFal, str], tmp_path: Path
) -> None:
    fake, url = fal_fake
    env = user_env(tmp_path / "data") | {
        "VIDPIPE_IMAGE_PROVIDER": "fal",
        "VIDPIPE_VIDEO_PROVIDER": "fal",
        "VIDPIPE_FAL_BASE_URL": url,
        "FAL_KEY": FAL_KEY,
    }
    result = _vidpipe("doctor", "--json", env=env)
    checks = {c["name"]: c for c in json.loads(result.stdout)}
    assert "credentials accepted" in checks["video provider"]["detail"]
    assert "credentials accepted" in checks["image provider"]["detail"]
    assert {r.kind for r in fake.requests} == {"pricing"}  # free questions only

    refused = _vidpipe("doctor", "--json", env=env | {"FAL_KEY": "wrong"})
    assert refused.returncode == 1
    checks = {c["name"]: c for c in json.loads(refused.stdout)}
    assert "FAL_KEY" in checks["video provider"]["detail"]


async def test_one_scene_redone_on_fal_seedance_keeps_the_chain_and_the_bill(
    session: AsyncSession, settings: Settings, fal_fake: tuple[FakeFal, str]
) -> None:
    """Clips on Kling, then scene 2 redone on Seedance (a take on another model): Seedance gets
    the same two chain frames as Kling did, `takes` shows both models with their costs, the
    ledger matches what the fake billed, and `select` goes back to Kling with no call."""
    from vidpipe.orchestrator.edits import Editor
    from vidpipe.orchestrator.pipeline import plan_project
    from vidpipe.orchestrator.report import takes_document
    from vidpipe.providers.registry import load_registry

    fake, url = fal_fake
    settings = fal_project_settings(settings, url)
    project_id = await new_project(session, settings, KLING)
    project = await run_pipeline(session, project_id, settings=settings, registry=load_registry())
    assert project.status == "complete"

    registry = load_registry()
    editor = Editor(session, settings, registry)
    await editor.redo(project_id, 2, "clip", None, model=f"fal:{SEEDANCE}")
    plan = await plan_project(session, project_id, settings=settings, registry=registry)
    assert [(i.kind, i.scene) for i in plan.items if i.kind in ("clip", "keyframe")] == [
        ("clip", 2)
    ]
    project = await run_pipeline(session, project_id, settings=settings, registry=load_registry())
    assert project.status == "complete"

    (seedance,) = [r for r in fake.received if r["model"] == SEEDANCE]
    storage = ProjectStorage(settings.projects_dir, project_id)
    scene_2 = tuple(
        hashlib.sha256(storage.resolve(k.file_path).read_bytes()).hexdigest()
        for k in (keyframe_of(project.scenes[0], "end"), keyframe_of(project.scenes[1], "end"))
    )
    kling = [(r["start"], r["end"]) for r in fake.received if r["model"] == KLING_ID]
    assert len(kling) == 3 and scene_2 in kling  # Kling's take of scene 2 had the same frames
    assert (seedance["start"], seedance["end"]) == scene_2
    assert chained(fake, project, settings)
    assert len(fake.submissions("video")) == 4
    assert await billed_in_ledger(session, project_id, "video") == 4

    document = (await takes_document(session, settings, project_id, 2)).as_json()
    clips = [t for t in document["takes"] if t["slot"] == "clip"]
    assert [(t["take"], t["model"], t["selected"]) for t in clips] == [
        (1, f"fal:{KLING_ID}", False),
        (2, f"fal:{SEEDANCE}", True),
    ]
    assert [t["cost"] for t in clips] == [
        pytest.approx(5 * KLING_PER_SECOND),
        pytest.approx(5 * SEEDANCE_PER_SECOND),
    ]

    before = len(fake.submissions())
    await editor.select(project_id, 2, 1)  # back to the Kling take
    project = await load_project(session, project_id)
    assert project.scenes[1].video_model is None
    assert len(fake.submissions()) == before
    fake.finish_all()
