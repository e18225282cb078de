"""The local clip renderer: real motion, exact keyframes at both ends, optional ambient audio."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image

from vidpipe.config import Settings
from vidpipe.errors import ProviderError
from vidpipe.providers.base import (
    ClipOutcome,
    ImageRequest,
    StyleGuide,
    VideoRequest,
    frame_size,
)
from vidpipe.providers.local.images import render_png
from vidpipe.providers.local.video import LocalVideoProvider, static_band

W, H = frame_size("16:9", "480p")
GUIDE = StyleGuide(
    visual_style="cinematic film look",
    color_palette=["#1B2A41", "#324A5F", "#CCC9DC", "#E09F3E", "#9E2A2B"],
    camera_style="slow push-ins",
)


@pytest.fixture(scope="module")
def keyframes(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("keyframes")
    start, end = folder / "start.png", folder / "end.png"
    first = ImageRequest("a lone astronaut in a red desert at sunset", GUIDE, W, H, "16:9", 0)
    start.write_bytes(render_png(first))
    then = ImageRequest("closer view of the astronaut, golden light", GUIDE, W, H, "16:9", 0, start)
    end.write_bytes(render_png(then))
    return start, end


def video_request(keyframes: tuple[Path, Path], **kw) -> VideoRequest:
    start, end = keyframes
    fields = {
        "motion_prompt": "Slow push-in toward the astronaut; dust drifts",
        "start_image": start,
        "end_image": end,
        "duration": 1.0,
        "width": W,
        "height": H,
        "aspect_ratio": "16:9",
        "fps": 24,
        "scene_index": 0,
        "style_guide": GUIDE,
    } | kw
    return VideoRequest(**fields)


def rgb(path: Path, w: int = W, h: int = H) -> np.ndarray:
    with Image.open(path) as im:
        return np.asarray(im.convert("RGB").resize((w, h), Image.Resampling.BICUBIC))


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return float(10 * np.log10(255.0**2 / max(mse, 1e-12)))


def decode_frames(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as container:
        return [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]


def stream_seconds(stream: av.stream.Stream) -> float:
    return float(stream.duration * stream.time_base)


async def render(tmp_path: Path, request: VideoRequest, audio: bool, **kw) -> tuple:
    provider = LocalVideoProvider(Settings(data_dir=tmp_path, local_audio=audio))
    op = await provider.submit(request)
    dest = tmp_path / "clip.mp4.tmp"
    result = await provider.wait(op, request, dest, **kw)
    return result, dest


def test_capabilities() -> None:
    caps = LocalVideoProvider.capabilities
    assert (caps.min_duration, caps.max_duration) == (1, 10)
    assert caps.supports_audio
    assert caps.max_concurrency >= 1
    assert LocalVideoProvider.provider_id == "local"


async def test_operation_id_is_deterministic(tmp_path: Path, keyframes) -> None:
    provider = LocalVideoProvider(Settings(data_dir=tmp_path))
    a = await provider.submit(video_request(keyframes))
    assert a == await provider.submit(video_request(keyframes))
    assert a.startswith("local-")
    assert a != await provider.submit(video_request(keyframes, duration=2.0))
    with pytest.raises(ProviderError):
        await provider.wait("veo-123", video_request(keyframes), tmp_path / "x.mp4")


@pytest.mark.parametrize("audio", [False, True])
async def test_clip_starts_and_ends_on_keyframes(tmp_path: Path, keyframes, audio: bool) -> None:
    progress: list[float] = []
    result, dest = await render(
        tmp_path, video_request(keyframes), audio, on_progress=progress.append
    )
    assert result.outcome == ClipOutcome.COMPLETE
    assert result.has_audio is audio

    frames = decode_frames(dest)
    assert len(frames) == 24
    assert frames[0].shape == (H, W, 3)
    start, end = rgb(keyframes[0]), rgb(keyframes[1])
    assert psnr(frames[0], start) >= 35
    assert psnr(frames[-1], end) >= 35
    middle = frames[len(frames) // 2]
    assert np.abs(middle.astype(float) - frames[0]).mean() > 3  # it moves
    assert psnr(middle, start) < 30 and psnr(middle, end) < 30  # not a hold on either end

    with av.open(str(dest)) as container:
        video = container.streams.video[0]
        assert video.codec_context.name == "h264"
        assert video.codec_context.pix_fmt == "yuv420p"
        assert video.average_rate == 24
        assert stream_seconds(video) == pytest.approx(1.0, abs=1e-6)
        assert len(container.streams.audio) == (1 if audio else 0)
        if audio:
            sound = container.streams.audio[0]
            assert sound.codec_context.name == "aac"
            assert sound.sample_rate == 48_000 and sound.channels == 2
            assert stream_seconds(sound) == pytest.approx(1.0, abs=0.002)
            samples = np.concatenate([f.to_ndarray() for f in container.decode(audio=0)], axis=1)
            assert samples.shape[0] == 2
            assert np.sqrt(np.mean(samples**2)) > 0.01  # audible, not silence

    assert progress and progress[-1] == 1.0
    assert progress == sorted(progress)


async def test_keyframes_are_resized_to_the_request(tmp_path: Path, keyframes) -> None:
    w, h = 640, 360
    request = video_request(keyframes, width=w, height=h, fps=12, duration=1.5)
    _, dest = await render(tmp_path, request, audio=False)
    frames = decode_frames(dest)
    assert len(frames) == 18  # round(1.5 * 12)
    assert frames[0].shape == (h, w, 3)
    assert psnr(frames[-1], rgb(keyframes[1], w, h)) >= 35


async def test_caption_band_stays_put(keyframes) -> None:
    start, end = rgb(keyframes[0]), rgb(keyframes[1])
    band = static_band(start, end)
    assert 0 < band < H * 0.08
    plain = np.full_like(start, 128)
    assert static_band(plain, plain) == 0


async def test_cancel_stops_the_render(tmp_path: Path, keyframes) -> None:
    provider = LocalVideoProvider(Settings(data_dir=tmp_path))
    request = video_request(keyframes, duration=10.0)
    started = asyncio.Event()
    calls: list[float] = []
    loop = asyncio.get_running_loop()

    def on_progress(fraction: float) -> None:  # runs in the worker thread
        calls.append(fraction)
        assert threading.current_thread() is not threading.main_thread()
        loop.call_soon_threadsafe(started.set)

    dest = tmp_path / "long.mp4.tmp"
    task = asyncio.create_task(
        provider.wait(await provider.submit(request), request, dest, on_progress)
    )
    await asyncio.wait_for(started.wait(), timeout=30)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    seen = len(calls)
    await asyncio.sleep(0.3)
    assert len(calls) == seen  # the worker has stopped
    assert calls[-1] < 1.0
    assert not dest.exists()  # the partial file is gone
