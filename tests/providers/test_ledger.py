"""Never pay twice, for real (issue 13): the ledger equals the bills of a service that bills every
request it carries out; the budget is checked before every attempt; a lost answer to a clip
submission is never re-sent without the user's consent."""

from __future__ import annotations

import asyncio
import json

import pytest
from fake_google import FakeGoogle
from provider_env import google_settings
from remote_projects import ledger_rows, new_project, spent, with_providers
from sqlalchemy.ext.asyncio import AsyncSession

from vidpipe.config import Settings
from vidpipe.db.queries import load_project
from vidpipe.errors import BudgetExceededError
from vidpipe.orchestrator import run_pipeline
from vidpipe.orchestrator.pipeline import plan_project
from vidpipe.orchestrator.projects import approve_resubmissions
from vidpipe.orchestrator.report import project_document
from vidpipe.pipeline.video_gen import SubmissionUnknownError
from vidpipe.providers.registry import load_registry
from vidpipe.storage import ProjectStorage

Fake = tuple[FakeGoogle, str]
VEO = {"scenes": 2, "clip_duration": 4.0, "resolution": "720p"}
SMALL = {"scenes": 2, "clip_duration": 1.0, "resolution": "480p"}
STORYBOARD_PRICE = 0.013  # gemini-3.8-flash, per call


def billed_rows(rows: list) -> list:
    return [r for r in rows if r.status != "refused"]


async def test_every_storyboard_re_ask_is_a_ledger_row_with_its_cost(
    session: AsyncSession, settings: Settings, google_fake: Fake
) -> None:
    fake, url = google_fake
    settings = with_providers(google_settings(settings, url), "google", "local", "local")
    fake.inject("generateContent:text", "max_tokens", "max_tokens")
    project_id = await new_project(session, settings, SMALL)
    project = await run_pipeline(session, project_id, settings=settings, registry=load_registry())

    assert project.status == "complete"
    rows = [r for r in await ledger_rows(session, project_id) if r.step == "storyboard"]
    assert [r.status for r in rows] == ["ok", "ok", "ok"]  # two cut-off answers are billed too
    assert [r.cost for r in rows] == [pytest.approx(STORYBOARD_PRICE)] * 3
    assert fake.billed("generateContent:text") == len(rows) == 3
    assert project.runs[-1].log["storyboard"]["provider_calls"] == 3
    assert project.runs[-1].log["storyboard"]["estimated_cost"] == pytest.approx(
        3 * STORYBOARD_PRICE
    )
    document = project_document(
        project, ProjectStorage(settings.projects_dir, project_id)
    ).as_json()
    assert document["ledger"]["spent"] == pytest.approx(3 * STORYBOARD_PRICE)
    assert document["ledger"]["billed_calls"] == 3
    assert document["ledger"]["estimated_cost"] == pytest.approx(STORYBOARD_PRICE)


async def test_the_budget_is_checked_before_each_re_ask(
    session: AsyncSession, settings: Settings, google_fake: Fake
) -> None:
    fake, url = google_fake
    settings = with_providers(google_settings(settings, url), "google", "local", "local")
    fake.inject("generateContent:text", "max_tokens", "max_tokens")
    project_id = await new_project(session, settings, {**SMALL, "max_cost": 0.02})

    with pytest.raises(BudgetExceededError, match="budget exceeded"):
        await run_pipeline(session, project_id, settings=settings, registry=load_registry())

    assert fake.count("generateContent:text") == 1  # the second attempt was never sent
    project = await load_project(session, project_id)
    assert project.status == "failed"
    assert project.error_message.startswith("storyboard failed: BudgetExceededError: budget")
    (row,) = await ledger_rows(session, project_id)
    assert (row.status, row.cost) == ("ok", pytest.approx(STORYBOARD_PRICE))


async def test_a_lost_veo_answer_is_not_sent_again_without_consent(
    session: AsyncSession, settings: Settings, google_fake: Fake
) -> None:
    fake, url = google_fake
    settings = with_providers(
        google_settings(settings, url, provider_submit_timeout_seconds=1.0),
        "local",
        "local",
        "google",
    )
    fake.hang_seconds = 3.0
    fake.inject("predictLongRunning", "slow_answer")  # the first submission: done, answer lost
    project_id = await new_project(session, settings, VEO)

    with pytest.raises(SubmissionUnknownError, match="may have been accepted and billed"):
        await run_pipeline(session, project_id, settings=settings, registry=load_registry())
    await asyncio.to_thread(fake.wait_for_late_answers)  # the late answer is gone for good
    project = await load_project(session, project_id)
    assert project.status == "failed"
    assert "resume and confirm to resubmit (it may be billed twice)" in project.error_message
    statuses = sorted(s.clip.status for s in project.scenes if s.clip)
    assert statuses == ["complete", "submit_unknown"]  # the other scene went on
    assert fake.count("predictLongRunning") == 2  # one per clip: nothing re-sent
    unknown = [r for r in await ledger_rows(session, project_id) if r.status == "unknown"]
    assert len(unknown) == 1 and unknown[0].step == "video_gen"

    # Resumed without consent: still nothing is sent.
    with pytest.raises(SubmissionUnknownError):
        await run_pipeline(session, project_id, settings=settings, registry=load_registry())
    assert fake.count("predictLongRunning") == 2

    # With consent: re-sent once, and the project completes.
    plan = await plan_project(session, project_id, settings=settings, registry=load_registry())
    assert (plan.clips, plan.resubmissions, plan.keyframes) == ([1], [1], [])
    assert plan.estimated_cost == pytest.approx(4 * 0.40)
    assert "may be billed twice" in plan.document().items[0].reason
    assert await approve_resubmissions(session, project_id) == [1]
    project = await run_pipeline(session, project_id, settings=settings, registry=load_registry())
    assert project.status == "complete"
    assert fake.count("predictLongRunning") == 3
    rows = [r for r in await ledger_rows(session, project_id) if r.step == "video_gen"]
    assert len(billed_rows(rows)) == fake.billed("predictLongRunning") == 3
    assert await spent(session, project_id) == pytest.approx(3 * 4 * 0.40)


async def test_a_submission_cut_short_by_a_stop_is_unknown_on_resume(
    session: AsyncSession,
    settings: Settings,
    google_fake: Fake,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A runner that stops between sending and committing (as on SIGKILL) leaves `submitting`:
    the next run does not send that clip again on its own."""
    fake, url = google_fake
    settings = with_providers(
        google_settings(settings, url, provider_submit_timeout_seconds=30.0),
        "local",
        "local",
        "google",
    )
    fake.hang_seconds = 10.0
    fake.inject("predictLongRunning", "slow_answer", "slow_answer")
    project_id = await new_project(session, settings, {**VEO, "scenes": 1})
    run = asyncio.create_task(
        run_pipeline(session, project_id, settings=settings, registry=load_registry())
    )
    while fake.billed("predictLongRunning") == 0:
        await asyncio.sleep(0.05)
    run.cancel()
    with pytest.raises(asyncio.CancelledError):
        await run

    with pytest.raises(SubmissionUnknownError):
        await run_pipeline(session, project_id, settings=settings, registry=load_registry())
    project = await load_project(session, project_id)
    assert project.scenes[0].clip.status == "submit_unknown"
    assert "stopped while sending" in project.scenes[0].clip.error_message
    assert fake.count("predictLongRunning") == 1
    (row,) = [r for r in await ledger_rows(session, project_id) if r.step == "video_gen"]
    assert row.status == "unknown"

    # `resume --yes --json` approves the resubmission: its JSON document says so
    from vidpipe.cli.shared import bring_up_to_date

    fake.hang_seconds = 0.0
    code = await bring_up_to_date(
        session, settings, load_registry(), project_id, yes=True, json_output=True
    )
    printed = json.loads(capsys.readouterr().out)
    assert code == 0 and printed["status"] == "complete"
    assert printed["approved_resubmissions"] == [1]
    assert fake.count("predictLongRunning") == 2  # sent again, as approved


async def test_429_and_503_on_a_submit_are_retried_and_not_billed(
    session: AsyncSession, settings: Settings, google_fake: Fake
) -> None:
    fake, url = google_fake
    settings = with_providers(google_settings(settings, url), "local", "local", "google")
    fake.inject("predictLongRunning", 429, 503)
    project_id = await new_project(session, settings, VEO)
    project = await run_pipeline(session, project_id, settings=settings, registry=load_registry())

    assert project.status == "complete"
    assert fake.count("predictLongRunning") == 4
    rows = [r for r in await ledger_rows(session, project_id) if r.step == "video_gen"]
    assert sorted(r.status for r in rows) == ["ok", "ok", "refused", "refused"]
    assert len(billed_rows(rows)) == fake.billed("predictLongRunning") == 2
    assert await spent(session, project_id) == pytest.approx(2 * 4 * 0.40)


async def test_a_received_keyframe_and_its_ledger_settlement_commit_together(
    session: AsyncSession,
    settings: Settings,
    google_fake: Fake,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A run cut between receiving a paid image and keeping it (as by SIGKILL) never leaves a
    ledger row `ok` for a frame no row holds: the settlement commits with the frame's rows."""
    from sqlalchemy import func, select

    from vidpipe.db.models import Take
    from vidpipe.storage import ProjectStorage as Storage

    fake, url = google_fake
    settings = with_providers(google_settings(settings, url), "local", "google", "local")
    project_id = await new_project(session, settings, SMALL)
    write = Storage.write_bytes
    seen: list[str] = []

    def cut_at_the_second_frame(self: Storage, relative: str, data: bytes):  # type: ignore[no-untyped-def]
        if relative.startswith("keyframes/"):
            seen.append(relative)
            if len(seen) == 2:
                raise RuntimeError("killed between receiving the frame and keeping it")
        return write(self, relative, data)

    monkeypatch.setattr(Storage, "write_bytes", cut_at_the_second_frame)
    with pytest.raises(RuntimeError, match="killed"):
        await run_pipeline(session, project_id, settings=settings, registry=load_registry())
    rows = [r for r in await ledger_rows(session, project_id) if r.step == "keyframes"]
    kept = await session.scalar(
        select(func.count()).select_from(Take).where(Take.project_id == project_id)
    )
    assert kept == 1
    assert [r.status for r in rows if r.status == "ok"] == ["ok"]  # only the frame it kept
    assert fake.billed("generateContent:image") == 2  # both were paid: one kept, one unknown
