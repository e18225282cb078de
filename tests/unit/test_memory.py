import gc
import subprocess
import sys
from pathlib import Path

import pytest
from processes import user_env

from vidpipe.memory import (
    STARTING_GEN0_THRESHOLD,
    collect_as_usual,
    collect_rarely_while_starting,
    tune_allocator,
)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc only")
def test_allocator_tuning_applies_on_glibc() -> None:
    assert tune_allocator() is True


def test_a_cli_process_collects_rarely_while_starting_then_as_usual() -> None:
    usual = gc.get_threshold()
    frozen = gc.get_freeze_count()
    try:
        collect_rarely_while_starting()
        assert gc.get_threshold() == (STARTING_GEN0_THRESHOLD, *usual[1:])
        collect_as_usual()
        assert gc.get_threshold() == usual  # a long run collects on the usual schedule
        assert gc.get_freeze_count() > frozen  # what the imports made is out of sight
        collect_as_usual()  # again (e.g. serve after a command): no change
        assert gc.get_threshold() == usual
    finally:
        gc.unfreeze()
        gc.set_threshold(*usual)


@pytest.mark.parametrize(
    ("command", "gen0"), [(["--help"], STARTING_GEN0_THRESHOLD), (["list"], gc.get_threshold()[0])]
)
def test_the_cli_applies_the_schedule(tmp_path: Path, command: list[str], gen0: int) -> None:
    """`vidpipe --help` exits before any work (rare collections throughout); a command that
    works collects as usual from then on; both leave the final walk out (frozen at exit)."""
    report = (
        "import atexit, gc, sys;"
        "atexit.register(lambda: print(gc.get_threshold()[0], gc.get_freeze_count() > 0));"
        f"sys.argv = ['vidpipe', *{command!r}];"
        "from vidpipe.cli.main import main; main()"
    )
    done = subprocess.run(
        [sys.executable, "-c", report],
        env=user_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split()[-2:] == [str(gen0), "True"]
