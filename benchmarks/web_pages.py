"""Web page: the project screen's weight, and the projects screen with 500 projects.

    python benchmarks/web_pages.py                 # 500 projects, 5 repeats
    python benchmarks/web_pages.py --projects 1000 --repeats 9

Starts `python -m vidpipe serve` (local providers) on a free loopback port with a temporary data
directory, makes one real 5-scene project through the API, then adds projects straight into the
database until there are --projects, each with a first keyframe (hard links to the real one), so
every card has its thumbnail. Measures:
  1. weight   the project screen's and the review screen's HTML plus every stylesheet and
              script they link, uncompressed (limit 150 KB; images and video are media, not page
              weight), and the server's time for each (the review screen computes the plan);
  2. server   time to the last byte of GET / (one page of 24) and GET /?limit=500 (all at once);
  3. browser  with Debian's Chromium, when it and Playwright are installed: navigation start to
              the `load` event of both, thumbnails in view included (limit 1 s).
Medians of --repeats runs after one warm-up. Nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

import httpx

CHROMIUM = os.environ.get("VIDPIPE_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
WEIGHT_LIMIT = 150 * 1024


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until(check, timeout: float = 300, every: float = 0.2):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(every)
    raise SystemExit("timed out")


def page_weight(client: httpx.Client, path: str) -> dict[str, int]:
    """Bytes of the page's HTML and of each stylesheet and script it links."""
    html = client.get(path).text
    sizes = {"html": len(html.encode())}
    assets = re.findall(r'<link rel="stylesheet" href="([^"]+)"', html)
    assets += re.findall(r'<script[^>]* src="([^"]+)"', html)
    for asset in assets:
        sizes[asset] = len(client.get(asset).content)
    return sizes


async def add_projects(data_dir: Path, template_id: str, count: int) -> None:
    """`count` projects, one a second older than the next, each with a first keyframe row."""
    from vidpipe.db.engine import open_database
    from vidpipe.db.models import Keyframe, Project, Scene, utcnow
    from vidpipe.db.queries import load_project

    async with open_database(f"sqlite+aiosqlite:///{data_dir / 'vidpipe.db'}") as sessions:
        async with sessions() as session:
            template = await load_project(session, uuid.UUID(template_id))
            first = next(k for k in template.scenes[0].keyframes if k.position == "start")
            source = data_dir / "projects" / template_id / first.file_path
            now = utcnow()
            for n in range(count):
                project = Project(
                    prompt=f"{template.prompt} #{n}",
                    style=template.style,
                    aspect_ratio=template.aspect_ratio,
                    resolution=template.resolution,
                    clip_duration=template.clip_duration,
                    storyboard_provider="local",
                    image_provider="local",
                    video_provider="local",
                    status=("complete", "failed", "video_gen")[n % 3],
                    created_at=now - timedelta(seconds=n + 1),
                )
                scene = Scene(
                    scene_index=0,
                    scene_description="",
                    start_frame_prompt="",
                    end_frame_prompt="",
                    video_motion_prompt="",
                )
                scene.keyframes.append(
                    Keyframe(
                        position="start",
                        source="generated",
                        prompt="",
                        file_path=first.file_path,
                        width=first.width,
                        height=first.height,
                    )
                )
                project.scenes.append(scene)
                session.add(project)
                await session.flush()
                target = data_dir / "projects" / str(project.id) / first.file_path
                target.parent.mkdir(parents=True, exist_ok=True)
                os.link(source, target)
            await session.commit()


def server_times(client: httpx.Client, path: str, repeats: int) -> float:
    client.get(path)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        response = client.get(path)
        response.raise_for_status()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def browser_times(base: str, paths: list[str], repeats: int) -> dict[str, float] | None:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return None
    if not Path(CHROMIUM).exists():
        return None
    found = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        for path in paths:
            page.goto(base + path, wait_until="load")
            times = []
            for _ in range(repeats):
                page.goto("about:blank")
                page.goto(base + path, wait_until="load")
                times.append(
                    page.evaluate(
                        "() => { const n = performance.getEntriesByType('navigation')[0];"
                        " return n.loadEventEnd - n.startTime; }"
                    )
                    / 1000
                )
            found[path] = statistics.median(times)
        browser.close()
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--projects", type=int, default=500)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        data_dir, port = Path(tmp) / "data", free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("VIDPIPE_")}
        env.update(VIDPIPE_DATA_DIR=str(data_dir), VIDPIPE_NO_PLUGINS="1")
        with (Path(tmp) / "server.log").open("wb") as log:
            server = subprocess.Popen(
                [sys.executable, "-m", "vidpipe", "serve", "--port", str(port)],
                env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            )  # fmt: skip
        base = f"http://127.0.0.1:{port}"
        try:
            with httpx.Client(base_url=base, timeout=60) as client:

                def healthy() -> bool:
                    try:
                        return client.get("/api/health").status_code == 200
                    except httpx.TransportError:
                        return False

                wait_until(healthy, timeout=60)
                body = {"prompt": "a lighthouse on a stormy coast at dawn", "scenes": 5,
                        "clip_duration": 1, "resolution": "480p"}  # fmt: skip
                project_id = client.post("/api/generate", json=body).json()["project_id"]
                wait_until(
                    lambda: (
                        client.get(f"/api/projects/{project_id}/status").json()["status"]
                        in ("complete", "failed")
                    )
                )
                for screen, tail in (("project", ""), ("review", "/review")):
                    path = f"/projects/{project_id}{tail}"
                    sizes = page_weight(client, path)
                    total = sum(sizes.values())
                    print(f"\n{screen} screen (5 scenes, complete): {total / 1024:.1f} KB "
                          f"(limit {WEIGHT_LIMIT // 1024} KB) "
                          f"{'OK' if total <= WEIGHT_LIMIT else 'OVER'}")  # fmt: skip
                    for name, size in sizes.items():
                        print(f"  {name:<24} {size / 1024:7.1f} KB")
                    seconds = server_times(client, path, args.repeats)
                    print(f"  server  GET {tail or '/'}: {seconds * 1000:.1f} ms "
                          f"(median of {args.repeats})")  # fmt: skip

                asyncio.run(add_projects(data_dir, project_id, args.projects - 1))
                total_projects = client.get("/api/projects?limit=1").json()["total"]
                paths = ["/", "/?limit=500"]
                print(f"\nprojects screen, {total_projects} projects (median of {args.repeats}):")
                for path in paths:
                    size = len(client.get(path).content)
                    seconds = server_times(client, path, args.repeats)
                    print(f"  server  GET {path:<13} {seconds * 1000:7.1f} ms  "
                          f"({size / 1024:.0f} KB HTML)")  # fmt: skip
                in_browser = browser_times(base, paths, args.repeats)
                if in_browser is None:
                    print("  browser: skipped (no Playwright or no Chromium)")
                else:
                    for path, seconds in in_browser.items():
                        verdict = "OK" if seconds < 1 else "OVER"
                        print(f"  browser {path:<17} {seconds * 1000:7.1f} ms to `load` "
                              f"(limit 1000 ms) {verdict}")  # fmt: skip
        finally:
            server.terminate()
            server.wait(timeout=30)


if __name__ == "__main__":
    main()
