"""fal status polls: CPU per poll with the process's shared TLS context against a fresh one.

    python benchmarks/provider_polls.py             # 200 polls each way
    python benchmarks/provider_polls.py --polls 500

Runs the project's fake fal (tests/fakes/fake_fal.py) on loopback and the real `fal` video
provider against it: one clip is submitted and held in the queue, then polled (`operation_state`,
one GET of its status with a fresh httpx client each, as in a run). "shared" is vidpipe's client as
it is (`verify=` the context from vidpipe.providers.tls); "fresh" builds httpx's default context
per client, which is what every client did before (the CA bundle loaded per poll). CPU is the
polling thread's (time.thread_time), so the fake's own work in its server thread is not counted.

Then the same for the Google providers' per-call `genai.Client` (built and closed, no request):
with the SDK's TLS contexts shared (`http_options.async_client_args`), and as the SDK builds them
itself (its httpx context and its websocket one, per client).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

import httpx
from pydantic import SecretStr

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "fakes"))

from artifacts import png_from_prompt  # noqa: E402
from fake_fal import FakeFal  # noqa: E402
from loopback import serve  # noqa: E402

import vidpipe.providers.fal.client as fal_client  # noqa: E402
from vidpipe.config import Settings  # noqa: E402
from vidpipe.providers.base import VideoRequest  # noqa: E402
from vidpipe.providers.fal import FalVideoProvider  # noqa: E402
from vidpipe.providers.google import client as google_client  # noqa: E402
from vidpipe.providers.tls import tls_context  # noqa: E402


async def cpu_per_poll(provider: FalVideoProvider, operation: str, polls: int) -> float:
    await provider.operation_state(operation)  # warm: imports, the shared context
    start = time.thread_time()
    for _ in range(polls):
        assert await provider.operation_state(operation) == "pending"
    return (time.thread_time() - start) / polls


async def cpu_per_google_client(settings: Settings, clients: int) -> float:
    start = time.thread_time()
    for _ in range(clients):
        client = google_client.make_client(settings)
        await client.aio.aclose()
        client.close()
    return (time.thread_time() - start) / clients


async def google_figures(workdir: Path, clients: int) -> tuple[float, float]:
    settings = Settings(
        data_dir=workdir / "data",
        google_api_key=SecretStr("k"),
        google_base_url="http://127.0.0.1:9",
    )
    await cpu_per_google_client(settings, 1)  # warm: imports, the shared contexts
    shared = await cpu_per_google_client(settings, clients)
    original = google_client.tls_client_args
    google_client.tls_client_args = lambda vertexai: None  # type: ignore[assignment]
    try:
        own = await cpu_per_google_client(settings, clients)
    finally:
        google_client.tls_client_args = original
    return shared, own


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--polls", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        workdir = Path(folder)
        (workdir / "fake").mkdir()
        fake = FakeFal(workdir / "fake", key="bench-key")
        fake.hold_in_queue.set()  # the clip stays queued: polls only, nothing encoded
        start, end = workdir / "start.png", workdir / "end.png"
        start.write_bytes(png_from_prompt("start", 1280, 720))
        end.write_bytes(png_from_prompt("end", 1280, 720))
        with serve(fake.app()) as server:
            fake.base_url = server.url
            settings = Settings(
                data_dir=workdir / "data", fal_base_url=server.url, fal_key=SecretStr("bench-key")
            )
            provider = FalVideoProvider(settings)
            request = VideoRequest("waves", start, end, 5.0, 1280, 720, "16:9", 24, 0)
            operation = await provider.submit(request)
            shared = await cpu_per_poll(provider, operation, args.polls)
            fal_client.tls_context = httpx.create_ssl_context  # type: ignore[assignment]
            try:
                fresh = await cpu_per_poll(provider, operation, args.polls)
            finally:
                fal_client.tls_context = tls_context
            assert fake.count("status") == 2 * args.polls + 2
        google_shared, google_own = await google_figures(workdir, args.polls // 4)
    print(f"fal status polls on loopback, {args.polls} each, CPU of the polling thread")
    print(f"  shared TLS context   {shared * 1000:7.2f} ms per poll")
    print(f"  fresh TLS context    {fresh * 1000:7.2f} ms per poll   ({fresh / shared:.1f}x)")
    print(f"google-genai Client built and closed, {args.polls // 4} each, CPU")
    print(f"  shared TLS contexts  {google_shared * 1000:7.2f} ms per client")
    print(
        f"  the SDK's own        {google_own * 1000:7.2f} ms per client   "
        f"({google_own / google_shared:.1f}x)"
    )


if __name__ == "__main__":
    asyncio.run(main())
