"""Process-wide allocator tuning, applied once at start by the CLI (PERF-4).

Frames are large (2.7 MB per 720p RGB frame, 11 MB as float32) and are allocated and freed from
several worker threads at once. glibc's dynamic mmap threshold then grows until such buffers are
served from per-thread heap arenas that are never given back, so the resident set creeps up
with every clip. A fixed threshold makes every frame-sized buffer its own mapping, returned to the
system when freed.
"""

from __future__ import annotations

import ctypes
import sys

M_MMAP_THRESHOLD = -3
FRAME_BUFFER_THRESHOLD = 1 << 20  # 1 MiB: every frame-sized buffer


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
