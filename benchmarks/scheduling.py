"""Scheduling: wall time against the critical path, with latency-simulating providers.

    python benchmarks/scheduling.py            # N = 5, 10, 20
    python benchmarks/scheduling.py --quick    # N = 5 only, shorter latencies

Critical path = storyboard + (N+1) chained keyframes + one clip + the stitch as measured in the
same run. Also prints the delay between a simulated operation finishing and the pipeline
noticing it (the shared polling schedule), with the default poll interval and ±20 % latency jitter.
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
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from vidpipe.config import Settings  # noqa: E402
from vidpipe.db.engine import open_database  # noqa: E402
from vidpipe.orchestrator import run_pipeline  # noqa: E402
from vidpipe.orchestrator.projects import GenerateOptions, create_project  # noqa: E402
from vidpipe.providers.registry import load_registry
from vidpipe.providers.sim import SimVideoProvider  # noqa: E402
from vidpipe.providers.sim_settings import SimSettings  # noqa: E402


async def one_run(
    workdir: Path, scenes: int, latency: dict[str, float], jitter: float
) -> tuple[float, float]:
    """(wall seconds of run_pipeline, stitch seconds) for one project."""
    settings = Settings(
        data_dir=workdir / f"n{scenes}-j{jitter}",
        storyboard_provider="sim",
        image_provider="sim",
        video_provider="sim",
        sim_latency=latency,
        sim_jitter=jitter,
    )
    async with open_database(settings.effective_database_url) as sessions:
        async with sessions() as session:
            options = GenerateOptions(prompt="benchmark", scenes=scenes, clip_duration=4)
            project = await create_project(session, settings, options)
            started = time.perf_counter()
            project = await run_pipeline(
                session, project.id, settings=settings, registry=load_registry()
            )
            wall = time.perf_counter() - started
            assert project.status == "complete"
            return wall, project.runs[-1].log["stitch"]["seconds"]


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    latency = (
        {"storyboard": 0.2, "image": 0.1, "video": 1.0}
        if args.quick
        else {"storyboard": 1.0, "image": 0.5, "video": 5.0}
    )
    sizes = [5] if args.quick else [5, 10, 20]
    cores, python = os.cpu_count(), platform.python_version()
    print(f"machine: {platform.machine()}, {cores} cores, Python {python}")
    print(f"latency per call: {latency} (jitter 0 for the critical-path rows)")
    print(f"\nPERF-3  {'N':>3} {'wall s':>8} {'critical s':>11} {'ratio':>7}   (target ≤ 1.10)")
    with tempfile.TemporaryDirectory() as tmp:
        for scenes in sizes:
            wall, stitch = await one_run(Path(tmp), scenes, latency, jitter=0.0)
            critical = (
                latency["storyboard"] + (scenes + 1) * latency["image"] + latency["video"] + stitch
            )
            print(f"        {scenes:>3} {wall:8.2f} {critical:11.2f} {wall / critical:7.3f}")
        SimVideoProvider.notice_delays.clear()
        await one_run(Path(tmp), sizes[-1], latency, jitter=0.2)
        delays = SimVideoProvider.notice_delays
        interval = Settings().provider(SimSettings).poll_interval
        print(
            f"\nPROV-5  finish → noticed, {len(delays)} operations, poll interval {interval} s: "
            f"median {statistics.median(delays):.3f} s, max {max(delays):.3f} s"
        )


if __name__ == "__main__":
    asyncio.run(main())
