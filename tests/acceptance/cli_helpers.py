"""Run vidpipe's command line as a user would: its own environment, its exit code, its stdout
and stderr apart.

`vidpipe` runs the command in this process (Typer's CliRunner over the same app `python -m
vidpipe` builds): a command costs its own work, not a fresh interpreter's imports. Tests of what
only a process shows (signals, kills, a second process, the console script itself) use
`vidpipe_process` or `spawn`.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cli_runner import run_in_process
from processes import user_env

Vidpipe = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def cli_env(tmp_path: Path) -> dict[str, str]:
    return user_env(tmp_path / "data")


@pytest.fixture
def vidpipe(cli_env: dict[str, str]) -> Vidpipe:
    def run(*args: str, env: dict[str, str] | None = None) -> Any:
        return run_in_process(list(args), {**cli_env, **(env or {})})

    return run


@pytest.fixture
def vidpipe_process(cli_env: dict[str, str]) -> Vidpipe:
    """`python -m vidpipe` as a separate process."""

    def run(*args: str, env: dict[str, str] | None = None, timeout: float = 240) -> Any:
        return subprocess.run(
            [sys.executable, "-m", "vidpipe", *args],
            env={**cli_env, **(env or {})},
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )

    return run


def _hear_ctrl_c() -> None:
    """A pytest-xdist worker ignores SIGINT (its controller handles Ctrl+C) and a child would
    inherit that: the child a test interrupts must hear it as a user's process does."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def spawn(args: list[str], env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "vidpipe", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        preexec_fn=_hear_ctrl_c,
    )


def document(result: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    assert result.stdout.strip(), result.stderr
    return json.loads(result.stdout)
