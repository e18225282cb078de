"""ClipWriter (vidpipe.media.encode): streaming H.264/AAC with the shared codec settings."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest

from vidpipe.media import codec
from vidpipe.media.encode import ClipWriter

W, H, FPS = 320, 180, 24


def frame(i: int) -> np.ndarray:
    img = np.zeros((H, W, 3), np.uint8)
    img[..., 0] = np.linspace(0, 255, W, dtype=np.uint8)[None, :]
    img[..., 1] = (i * 3) % 256
    x = (i * 4) % (W - 40)
    img[60:120, x : x + 40] = 255
    return img


def seconds(stream: av.stream.Stream) -> float:
    return float(stream.duration * stream.time_base)


def test_video_only(tmp_path: Path) -> None:
    path = tmp_path / "v.mp4"
    with ClipWriter(path, W, H, FPS) as writer:
        for i in range(100):
            writer.write_frame(frame(i))
        assert writer.frames_written == 100
    with av.open(str(path)) as container:
        assert not container.streams.audio
        video = container.streams.video[0]
        assert video.codec_context.name == "h264"
        assert video.codec_context.pix_fmt == codec.PIX_FMT
        assert (video.width, video.height) == (W, H)
        assert video.average_rate == FPS
        assert seconds(video) == pytest.approx(100 / FPS, abs=1e-6)
        keys = [i for i, f in enumerate(container.decode(video=0)) if f.key_frame]
    assert keys[0] == 0
    assert max(np.diff(keys + [100])) <= codec.GOP_SECONDS * FPS


def test_forced_keyframe(tmp_path: Path) -> None:
    path = tmp_path / "k.mp4"
    with ClipWriter(path, W, H, FPS) as writer:
        for i in range(30):
            writer.write_frame(frame(i), keyframe=i == 29)
    with av.open(str(path)) as container:
        frames = list(container.decode(video=0))
    assert len(frames) == 30
    assert frames[-1].pict_type == av.video.frame.PictureType.I


@pytest.mark.parametrize("audio_seconds", [0.0, 0.5, 1.0, 3.0])
def test_audio_track_matches_video_length(tmp_path: Path, audio_seconds: float) -> None:
    path = tmp_path / "a.mp4"
    n = round(audio_seconds * codec.AUDIO_RATE)
    tone = 0.2 * np.sin(np.arange(n) / codec.AUDIO_RATE * 2 * np.pi * 440)
    with ClipWriter(path, W, H, FPS, audio=True) as writer:
        for chunk in np.array_split(np.stack([tone, tone]).astype(np.float32), 7, axis=1):
            writer.write_audio(chunk)  # audio ahead of the video, in odd-sized chunks
        for i in range(36):
            writer.write_frame(frame(i))
    with av.open(str(path)) as container:
        video, sound = container.streams.video[0], container.streams.audio[0]
        assert sound.codec_context.name == codec.AUDIO_CODEC
        assert sound.sample_rate == codec.AUDIO_RATE
        assert sound.channels == 2
        assert seconds(video) == pytest.approx(1.5, abs=1e-6)
        assert seconds(sound) == pytest.approx(1.5, abs=0.002)


def test_bad_input_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        ClipWriter(tmp_path / "odd.mp4", 321, 180, FPS)
    with ClipWriter(tmp_path / "v.mp4", W, H, FPS) as writer:
        with pytest.raises(ValueError):
            writer.write_frame(np.zeros((H, W + 2, 3), np.uint8))
        with pytest.raises(RuntimeError):
            writer.write_audio(np.zeros((2, 10), np.float32))
        writer.write_frame(frame(0))
    with pytest.raises(RuntimeError):
        writer.write_frame(frame(1))  # closed


def test_error_inside_block_closes_the_file(tmp_path: Path) -> None:
    path = tmp_path / "broken.mp4"
    with pytest.raises(KeyError):
        with ClipWriter(path, W, H, FPS, audio=True) as writer:
            writer.write_frame(frame(0))
            raise KeyError("boom")
    writer.close()  # already closed: a no-op
