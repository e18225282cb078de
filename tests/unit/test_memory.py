import sys

import pytest

from vidpipe.memory import tune_allocator


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc only")
def test_allocator_tuning_applies_on_glibc() -> None:
    assert tune_allocator() is True
