"""API load: many concurrent pollers of GET /api/projects/{id}/status while 3 projects run.

    python benchmarks/api_load.py                      # 50 pollers as fast as they can
    python benchmarks/api_load.py --interval 1         # 50 pollers, each once a second

Starts `python -m vidpipe serve` on a free loopback port with a temporary data directory and
VIDPIPE_API_MAX_RUNS=3, then measures, with the same pollers each time:
  1. idle       the server with one finished project and nothing running;
  2. quiet      3 projects running (local providers) and no pollers: how fast the runs advance;
  3. busy       the same 3 runs with the pollers: requests/s, latency, and how fast runs advance.
Each poller is one keep-alive HTTP/1.1 connection written on raw asyncio streams, so the load
generator spends little CPU of its own (it shares the machine with the server). Every phase stops at
--seconds or --max-requests, whichever comes first; nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

PROMPTS = (
    "a lighthouse on a stormy coast at dawn",
    "a fox crossing a snowy forest",
    "city lights at night in the rain",
)
RUNNING = ("storyboarding", "keyframing", "video_gen", "stitching")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def exchange(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes
) -> tuple[bytes, bytes]:
    """One request on a keep-alive connection: (status line, body) of its answer."""
    writer.write(request)
    status = await reader.readline()
    length = 0
    while (line := await reader.readline()) not in (b"\r\n", b""):
        if line[:15].lower() == b"content-length:":
            length = int(line[15:])
    return status, await reader.readexactly(length)


async def poll_phase(
    port: int, ids: list[str], pollers: int, seconds: float, max_requests: int, interval: float
) -> tuple[list[float], int, float]:
    """(latencies in ms, failed requests, wall seconds) of `pollers` keep-alive connections."""
    latencies: list[float] = []
    failures = 0
    stop_at = time.monotonic() + seconds

    async def poller(n: int) -> None:
        nonlocal failures
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        request = (
            f"GET /api/projects/{ids[n % len(ids)]}/status HTTP/1.1\r\n"
            "Host: 127.0.0.1\r\nAccept: application/json\r\n\r\n"
        ).encode()
        try:
            if interval:  # clients poll on their own clocks, not in lockstep
                await asyncio.sleep(random.uniform(0, interval))
            while time.monotonic() < stop_at and len(latencies) + failures < max_requests:
                started = time.perf_counter()
                status, body = await exchange(reader, writer, request)
                if status.startswith(b"HTTP/1.1 200") and body.startswith(b"{"):
                    latencies.append((time.perf_counter() - started) * 1000)
                else:
                    failures += 1
                if interval:
                    await asyncio.sleep(interval)
        finally:
            writer.close()

    began = time.monotonic()
    await asyncio.gather(*(poller(n) for n in range(pollers)))
    return latencies, failures, time.monotonic() - began


def show(name: str, latencies: list[float], failures: int, wall: float) -> None:
    if not latencies:
        print(f"  {name:<22} no successful requests ({failures} failed)")
        return
    cuts = statistics.quantiles(latencies, n=100, method="inclusive")
    print(
        f"  {name:<22} {len(latencies) / wall:7.0f} req/s   p50 {cuts[49]:6.1f} ms   "
        f"p99 {cuts[98]:6.1f} ms   max {max(latencies):6.1f} ms   "
        f"({len(latencies)} ok, {failures} failed)"
    )


async def main_async(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("VIDPIPE_")}
        env.update(VIDPIPE_DATA_DIR=str(Path(tmp) / "data"), VIDPIPE_API_MAX_RUNS="3")
        with (Path(tmp) / "server.log").open("wb") as log:
            server = subprocess.Popen(
                [sys.executable, "-m", "vidpipe", "serve", "--port", str(port)],
                env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            )  # fmt: skip
        try:
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as api:
                await run_phases(api, port, args)
        finally:
            server.terminate()
            try:
                server.wait(timeout=60)
            except subprocess.TimeoutExpired:
                server.kill()


async def run_phases(api: httpx.AsyncClient, port: int, args: argparse.Namespace) -> None:
    async def until(check, timeout: float = args.run_timeout):  # type: ignore[no-untyped-def]
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if await check():
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
        raise SystemExit("timed out waiting for the server")

    async def status(project_id: str) -> dict:
        return (await api.get(f"/api/projects/{project_id}/status")).json()

    async def generate(prompt: str) -> str:
        options = {"scenes": args.scenes, "clip_duration": args.clip_duration}
        body = {"prompt": prompt, "resolution": args.resolution, **options}
        response = await api.post("/api/generate", json=body)
        response.raise_for_status()
        return response.json()["project_id"]

    async def advanced(ids: list[str], during) -> tuple[float, object]:  # type: ignore[no-untyped-def]
        """Mean overall_fraction the runs gained while `during` ran, and its result."""
        before = [((await status(p))["progress"] or {}).get("overall_fraction", 0.0) for p in ids]
        result = await during
        after = [((await status(p))["progress"] or {}).get("overall_fraction", 1.0) for p in ids]
        return statistics.fmean(a - b for a, b in zip(after, before, strict=True)), result

    await until(lambda: _ok(api.get("/api/health")), timeout=60)
    idle_id = await generate("a quiet harbour at noon")
    await until(lambda: _status_in(status(idle_id), ("complete",)))
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
          f"{platform.python_version()}; server: uvicorn, SQLite, local providers")  # fmt: skip
    pace = f"each every {args.interval:g} s" if args.interval else "as fast as they can"
    print(f"\nAPI load  GET /api/projects/{{id}}/status, {args.pollers} keep-alive pollers "
          f"({pace}), {args.seconds:g} s per phase; runs: 3 × {args.scenes} scenes × "
          f"{args.clip_duration:g} s at {args.resolution}")  # fmt: skip
    limits = (args.pollers, args.seconds, args.max_requests, args.interval)
    show("idle server", *await poll_phase(port, [idle_id], *limits))

    ids = [await generate(prompt) for prompt in PROMPTS]
    for project_id in ids:
        await until(lambda p=project_id: _status_in(status(p), RUNNING))
    quiet, _ = await advanced(ids, asyncio.sleep(args.seconds))
    busy, measured = await advanced(ids, poll_phase(port, ids, *limits))
    show("3 projects running", *measured)  # type: ignore[misc]
    print(f"  runs advanced          {quiet:7.1%} in {args.seconds:g} s without pollers, "
          f"{busy:.1%} with them (mean overall_fraction gained per project)")  # fmt: skip
    states = [(await status(p))["status"] for p in ids]
    if any(state not in RUNNING for state in states):
        print(f"  note: a run finished inside a phase ({', '.join(states)}); use more --scenes")


async def _ok(response) -> bool:  # type: ignore[no-untyped-def]
    return (await response).status_code == 200


async def _status_in(document, wanted: tuple[str, ...]) -> bool:  # type: ignore[no-untyped-def]
    return (await document)["status"] in wanted


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pollers", type=int, default=50, help="concurrent connections")
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each phase")
    parser.add_argument(
        "--interval", type=float, default=0.0, help="pause of each poller between requests"
    )
    parser.add_argument("--max-requests", type=int, default=200_000, help="cap per phase")
    parser.add_argument("--scenes", type=int, default=8, help="scenes of each running project")
    parser.add_argument("--clip-duration", type=float, default=4.0)
    parser.add_argument("--resolution", default="720p")
    parser.add_argument("--run-timeout", type=float, default=300.0)
    args = parser.parse_args()
    if not 1 <= args.pollers <= 1000 or not 0 < args.seconds <= 120 or args.interval < 0:
        raise SystemExit("--pollers must be 1..1000, --seconds 0..120, --interval >= 0")
    print(json.dumps({"command": " ".join(sys.argv)}))
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
