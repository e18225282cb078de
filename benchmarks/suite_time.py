"""The test suite of two commits, one after the other on this machine: wall time, CPU time and
the tests' own summary line, so a change to the suite's speed is a ratio, not a guess across
machines.

    python benchmarks/suite_time.py 153284b HEAD [--postgres URL] [--workdir DIR] [-- PYTEST ARGS]

Each commit is cloned from this repository into its own folder, given its own virtual
environment the README's way (`pip install -e '.[test]'`), and its README test command
(`.venv/bin/pytest`, with whatever options that commit's pyproject.toml adds) is run with
`CI=true` and the PostgreSQL tests enabled. CPU time counts every process the suite waited for
(pytest, its workers, the vidpipe processes and ffmpeg they started). The commits run one
after the other, never at once, so each has the machine to itself as far as this script
can arrange; other load on the machine still shows, which is why both are measured in one go.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parent.parent
DEFAULT_POSTGRES = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"


@dataclass
class SuiteRun:
    commit: str
    wall: float
    cpu: float
    summary: str


def checkout(commit: str, into: Path) -> str:
    """A clone of this repository at `commit`, with its own virtual environment; the full id."""
    subprocess.run(["git", "clone", "-q", str(REPOSITORY), str(into)], check=True)
    subprocess.run(["git", "-C", str(into), "checkout", "-q", commit], check=True)
    full = subprocess.run(
        ["git", "-C", str(into), "rev-parse", "--short", "HEAD"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    subprocess.run([sys.executable, "-m", "venv", str(into / ".venv")], check=True)
    subprocess.run(
        [str(into / ".venv/bin/pip"), "install", "-q", "-e", ".[test]"],
        cwd=into,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return full


def run_suite(folder: Path, postgres: str, extra: list[str]) -> tuple[float, float, str]:
    """Wall seconds, CPU seconds (user + system of everything waited for) and pytest's summary."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("VIDPIPE_")}
    env.update(CI="true", VIDPIPE_TEST_POSTGRES_URL=postgres)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    done = subprocess.run(
        [str(folder / ".venv/bin/pytest"), "-q", "-p", "no:cacheprovider", *extra],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
    )
    wall = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    lines = [line for line in done.stdout.splitlines() if re.search(r"\d+ (passed|failed)", line)]
    return wall, cpu, (lines[-1].strip("= ") if lines else f"exit {done.returncode}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("commits", nargs=2, metavar="COMMIT", help="e.g. 153284b HEAD")
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES, help="VIDPIPE_TEST_POSTGRES_URL")
    parser.add_argument("--workdir", type=Path, default=None, help="where to clone (a temp dir)")
    argv = sys.argv[1:]
    extra = argv[argv.index("--") + 1 :] if "--" in argv else []
    args = parser.parse_args(argv[: argv.index("--")] if "--" in argv else argv)
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="vidpipe-suites-"))
    folders = {commit: workdir / f"suite-{n}" for n, commit in enumerate(args.commits)}
    names = {commit: checkout(commit, folders[commit]) for commit in args.commits}
    runs = []
    for commit in args.commits:
        print(f"running the suite of {names[commit]} ...", flush=True)
        wall, cpu, summary = run_suite(folders[commit], args.postgres, extra)
        runs.append(SuiteRun(names[commit], wall, cpu, summary))
    print(f"\n{'commit':<10} {'wall s':>8} {'CPU s':>8}  tests")
    for run in runs:
        print(f"{run.commit:<10} {run.wall:>8.1f} {run.cpu:>8.1f}  {run.summary}")
    first, second = runs
    print(
        f"\n{second.commit} / {first.commit}: wall {second.wall / first.wall:.2f}, "
        f"CPU {second.cpu / first.cpu:.2f}"
    )
    print(f"(clones kept in {workdir})")


if __name__ == "__main__":
    main()
