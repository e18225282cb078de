"""The cost of checking a page login on every request: sessions in memory vs in the database.

    python benchmarks/sessions.py                                   # SQLite
    python benchmarks/sessions.py --postgres postgresql+asyncpg://postgres@127.0.0.1/bench

Token mode (VIDPIPE_API_TOKEN set). Every guarded request is checked: a bearer header is
compared with the token (no lookup); a session cookie is looked up. Measured, side by side:
  bearer       `Authorization: Bearer <token>`: no session lookup at all, the floor;
  memory       the session cookie, checked against a store in the server's memory (how sessions
               were kept before they moved to the database; the class below);
  database     the session cookie, checked in the database (one primary-key SELECT), as shipped.
Part 1 times the check alone, in process (µs per check). Part 2 serves the app with uvicorn in
a child process, as `vidpipe serve` does, and polls `GET /api/projects?limit=1` over
--connections keep-alive connections for --seconds per phase; the phases alternate for --rounds
rounds and the median round is shown. Nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import platform
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx
import psutil
from api_load import exchange, free_port  # this folder is on the path of a script run here

TOKEN = "benchmark-token-" + "x" * 24
PATH = "/api/projects?limit=1"


class MemorySessions:
    """The store as it was before sessions moved to the database: digests in a dict."""

    def __init__(self, lifetime_seconds: float) -> None:
        self.lifetime = lifetime_seconds
        self._expiry: dict[str, float] = {}

    def attach(self, _database: object) -> None:
        pass

    async def purge(self) -> None:
        pass

    async def open(self) -> str:
        session_id = secrets.token_urlsafe(32)
        self._expiry[_digest(session_id)] = time.monotonic() + self.lifetime
        return session_id

    async def is_live(self, session_id: str | None) -> bool:
        if not session_id or len(session_id) > 128:
            return False
        expires = self._expiry.get(_digest(session_id))
        return expires is not None and expires >= time.monotonic()

    async def close(self, session_id: str | None) -> None:
        if session_id:
            self._expiry.pop(_digest(session_id), None)


def _digest(session_id: str) -> str:
    return hashlib.sha256(session_id.encode("utf-8", "replace")).hexdigest()


# ---- part 1: the check alone -------------------------------------------------------------------


async def time_checks(url: str | None, checks: int) -> dict[str, tuple[float, float]]:
    """(wall µs, this process's CPU µs) per `is_live` of a live session: in memory, and in the
    database at `url` (CPU counts aiosqlite's thread; not PostgreSQL's own processes)."""
    from vidpipe.api.sessions import SessionStore
    from vidpipe.db.engine import open_database

    async def per_check(check: Callable[[], Awaitable[bool]]) -> tuple[float, float]:
        for _ in range(50):
            assert await check()
        began, cpu = time.perf_counter(), time.process_time()
        for _ in range(checks):
            await check()
        wall, cpu = time.perf_counter() - began, time.process_time() - cpu
        return wall / checks * 1e6, cpu / checks * 1e6

    memory = MemorySessions(3600)
    remembered = await memory.open()
    timings = {"memory": await per_check(lambda: memory.is_live(remembered))}
    if url is not None:
        async with open_database(url) as database:
            store = SessionStore(TOKEN, 3600)
            store.attach(database)
            stored = await store.open()
            timings["database"] = await per_check(lambda: store.is_live(stored))
    return timings


# ---- part 2: served, over HTTP -----------------------------------------------------------------


def serve(mode: str, port: int, data_dir: str, database_url: str) -> None:
    """The child: the app as `vidpipe serve` builds it, with the memory store if asked."""
    import uvicorn

    from vidpipe.api.main import create_app
    from vidpipe.config import Settings

    settings = Settings(data_dir=Path(data_dir), database_url=database_url, api_token=TOKEN)
    app = create_app(settings)
    if mode == "memory":  # the middleware and the login route read the store from app.state
        app.state.web_sessions = MemorySessions(settings.session_hours * 3600)
    sys.setswitchinterval(0.001)  # as vidpipe.api.server.serve
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", proxy_headers=False)


def start_server(mode: str, database_url: str, tmp: Path) -> tuple[subprocess.Popen[bytes], int]:
    port, data_dir = free_port(), tmp / f"data-{mode}-{free_port()}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("VIDPIPE_")}
    env["VIDPIPE_NO_PLUGINS"] = "1"
    command = [sys.executable, __file__, "--serve", mode, "--port", str(port)]
    command += ["--data-dir", str(data_dir), "--database-url", database_url]
    server = subprocess.Popen(command, env=env, stdin=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=1).status_code == 200:
                return server, port
        except httpx.TransportError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit(f"the {mode} server did not start")


def log_in(port: int) -> str:
    """A session cookie from the login form (the CSRF cookie first, as a browser gets it)."""
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
        csrf = client.get("/login").cookies["vidpipe_csrf"]
        form = {"csrf_token": csrf, "token": TOKEN, "next": "/"}
        response = client.post("/login", data=form)
        assert response.status_code == 303, response.text
        return client.cookies["vidpipe_session"]


async def poll(
    server: psutil.Process, port: int, header: str, connections: int, seconds: float
) -> tuple[float, float, float]:
    """(requests/s, p50 ms, the server's CPU ms per request) of `connections` keep-alive clients
    sending GET PATH."""
    latencies: list[float] = []
    request = f"GET {PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\n{header}\r\n\r\n".encode()
    stop_at = time.monotonic() + seconds

    async def client() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while time.monotonic() < stop_at:
                started = time.perf_counter()
                status, _ = await exchange(reader, writer, request)
                if not status.startswith(b"HTTP/1.1 200"):
                    raise SystemExit(f"refused: {status!r}")
                latencies.append((time.perf_counter() - started) * 1000)
        finally:
            writer.close()

    began, cpu = time.monotonic(), sum(server.cpu_times()[:2])
    await asyncio.gather(*(client() for _ in range(connections)))
    wall, cpu = time.monotonic() - began, sum(server.cpu_times()[:2]) - cpu
    return len(latencies) / wall, statistics.median(latencies), cpu / len(latencies) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", help="also measure a PostgreSQL database (an empty one)")
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--connections", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--checks", type=int, default=2000)
    parser.add_argument("--serve", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--data-dir", help=argparse.SUPPRESS)
    parser.add_argument("--database-url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.port, args.data_dir, args.database_url)
        return
    print(f"python {platform.python_version()}, {os.cpu_count()} cores, {platform.machine()}")
    with tempfile.TemporaryDirectory() as tmp:
        sqlite = f"sqlite+aiosqlite:///{Path(tmp) / 'checks.db'}"
        databases = {"sqlite": sqlite} | ({"postgresql": args.postgres} if args.postgres else {})
        print(f"\n1. one session check, in process ({args.checks} checks)")
        for name, url in databases.items():
            timings = asyncio.run(time_checks(url, args.checks))
            shown = (
                f"{store} {wall:7.1f} µs (CPU {cpu:6.1f})" for store, (wall, cpu) in timings.items()
            )
            print(f"  {name:<11}", "   ".join(shown))
        print(f"\n2. GET {PATH}, {args.connections} keep-alive connections, {args.seconds:g} s "
              f"a phase, median of {args.rounds} rounds")  # fmt: skip
        for name, url in databases.items():
            if name == "sqlite":
                url = f"sqlite+aiosqlite:///{Path(tmp) / 'served.db'}"
            measure_served(name, url, Path(tmp), args)


def measure_served(name: str, url: str, tmp: Path, args: argparse.Namespace) -> None:
    servers = {mode: start_server(mode, url, tmp) for mode in ("memory", "database")}
    try:
        cookies = {mode: log_in(port) for mode, (_, port) in servers.items()}
        headers = {
            "bearer": ("database", f"Authorization: Bearer {TOKEN}"),
            "memory": ("memory", f"Cookie: vidpipe_session={cookies['memory']}"),
            "database": ("database", f"Cookie: vidpipe_session={cookies['database']}"),
        }
        phases = {
            phase: (psutil.Process(servers[mode][0].pid), servers[mode][1], header)
            for phase, (mode, header) in headers.items()
        }
        results: dict[str, list[tuple[float, float, float]]] = {phase: [] for phase in phases}
        for _ in range(args.rounds):
            for phase, (process, port, header) in phases.items():
                measured = poll(process, port, header, args.connections, args.seconds)
                results[phase].append(asyncio.run(measured))
        print(f"  {name}")
        for phase, rounds in results.items():
            rate, p50, cpu = (statistics.median(r[n] for r in rounds) for n in range(3))
            spread = f"{min(r[0] for r in rounds):.0f}–{max(r[0] for r in rounds):.0f}"
            print(f"    {phase:<9} {rate:6.0f} req/s ({spread})   p50 {p50:5.1f} ms   "
                  f"server CPU {cpu:5.2f} ms/request")  # fmt: skip
    finally:
        for server, _ in servers.values():
            server.terminate()
            server.wait(timeout=60)


if __name__ == "__main__":
    main()
