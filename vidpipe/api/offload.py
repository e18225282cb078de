"""CPU-bound work of a request (decoding and checking an image, hashing it, probing a file)
off the event loop, in a small bounded pool of threads.

On the loop, six large uploads decode one after another while every other request (the health
check, /status polling, event streams) waits seconds. In threads the loop stays free (Pillow,
zlib and hashlib let go of the GIL while they work), and the bound (VIDPIPE_CPU_WORKERS) keeps a
burst of uploads from taking every core and all memory at once: the rest wait their turn.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any, TypeVar

import anyio
import anyio.to_thread

T = TypeVar("T")

_limiters: dict[int, anyio.CapacityLimiter] = {}


def _limiter(workers: int) -> anyio.CapacityLimiter:
    # made on first use: a CapacityLimiter belongs to the running event loop's backend
    if workers not in _limiters:
        _limiters[workers] = anyio.CapacityLimiter(workers)
    return _limiters[workers]


async def off_loop(workers: int, function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """`function(*args, **kwargs)` in one of at most `workers` threads; the caller awaits it."""
    call = partial(function, *args, **kwargs)
    return await anyio.to_thread.run_sync(call, limiter=_limiter(workers))


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
