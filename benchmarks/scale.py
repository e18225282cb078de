"""Scale-out: projects per minute with 1, 2 and 4 `vidpipe worker` processes, and the global cap.

    python benchmarks/scale.py                     # 16 projects per run, 1/2/4 workers, cap check
    python benchmarks/scale.py --quick             # 8 projects per run
    python benchmarks/scale.py --admin-url postgresql+asyncpg://postgres@127.0.0.1:5432/test

Each run gets a fresh PostgreSQL database, starts W real worker processes (`python -m vidpipe
worker --concurrency 2`, sim providers with realistic relative latencies: a clip takes 6× a
storyboard and 12× a keyframe), enqueues the same P two-scene projects at once and times them
until all are complete. The clip cap (VIDPIPE_VIDEO_CONCURRENCY) is set above what 4 workers can
demand, so the runs measure scaling "up to the provider cap"; a last run puts 4 workers under a
cap of 3 and reads the peak of concurrent clips the sim provider recorded across all of them.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from vidpipe.config import Settings  # noqa: E402
from vidpipe.db.engine import open_database  # noqa: E402
from vidpipe.db.models import Project  # noqa: E402
from vidpipe.orchestrator.projects import GenerateOptions, create_project  # noqa: E402
from vidpipe.runners.queue import enqueue, make_app  # noqa: E402

LATENCY = {"storyboard": 0.5, "image": 0.25, "video": 3.0}
PER_WORKER = 2  # projects each worker runs at once


async def _admin(admin_url: str, sql: str) -> None:
    import asyncpg

    url = make_url(admin_url)
    connection = await asyncpg.connect(
        host=url.host, port=url.port, user=url.username, password=url.password,
        database=url.database,
    )  # fmt: skip
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


def _env(settings: Settings) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VIDPIPE_")}
    env.update(
        VIDPIPE_DATA_DIR=str(settings.data_dir),
        VIDPIPE_DATABASE_URL=settings.effective_database_url,
        VIDPIPE_EXECUTION="queue",
        VIDPIPE_STORYBOARD_PROVIDER="sim",
        VIDPIPE_IMAGE_PROVIDER="sim",
        VIDPIPE_VIDEO_PROVIDER="sim",
        VIDPIPE_SIM_LATENCY=json.dumps(LATENCY),
        VIDPIPE_VIDEO_CONCURRENCY=str(settings.video_concurrency),
        VIDPIPE_WORKER_HEARTBEAT_SECONDS="1",
        VIDPIPE_NO_PLUGINS="1",
    )
    return env


async def one_run(admin_url: str, workdir: Path, workers: int, projects: int, cap: int) -> dict:
    """Throughput of `workers` workers on `projects` projects; the recorded peak of clips."""
    name = f"vidpipe_bench_{uuid.uuid4().hex[:10]}"
    await _admin(admin_url, f'CREATE DATABASE "{name}"')
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    settings = Settings(
        data_dir=workdir / name,
        database_url=url,
        execution="queue",
        storyboard_provider="sim",
        image_provider="sim",
        video_provider="sim",
        sim_latency=LATENCY,
        video_concurrency=cap,
    )
    children: list[subprocess.Popen[bytes]] = []
    try:
        async with open_database(url) as sessions:
            env = _env(settings)
            for _ in range(workers):
                children.append(
                    subprocess.Popen(
                        [
                            sys.executable,
                            "-m",
                            "vidpipe",
                            "worker",
                            "--concurrency",
                            str(PER_WORKER),
                        ],
                        env=env,
                        stdout=subprocess.DEVNULL,
                        stderr=subprocess.DEVNULL,
                    )  # fmt: skip
                )
            async with sessions() as session:
                while (await session.scalar(text("SELECT count(*) FROM workers"))) < workers:
                    await session.commit()
                    await asyncio.sleep(0.2)
                ids = []
                for number in range(projects):
                    options = GenerateOptions(
                        prompt=f"benchmark {number}", scenes=2, clip_duration=2, resolution="480p"
                    )
                    ids.append((await create_project(session, settings, options)).id)
                queue = make_app(settings)
                idle_cpu = sum(_cpu_seconds(child.pid) for child in children)
                load = os.getloadavg()[0]
                started = time.perf_counter()
                async with queue.open_async():
                    for project_id in ids:
                        await enqueue(queue, session, project_id)
                done = 0
                while done < projects:
                    await asyncio.sleep(0.2)
                    await session.commit()
                    done = await session.scalar(
                        select(func.count()).where(Project.status == "complete")
                    )
                    failed = await session.scalar(
                        select(func.count()).where(Project.status == "failed")
                    )
                    assert not failed, "a project failed"
                wall = time.perf_counter() - started
                peak = await session.scalar(text("SELECT peak FROM sim_concurrency"))
                runners = await session.scalar(
                    text("SELECT count(DISTINCT split_part(runner, ':', 2)) FROM pipeline_runs")
                )
                run_seconds = await session.scalar(
                    text(
                        "SELECT percentile_cont(0.5) WITHIN GROUP "
                        "(ORDER BY total_duration_seconds) FROM pipeline_runs"
                    )
                )
                cpu = sum(_cpu_seconds(child.pid) for child in children) - idle_cpu
    finally:
        for child in children:
            child.terminate()
        for child in children:
            child.wait(timeout=60)
        await _admin(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return {
        "workers": workers,
        "projects": projects,
        "seconds": wall,
        "per_minute": projects / wall * 60,
        "peak": peak,
        "cap": cap,
        "runners": runners,
        "run_seconds": run_seconds,
        "cpu_per_project": cpu / projects,
        "load": load,
    }


def _cpu_seconds(pid: int) -> float:
    import psutil

    times = psutil.Process(pid).cpu_times()
    return times.user + times.system + times.children_user + times.children_system


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument(
        "--admin-url",
        default=os.environ.get(
            "VIDPIPE_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
        ),
        help="a PostgreSQL database to create the benchmark's databases from",
    )
    args = parser.parse_args()
    projects = 8 if args.quick else 16
    print(
        f"{platform.platform()}, {os.cpu_count()} CPUs, Python {platform.python_version()}; "
        f"sim latencies {LATENCY}; {projects} two-scene projects per run, "
        f"{PER_WORKER} per worker"
    )
    with tempfile.TemporaryDirectory(prefix="vidpipe-scale-") as tmp:
        workdir = Path(tmp)
        results = []
        for workers in (1, 2, 4):
            result = await one_run(args.admin_url, workdir, workers, projects, cap=64)
            results.append(result)
            base = results[0]["per_minute"]
            efficiency = result["per_minute"] / (base * workers)
            print(
                f"{workers} worker(s): {result['seconds']:6.1f} s, "
                f"{result['per_minute']:5.1f} projects/min, scaling efficiency "
                f"{efficiency:.2f} (target ≥ 0.80); median run {result['run_seconds']:.2f} s, "
                f"peak clips {result['peak']}, {result['runners']} worker(s) ran projects; "
                f"worker CPU {result['cpu_per_project']:.2f} s/project; "
                f"load average {result['load']:.1f} at start"
            )
        capped = await one_run(args.admin_url, workdir, 4, projects, cap=3)
        verdict = "never exceeded" if capped["peak"] <= capped["cap"] else "EXCEEDED"
        print(
            f"global cap under load: 4 workers, cap {capped['cap']}: peak {capped['peak']} "
            f"concurrent clips across all workers ({verdict}); "
            f"{capped['per_minute']:.1f} projects/min"
        )


if __name__ == "__main__":
    asyncio.run(main())
