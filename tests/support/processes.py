"""Helpers for tests that run vidpipe as separate processes (CLI, server) and watch its files."""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


def user_env(data_dir: Path, **extra: str) -> dict[str, str]:
    """A clean environment for a vidpipe process: no inherited VIDPIPE_*, fast leases."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("VIDPIPE_")}
    env.update(
        VIDPIPE_DATA_DIR=str(data_dir),
        VIDPIPE_NO_PLUGINS="1",
        VIDPIPE_HEARTBEAT_SECONDS="1",
        VIDPIPE_LEASE_SECONDS="10",
        PYTHONUNBUFFERED="1",
        COLUMNS="200",
        **extra,
    )
    return env


def sim_env(image: float = 0.0) -> dict[str, str]:
    """Settings for the `sim` providers in every role, each call near-instant but the keyframes,
    which take `image` seconds each: a run held in keyframing for as long as a test needs to
    stop or interrupt it, and then resumed with `sim_env()` in moments."""
    latency = {"storyboard": 0.0, "image": image, "video": 0.0, "narration": 0.0}
    return {
        "VIDPIPE_STORYBOARD_PROVIDER": "sim",
        "VIDPIPE_IMAGE_PROVIDER": "sim",
        "VIDPIPE_VIDEO_PROVIDER": "sim",
        "VIDPIPE_SIM_LATENCY": json.dumps(latency),
        "VIDPIPE_SIM_POLL_INTERVAL": "0.05",
    }


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now, for a server a test starts."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for(predicate: Callable[[], Any], timeout: float = 120, every: float = 0.05) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    raise AssertionError("timed out waiting")


def query(db: Path, sql: str) -> list[tuple]:
    """Rows from the SQLite database another process writes; [] until it is migrated."""
    try:
        with sqlite3.connect(db, timeout=30) as connection:
            return connection.execute(sql).fetchall()
    except sqlite3.OperationalError:
        return []


def artifacts(root: Path) -> dict[str, tuple[int, int]]:
    """(inode, mtime_ns) of every keyframe and clip: equal before and after = nothing rewritten."""
    return {
        str(p.relative_to(root)): (p.stat().st_ino, p.stat().st_mtime_ns)
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.parent.name in ("keyframes", "clips")
    }


@contextmanager
def vidpipe_serve(env: dict[str, str], log: Path) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """`python -m vidpipe serve` on a free loopback port, up and answering /api/health; stopped
    (SIGTERM, then SIGKILL) when the block ends, if the test has not stopped it."""
    import httpx

    port = free_port()
    with log.open("ab") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "vidpipe", "serve", "--port", str(port)],
            env=env, stdout=output, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )  # fmt: skip
    base = f"http://127.0.0.1:{port}"

    def healthy() -> bool:
        assert process.poll() is None, log.read_text()
        try:
            return httpx.get(f"{base}/api/health", timeout=1).status_code == 200
        except httpx.TransportError:
            return False

    try:
        wait_for(healthy, timeout=60)
        yield process, base
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        process.wait(timeout=30)
