"""The `alone` mark: a test that measures time runs with no other test of the session beside it.

With pytest-xdist the tests run in several worker processes at once. A test that times the
product (health answers during uploads, a poll near 0.5 s) would measure its neighbours' load
as well, so while it runs no other worker runs a test: every test holds a shared lock on one
file for its whole run (setup, call, teardown), an `alone` test holds it exclusively. A second
file taken briefly before either lock (a turnstile) keeps a waiting `alone` test from being
overtaken by the stream of shared holders. In one process (`-n0`) nothing is locked.
"""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "alone: runs while no other test runs (it measures time); see support/alone.py"
    )


def _lock_files(config: pytest.Config) -> tuple[Path, Path] | None:
    """The run's two lock files, None without workers. A worker's base temporary directory is
    its own folder in the run's (xdist hands each worker `<run's basetemp>/<worker id>`), so the
    files sit in the one folder all workers of this run share, and go when pytest prunes it."""
    if not hasattr(config, "workerinput"):
        return None
    shared = Path(config.option.basetemp).parent
    return shared / "alone.turnstile", shared / "alone.lock"


@contextmanager
def _held(config: pytest.Config, exclusive: bool) -> Iterator[None]:
    files = _lock_files(config)
    if files is None:
        yield
        return
    with files[0].open("a") as turnstile, files[1].open("a") as lock:
        fcntl.flock(turnstile, fcntl.LOCK_EX)
        try:
            fcntl.flock(lock, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        finally:
            fcntl.flock(turnstile, fcntl.LOCK_UN)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    with _held(item.config, exclusive=item.get_closest_marker("alone") is not None):
        return (yield)
