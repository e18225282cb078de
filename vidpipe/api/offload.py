"""CPU-bound work of a request (decoding and checking an image, hashing it, probing a file)
off the event loop, in a small bounded pool of threads.

On the loop, six large uploads decode one after another while every other request (the health
check, /status polling, event streams) waits seconds. In threads the loop stays free (Pillow,
zlib and hashlib let go of the GIL while they work), and the bound (VIDPIPE_CPU_WORKERS) keeps a
burst of uploads from taking every core and all memory at once: the rest wait their turn.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any, TypeVar

T = TypeVar("T")

# The pool's threads run at a lower priority than the event loop's (nice +10, Linux threads are
# scheduled one by one): on a busy machine a decode waits, a request does not.
NICENESS = 10

_pools: dict[int, ThreadPoolExecutor] = {}


def _lower_priority() -> None:
    with contextlib.suppress(AttributeError, OSError):  # not on every platform
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), NICENESS)


def _pool(workers: int) -> ThreadPoolExecutor:
    if workers not in _pools:
        _pools[workers] = ThreadPoolExecutor(
            max_workers=workers, thread_name_prefix="vidpipe-cpu", initializer=_lower_priority
        )
    return _pools[workers]


async def off_loop(workers: int, function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """`function(*args, **kwargs)` in one of at most `workers` threads; the caller awaits it."""
    call = partial(function, *args, **kwargs)
    return await asyncio.get_running_loop().run_in_executor(_pool(workers), call)


def warm_up() -> None:
    """Imports the first upload would otherwise make while the event loop waits on the import
    lock (Pillow and its format plugins, the multipart parser): done once, at start, off the
    loop."""
    import io

    import python_multipart  # noqa: F401  (Starlette's form parser)
    from PIL import Image

    from vidpipe.orchestrator.references import check_image

    Image.init()
    tiny = io.BytesIO()
    Image.new("RGB", (2, 2)).save(tiny, format="PNG")
    check_image(tiny.getvalue(), "warm-up")
