"""What one run costs besides the providers: SQL statements and wall time of `run_pipeline`
on a finished 2-scene project (sim providers, no latency).

    python benchmarks/run_overhead.py [--repeats 10]

1. Nothing to make: the finished project is set `out_of_date` (as an edit that changed nothing
   would leave it) and brought up to date: the plan is empty, nothing is stitched.
2. One clip to make: scene 2's motion prompt is edited, then the run makes that clip and
   stitches.
Each figure is the median over the repeats; statements are counted on the engine, fingerprints
(of keyframes, clips and the final, made in vidpipe/pipeline/fingerprints.py) by wrapping `digest`.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import event, update  # noqa: E402
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession  # noqa: E402

import vidpipe.pipeline.fingerprints as fingerprints  # noqa: E402
from vidpipe.config import Settings  # noqa: E402
from vidpipe.db.engine import open_database  # noqa: E402
from vidpipe.db.models import Project  # noqa: E402
from vidpipe.orchestrator import run_pipeline  # noqa: E402
from vidpipe.orchestrator.edits import Editor, SceneEdit  # noqa: E402
from vidpipe.orchestrator.projects import GenerateOptions, create_project  # noqa: E402
from vidpipe.providers.registry import load_registry  # noqa: E402


class Counter:
    """SQL statements sent through an engine, and fingerprints computed, while `active`."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.count, self.digests, self.active = 0, 0, False
        event.listen(engine.sync_engine, "before_cursor_execute", self._seen)
        original = fingerprints.digest

        def counted(*parts: object) -> str:
            if self.active:
                self.digests += 1
            return original(*parts)

        fingerprints.digest = counted  # type: ignore[assignment]

    def _seen(self, *_: object) -> None:
        if self.active:
            self.count += 1


async def timed_run(
    session: AsyncSession, project_id: uuid.UUID, settings: Settings, counter: Counter
) -> tuple[float, int, int]:
    registry = load_registry()
    counter.count, counter.digests, counter.active = 0, 0, True
    started = time.perf_counter()
    project = await run_pipeline(session, project_id, settings=settings, registry=registry)
    wall = time.perf_counter() - started
    counter.active = False
    assert project.status == "complete", project.status
    return wall * 1000, counter.count, counter.digests


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            data_dir=Path(tmp),
            storyboard_provider="sim",
            image_provider="sim",
            video_provider="sim",
            sim_latency={"storyboard": 0.0, "image": 0.0, "video": 0.0},
            sim_jitter=0.0,
        )
        async with open_database(settings.effective_database_url) as sessions:
            async with sessions() as session:
                engine = session.bind
                assert isinstance(engine, AsyncEngine)
                counter = Counter(engine)
                options = GenerateOptions(prompt="overhead", scenes=2, clip_duration=4)
                project = await create_project(session, settings, options)
                project_id = project.id
                await run_pipeline(session, project_id, settings=settings, registry=load_registry())
                idle: list[tuple[float, int, int]] = []
                edited: list[tuple[float, int, int]] = []
                for repeat in range(args.repeats):
                    await session.execute(
                        update(Project)
                        .where(Project.id == project_id)
                        .values(status="out_of_date", stale_stage="stitching")
                    )
                    await session.commit()
                    idle.append(await timed_run(session, project_id, settings, counter))
                    editor = Editor(session, settings, load_registry())
                    motion = f"a slow dolly in, take {repeat}"
                    await editor.edit(
                        project_id, scene_number=2, scene_edit=SceneEdit(video_motion_prompt=motion)
                    )
                    edited.append(await timed_run(session, project_id, settings, counter))
    for name, figures in (("nothing to make", idle), ("one clip + stitch", edited)):
        wall = statistics.median(f[0] for f in figures)
        queries = statistics.median(f[1] for f in figures)
        digests = statistics.median(f[2] for f in figures)
        print(
            f"{name:18} median wall {wall:7.1f} ms, SQL statements {queries:.0f}, "
            f"fingerprints {digests:.0f}"
        )


if __name__ == "__main__":
    asyncio.run(main())
