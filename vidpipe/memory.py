"""Process-wide memory settings, applied once at start by the CLI: the allocator and the
cyclic garbage collector's schedule (start-up time, issue 9).

Frames are large (2.7 MB per 720p RGB frame, 11 MB as float32) and are allocated and freed from
several worker threads at once. glibc's dynamic mmap threshold then grows until such buffers are
served from per-thread heap arenas that are never given back, so the resident set creeps up
with every clip. A fixed threshold makes every frame-sized buffer its own mapping, returned to the
system when freed.

Importing Typer, Rich, SQLAlchemy and pydantic creates ~10^5 objects that live as long as the
process. With the default thresholds the collector walks them again and again while they are
being imported, and once more at exit: about a third of a short command's wall time went to
that. So a CLI process collects rarely until its command starts working, then moves everything
that exists by then out of the collector's sight (`gc.freeze`) and collects as usual, and skips
the final walk at exit (every file is closed and every row committed by then; the operating
system reclaims the memory).
"""

from __future__ import annotations

import ctypes
import gc
import sys

M_MMAP_THRESHOLD = -3
FRAME_BUFFER_THRESHOLD = 1 << 20  # 1 MiB: every frame-sized buffer
STARTING_GEN0_THRESHOLD = 100_000  # allocations between young collections while importing

_usual_thresholds: tuple[int, int, int] | None = None


def tune_allocator() -> bool:
    """Set glibc's mmap threshold; a no-op (False) on other C libraries and platforms."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        # the C library already loaded into this process; find_library("c") would run
        # `ldconfig -p` (tens of ms on every command) to name the same library
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    return bool(mallopt(M_MMAP_THRESHOLD, FRAME_BUFFER_THRESHOLD))


def collect_rarely_while_starting() -> None:
    """Until `collect_as_usual`: young collections every 100,000 allocations, not every 700."""
    global _usual_thresholds
    if _usual_thresholds is None:
        _usual_thresholds = gc.get_threshold()
    gc.set_threshold(STARTING_GEN0_THRESHOLD, *_usual_thresholds[1:])


def collect_as_usual() -> None:
    """The command's work begins: freeze what exists (modules, settings; it lives as long as the
    process) and collect with the usual thresholds, so a long run's garbage stays bounded."""
    global _usual_thresholds
    gc.freeze()
    if _usual_thresholds is not None:
        gc.set_threshold(*_usual_thresholds)
        _usual_thresholds = None


def skip_final_collection() -> None:
    """At exit: nothing left needs collecting; the interpreter would still walk every object."""
    gc.freeze()
