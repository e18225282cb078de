"""Incremental rebuilds, with latency-simulating providers.

    python benchmarks/incremental.py            # 10 scenes, video latency 5 s
    python benchmarks/incremental.py --quick    # shorter latencies

1. A complete 10-scene project; one scene's motion prompt is edited; the resume's wall time is
   compared with (one sim clip + the stitch as measured in that resume): target ≤ 1.10, and the
   resume must make exactly one video call (and no image or storyboard call).
2. `plan` (plan_project: load, fingerprints, cost; no provider call) on a complete 20-scene
   project: the median of 20 calls, target < 200 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, select  # noqa: E402
from sqlalchemy.ext.asyncio import AsyncSession  # noqa: E402

from vidpipe.config import Settings  # noqa: E402
from vidpipe.db.engine import open_database  # noqa: E402
from vidpipe.db.models import ProviderCall  # noqa: E402
from vidpipe.orchestrator import run_pipeline  # noqa: E402
from vidpipe.orchestrator.edits import Editor, SceneEdit  # noqa: E402
from vidpipe.orchestrator.pipeline import plan_project  # noqa: E402
from vidpipe.orchestrator.projects import GenerateOptions, create_project  # noqa: E402
from vidpipe.providers.registry import load_registry  # noqa: E402


def sim_settings(workdir: Path, latency: dict[str, float]) -> Settings:
    return Settings(
        data_dir=workdir,
        storyboard_provider="sim",
        image_provider="sim",
        video_provider="sim",
        sim_latency=latency,
        sim_jitter=0.0,
    )


async def calls_by_role(session: AsyncSession, project_id: uuid.UUID) -> dict[str, int]:
    rows = await session.execute(
        select(ProviderCall.role, func.count())
        .where(ProviderCall.project_id == project_id)
        .group_by(ProviderCall.role)
    )
    return {str(row[0]): int(row[1]) for row in rows.all()}


async def complete(session: AsyncSession, settings: Settings, scenes: int) -> uuid.UUID:
    options = GenerateOptions(prompt="benchmark", scenes=scenes, clip_duration=4)
    project = await create_project(session, settings, options)
    project = await run_pipeline(session, project.id, settings=settings, registry=load_registry())
    assert project.status == "complete"
    return project.id


async def one_scene_edit(workdir: Path, latency: dict[str, float]) -> None:
    settings = sim_settings(workdir / "edit", latency)
    async with open_database(settings.effective_database_url) as sessions:
        async with sessions() as session:
            project_id = await complete(session, settings, 10)
            before = await calls_by_role(session, project_id)
            editor = Editor(session, settings, load_registry())
            await editor.edit(
                project_id,
                scene_number=6,
                scene_edit=SceneEdit(video_motion_prompt="a slow dolly in"),
            )
            plan = await plan_project(
                session, project_id, settings=settings, registry=load_registry()
            )
            assert plan.clips == [6] and not plan.keyframes, plan.document()
            started = time.perf_counter()
            project = await run_pipeline(
                session, project_id, settings=settings, registry=load_registry()
            )
            wall = time.perf_counter() - started
            assert project.status == "complete"
            after = await calls_by_role(session, project_id)
            made = {role: after.get(role, 0) - before.get(role, 0) for role in after}
            # No stitch entry: the final was current. Sim clips depend on size and duration
            # only, so the new take has the old one's content hash and the final's inputs
            # did not change (content-addressed, as a build system should be).
            stitch = project.runs[-1].log.get("stitch", {}).get("seconds", 0.0)
    floor = latency["video"] + stitch
    print(f"PERF-5 edit   10 scenes, scene 6 motion edited; calls made by the resume: {made}")
    print(f"              resume wall {wall:.2f} s, one clip + stitch {floor:.2f} s "
          f"(stitch {stitch:.2f} s), ratio {wall / floor:.3f}   (target ≤ 1.10)")  # fmt: skip
    assert made.get("video", 0) == 1 and made.get("image", 0) == 0, made


async def plan_timing(workdir: Path, latency: dict[str, float], repeats: int = 20) -> None:
    settings = sim_settings(workdir / "plan", latency)
    registry = load_registry()
    async with open_database(settings.effective_database_url) as sessions:
        async with sessions() as session:
            project_id = await complete(session, settings, 20)
        times = []
        for _ in range(repeats):
            async with sessions() as session:  # a fresh session each time, as a request has
                started = time.perf_counter()
                plan = await plan_project(session, project_id, settings=settings, registry=registry)
                times.append((time.perf_counter() - started) * 1000)
                assert plan.empty
    print(f"PERF-5 plan   20 scenes, {repeats} calls: median {statistics.median(times):.1f} ms, "
          f"max {max(times):.1f} ms   (target < 200 ms)")  # fmt: skip


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    latency = (
        {"storyboard": 0.1, "image": 0.05, "video": 1.0}
        if args.quick
        else {"storyboard": 0.2, "image": 0.1, "video": 5.0}
    )
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}; sim latency {latency}, jitter 0")  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        await one_scene_edit(Path(tmp), latency)
        await plan_timing(Path(tmp), latency)


if __name__ == "__main__":
    asyncio.run(main())
