"""CLI start-up: whole `vidpipe` processes against the floor of the libraries every command needs.

    python benchmarks/cli_start.py            # median of 10 runs of each command
    python benchmarks/cli_start.py --runs 3   # a quicker look
    python benchmarks/cli_start.py --before /tmp/vidpipe-main   # also an older source tree

`--before DIR` runs every vidpipe command a second time from another checkout of the package
(`git archive main | tar -x -C DIR`; imported through PYTHONPATH, same interpreter and
virtualenv), interleaved with the rest, so before and after are measured under the same load.

The floor is a bare interpreter importing what any database command must import (Typer, Rich,
SQLAlchemy's asyncio layer, aiosqlite, pydantic-settings). The commands are run interleaved (one of
each, then the next round), so a busy machine slows all of them alike and the ratios hold. The
script makes its own complete 5-clip local project (480p, 1 s clips, hard cuts) in a temporary
data directory first; `stitch` re-stitches it on every run. Wall time is the target; CPU time
(user + system of the process and its children, e.g. ffmpeg) is printed beside it because it
moves much less than wall time when other work shares the machine.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

FLOOR = "import typer, rich, sqlalchemy.ext.asyncio, aiosqlite, pydantic_settings"
FLOOR_LABEL = "floor: python -c 'import typer, rich, …'"
# the same imports under the collection schedule `vidpipe` itself uses (vidpipe/memory.py): what
# is left between this row and a command is vidpipe's own work
FLOOR_AS_VIDPIPE = f"import gc; gc.set_threshold(100_000, 10, 10); {FLOOR}; gc.freeze()"
FLOOR_AS_VIDPIPE_LABEL = "  the same, collected as vidpipe collects"
BEFORE = "before: "
PROMPT = "a lighthouse on a stormy coast at dawn"


def vidpipe_command() -> list[str]:
    """The installed console script beside this interpreter (what a user runs), else `-m`."""
    script = Path(sys.executable).with_name("vidpipe")
    return [str(script)] if script.exists() else [sys.executable, "-m", "vidpipe"]


def byte_compile(tree: Path | None) -> None:
    """Compile the measured package(s) as `pip install` does. A checkout run with
    PYTHONDONTWRITEBYTECODE=1 (as on the CI machines) would otherwise compile every vidpipe
    module from source in every process, which no installed copy does."""
    if tree is None:
        found = subprocess.run(
            [sys.executable, "-c", "import vidpipe; print(vidpipe.__file__)"],
            capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
        package = Path(found.strip()).parent
    else:
        package = tree / "vidpipe"
    compileall.compile_dir(str(package), quiet=1)


def make_project(env: dict[str, str]) -> str:
    """A complete local project of 5 short clips, joined with hard cuts; returns its id."""
    out = subprocess.run(
        [*vidpipe_command(), "generate", PROMPT, "--scenes", "5", "--clip-duration", "1",
         "--resolution", "480p", "--yes", "--json"],
        env=env, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    document = json.loads(out)
    assert document["status"] == "complete", document
    return str(document["id"])


def cpu_of_children() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_once(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one whole process, stdout to /dev/null (no terminal)."""
    cpu, started = cpu_of_children(), time.perf_counter()
    done = subprocess.run(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{command} failed ({done.returncode}): {done.stderr.decode()[-500:]}")
    return elapsed, cpu_of_children() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--before", type=Path, help="another source tree to compare with")
    args = parser.parse_args()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
          f"{platform.python_version()}")  # fmt: skip
    byte_compile(None)
    if args.before is not None:
        byte_compile(args.before)
    data_dir = Path(tempfile.mkdtemp(prefix="vidpipe-cli-start-"))
    try:
        env = {**os.environ, "VIDPIPE_DATA_DIR": str(data_dir), "COLUMNS": "100"}
        project_id = make_project(env)
        # both trees through `-m vidpipe` when compared: the console script names the entry
        # point of the installed tree, which an older tree may not have
        vidpipe = vidpipe_command() if args.before is None else [sys.executable, "-m", "vidpipe"]
        ours = {
            "vidpipe --help": [*vidpipe, "--help"],
            "vidpipe list": [*vidpipe, "list"],
            "vidpipe status ID": [*vidpipe, "status", project_id],
            "vidpipe stitch ID (5 clips, hard cuts)": [*vidpipe, "stitch", project_id],
        }
        commands = {
            FLOOR_LABEL: ([sys.executable, "-c", FLOOR], env),
            FLOOR_AS_VIDPIPE_LABEL: ([sys.executable, "-c", FLOOR_AS_VIDPIPE], env),
        }
        commands.update({label: (command, env) for label, command in ours.items()})
        if args.before is not None:
            older = {**env, "PYTHONPATH": str(args.before.resolve())}
            commands.update({f"{BEFORE}{label}": (cmd, older) for label, cmd in ours.items()})
        walls: dict[str, list[float]] = {label: [] for label in commands}
        cpus: dict[str, list[float]] = {label: [] for label in commands}
        for _ in range(args.runs):
            for label, (command, command_env) in commands.items():
                wall, cpu = run_once(command, command_env)
                walls[label].append(wall)
                cpus[label].append(cpu)
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
    print(f"\nCLI start-up, median of {args.runs} whole-process runs (wall; CPU in brackets)")
    for label in commands:
        if label == f"{BEFORE}vidpipe --help":  # the first row of the older tree
            print(f"before: {args.before}")
        print(f"  {label.removeprefix(BEFORE):<42} {row(label, walls, cpus)}")


def row(label: str, walls: dict[str, list[float]], cpus: dict[str, list[float]]) -> str:
    """The figure for one command and how it compares with its target, wall and CPU."""
    median = statistics.median
    floor_label = FLOOR_LABEL
    wall, cpu = median(walls[label]), median(cpus[label])
    floor_wall, floor_cpu = median(walls[floor_label]), median(cpus[floor_label])
    figure = f"{wall:6.3f} s  ({cpu:5.3f} s)   "
    if label in (floor_label, FLOOR_AS_VIDPIPE_LABEL):
        return figure
    if label.endswith("--help"):
        return figure + "target ≤ 0.30 s"
    if "stitch" in label:
        return figure + (
            f"floor + {wall - floor_wall:.2f} s ({cpu - floor_cpu:+.2f} s)   target ≤ + 0.40 s"
        )
    return figure + f"{wall / floor_wall:.2f} × floor ({cpu / floor_cpu:.2f} ×)   target ≤ 1.20 ×"


if __name__ == "__main__":
    main()
