"""The latency-simulating provider: real tiny artifacts, polled operations, measurable delays."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from vidpipe.config import Settings
from vidpipe.media.probe import probe
from vidpipe.orchestrator import run_pipeline
from vidpipe.orchestrator.projects import GenerateOptions, create_project
from vidpipe.providers.registry import load_registry
from vidpipe.providers.sim import SimVideoProvider
from vidpipe.storage import ProjectStorage


@pytest.fixture
def sim_settings(settings: Settings) -> Settings:
    return settings.model_copy(
        update={
            "storyboard_provider": "sim",
            "image_provider": "sim",
            "video_provider": "sim",
            "sim_latency": {"storyboard": 0.05, "image": 0.05, "video": 0.4},
            "sim_poll_interval": 0.05,
        }
    )


async def test_sim_pipeline_runs_and_notices_finished_operations_quickly(
    session: AsyncSession, sim_settings: Settings
) -> None:
    SimVideoProvider.notice_delays.clear()
    options = GenerateOptions(prompt="a sim run", scenes=4, clip_duration=2)
    project = await create_project(session, sim_settings, options)
    project = await run_pipeline(
        session, project.id, settings=sim_settings, registry=load_registry()
    )
    assert project.status == "complete"
    assert all(s.clip and s.clip.operation_id.startswith("sim-") for s in project.scenes)  # type: ignore[union-attr]
    final = ProjectStorage(sim_settings.projects_dir, project.id).resolve(project.output_path or "")
    assert probe(final).duration == pytest.approx(8.0, abs=0.1)
    assert len(SimVideoProvider.notice_delays) == 4
    # The spec asks for noticing "within ~2 s"; 1 s leaves room for a loaded CI machine, where other
    # clips' hashing and fidelity decoding share the two cores with this poll loop
    assert all(0 <= delay < 0.05 + 1.0 for delay in SimVideoProvider.notice_delays)
