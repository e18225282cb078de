"""ComfyUI: how soon a finished clip is collected after the server says it succeeded.

    python benchmarks/comfyui_notice.py             # 10 clips, 0 and 0.3 s history lag

Runs the project's fake ComfyUI (tests/fakes/fake_comfyui.py) on loopback and the real
`comfyui` video provider against it with the default schedule (first /history poll at 80 % of
the 240 s typical latency, i.e. 192 s after submission), so a clip collected in seconds was
noticed from the websocket. Per clip: the time from the server sending `execution_success` to
`wait` returning with the clip written (download, H.264 check included), and how many /history
reads that took. "history lag" delays the history entry after the message, as ComfyUI writes it
just after sending `execution_success`.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "fakes"))

from artifacts import png_from_prompt  # noqa: E402
from fake_comfyui import FakeComfyUI  # noqa: E402
from loopback import serve  # noqa: E402

from vidpipe.config import Settings  # noqa: E402
from vidpipe.providers.base import VideoRequest  # noqa: E402
from vidpipe.providers.comfyui import ComfyUIVideoProvider  # noqa: E402


async def measure(clips: int, lag: float, workdir: Path) -> tuple[list[float], list[int]]:
    fake = FakeComfyUI(workdir / f"comfy-{lag}")
    fake.video_seconds, fake.history_delay = 1.0, lag
    start, end = workdir / "start.png", workdir / "end.png"
    start.write_bytes(png_from_prompt("start", 640, 360))
    end.write_bytes(png_from_prompt("end", 640, 360))
    delays, reads = [], []
    with serve(fake.app()) as server:
        settings = Settings(data_dir=workdir / "data", comfyui_url=server.url)
        provider = ComfyUIVideoProvider(settings)
        for index in range(clips):
            request = VideoRequest("waves", start, end, 2.0, 640, 360, "16:9", 24, index)
            before = fake.count("history")
            operation_id = await provider.submit(request, provider.new_operation_id())
            await provider.wait(operation_id, request, workdir / f"clip{index}.mp4")
            delays.append(time.monotonic() - fake.sent_at("execution_success", operation_id))
            reads.append(fake.count("history") - before)
    return delays, reads


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clips", type=int, default=10)
    args = parser.parse_args()
    print(f"ComfyUI  execution_success → clip collected, {args.clips} clips of 2 s at 640×360")
    print("  default schedule: first /history poll 192 s after submission")
    with tempfile.TemporaryDirectory() as folder:
        for lag in (0.0, 0.3):
            delays, reads = await measure(args.clips, lag, Path(folder))
            print(
                f"  history lag {lag:.1f} s   median {statistics.median(delays):.3f} s   "
                f"max {max(delays):.3f} s   /history reads per clip {statistics.median(reads):g}"
                f" (max {max(reads)})"
            )


if __name__ == "__main__":
    asyncio.run(main())
