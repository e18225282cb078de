import gc
import sys

import pytest

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
