from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import av
import numpy as np
import pytest

from vidpipe.errors import FFmpegError
from vidpipe.media.frames import psnr, read_frame, read_frames_at
from vidpipe.media.probe import probe
from vidpipe.media.stitch import stitch_clips

FRAME = 1 / 24


def decode_audio(path: Path) -> tuple[np.ndarray, int]:
    """The first audio stream as mono float samples, and its sample rate."""
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        chunks = [frame.to_ndarray().mean(axis=0) for frame in container.decode(stream)]
        return np.concatenate(chunks), stream.rate


def rms(samples: np.ndarray, rate: int, start: float, end: float) -> float:
    window = samples[int(start * rate) : int(end * rate)]
    return float(np.sqrt(np.mean(window**2)))


async def test_matching_clips_join_by_stream_copy(ffmpeg, make_clip, tmp_path):
    clips = [make_clip(), make_clip(color="red", freq=660), make_clip(color="blue", freq=880)]
    dest = tmp_path / "final.mp4.tmp"  # a temporary name: the format can't come from it

    result = await stitch_clips(ffmpeg, clips, dest)

    assert result.mode == "copy"
    assert result.has_audio
    info = probe(dest)
    assert info.duration == pytest.approx(sum(probe(c).duration for c in clips), abs=FRAME)
    assert (info.width, info.height, info.fps) == (320, 240, 24.0)
    assert info.frame_count == 72
    assert result.duration == pytest.approx(info.duration)
    # Frames are preserved: each clip's last and first frame sit at its boundaries in the output.
    indices = [23, 24, 47, 48, 71]
    out = dict(zip(indices, read_frames_at(dest, indices), strict=True))
    assert psnr(out[23], read_frame(clips[0], -1)) >= 40
    assert psnr(out[24], read_frame(clips[1], 0)) >= 40
    assert psnr(out[47], read_frame(clips[1], -1)) >= 40
    assert psnr(out[48], read_frame(clips[2], 0)) >= 40
    assert psnr(out[71], read_frame(clips[2], -1)) >= 40
    assert [p.name for p in tmp_path.iterdir()] == [dest.name]  # scratch files removed


async def test_paths_with_spaces_and_quotes(ffmpeg, make_clip, tmp_path):
    folder = tmp_path / "my clips 'n' \"stuff\""
    folder.mkdir()
    clips = []
    names = ["it's one.mp4", 'say "two".mp4', "three\\back.mp4", "line\nbreak.mp4"]
    for index, name in enumerate(names):
        clips.append(folder / name)
        shutil.copy(make_clip(freq=440 + 100 * index), clips[-1])
    dest = tmp_path / "out dir's" / "final.mp4"
    dest.parent.mkdir()

    copied = await stitch_clips(ffmpeg, clips, dest)
    assert copied.mode == "copy"
    assert copied.duration == pytest.approx(4.0, abs=FRAME)

    faded = await stitch_clips(ffmpeg, clips, dest, crossfade=0.5)
    assert faded.mode == "crossfade"
    assert faded.duration == pytest.approx(2.5, abs=0.1)


async def test_mixed_audio_and_silent_clips_join_by_copy(ffmpeg, make_clip, tmp_path):
    clips = [make_clip(audio=False, color="green"), make_clip(), make_clip(audio=False)]
    dest = tmp_path / "final.mp4"

    result = await stitch_clips(ffmpeg, clips, dest, workdir=tmp_path / "work")

    assert result.mode == "copy"
    assert result.has_audio
    assert result.duration == pytest.approx(3.0, abs=FRAME)
    samples, rate = decode_audio(dest)
    assert rms(samples, rate, 0.1, 0.9) < 1e-3  # the silent clip's own stretch stays silent
    assert rms(samples, rate, 1.1, 1.9) > 0.05  # the sine clip is audible where it belongs
    assert rms(samples, rate, 2.1, 2.9) < 1e-3
    assert list((tmp_path / "work").iterdir()) == []


async def test_clips_without_any_audio(ffmpeg, make_clip, tmp_path):
    clips = [make_clip(audio=False), make_clip(audio=False, color="red")]
    result = await stitch_clips(ffmpeg, clips, tmp_path / "final.mp4")
    assert (result.mode, result.has_audio) == ("copy", False)
    assert result.duration == pytest.approx(2.0, abs=FRAME)


async def test_mismatched_clips_are_reencoded(ffmpeg, make_clip, tmp_path):
    clips = [
        make_clip(),
        make_clip(size=(480, 360), color="red", audio=False),
        make_clip(fps=30, duration=2.0, freq=880),
    ]
    dest = tmp_path / "final.mp4"

    result = await stitch_clips(ffmpeg, clips, dest, fps=24)

    assert result.mode == "reencode"
    assert result.has_audio
    info = probe(dest)
    assert (info.width, info.height) == (320, 240)  # the first clip's size
    assert info.fps == pytest.approx(24.0)
    assert info.duration == pytest.approx(4.0, abs=FRAME)
    assert info.audio_duration == pytest.approx(4.0, abs=0.05)
    assert psnr(read_frame(dest, 0), read_frame(clips[0], 0)) >= 35
    samples, rate = decode_audio(dest)
    assert rms(samples, rate, 1.1, 1.9) < 1e-3  # the silent (red) clip
    assert rms(samples, rate, 2.1, 3.9) > 0.05


async def test_crossfade_keeps_audio_and_shortens_by_the_overlaps(ffmpeg, make_clip, tmp_path):
    clips = [make_clip(), make_clip(color="red", freq=660), make_clip(color="blue", freq=880)]
    dest = tmp_path / "final.mp4"

    result = await stitch_clips(ffmpeg, clips, dest, crossfade=0.25)

    assert result.mode == "crossfade"
    assert result.has_audio
    info = probe(dest)
    assert info.duration == pytest.approx(3.0 - 2 * 0.25, abs=0.1)
    assert info.audio_duration == pytest.approx(3.0 - 2 * 0.25, abs=0.1)
    assert (info.width, info.height, info.fps) == (320, 240, 24.0)
    assert psnr(read_frame(dest, 0), read_frame(clips[0], 0)) >= 35
    assert psnr(read_frame(dest, -1), read_frame(clips[2], -1)) >= 35
    # Halfway through the first transition the picture is a blend of both clips.
    middle = read_frame(dest, round(0.875 * 24))
    assert psnr(middle, read_frame(clips[1], 0)) < 30


async def test_crossfade_length_is_exact_in_frames(ffmpeg, make_clip, tmp_path):
    # 0.3 s is 7.2 frames: whole-frame transitions keep the total within half a frame.
    clips = [make_clip(), make_clip(color="red"), make_clip(color="blue")]
    result = await stitch_clips(ffmpeg, clips, tmp_path / "final.mp4", crossfade=0.3)
    info = probe(tmp_path / "final.mp4")
    assert info.frame_count == 72 - 14
    assert result.duration == pytest.approx(3.0 - 2 * 0.3, abs=FRAME / 2)
    assert info.audio_duration == pytest.approx(result.duration, abs=0.01)  # in sync


async def test_crossfades_may_overlap_on_a_short_middle_clip(ffmpeg, make_clip, tmp_path):
    clips = [make_clip(), make_clip(duration=0.5, color="red", freq=660), make_clip(color="blue")]
    result = await stitch_clips(ffmpeg, clips, tmp_path / "final.mp4", crossfade=0.4)
    assert (result.mode, result.has_audio) == ("crossfade", True)
    assert result.duration == pytest.approx(2.5 - 2 * 0.4, abs=FRAME)
    assert psnr(read_frame(tmp_path / "final.mp4", -1), read_frame(clips[2], -1)) >= 35


async def test_crossfade_joins_mixed_and_mismatched_clips(ffmpeg, make_clip, tmp_path):
    clips = [
        make_clip(audio=False),
        make_clip(size=(480, 360), freq=660, duration=2.0),
        make_clip(fps=30, audio=False, color="blue"),
    ]
    result = await stitch_clips(ffmpeg, clips, tmp_path / "final.mp4", crossfade=0.5)
    assert (result.mode, result.has_audio) == ("crossfade", True)
    info = probe(tmp_path / "final.mp4")
    assert info.duration == pytest.approx(4.0 - 2 * 0.5, abs=0.1)
    assert (info.width, info.height, info.fps) == (320, 240, 24.0)


async def test_crossfade_without_audio_is_video_only(ffmpeg, make_clip, tmp_path):
    clips = [make_clip(audio=False), make_clip(audio=False, color="red")]
    result = await stitch_clips(ffmpeg, clips, tmp_path / "final.mp4", crossfade=0.5)
    assert (result.mode, result.has_audio) == ("crossfade", False)
    assert result.duration == pytest.approx(1.5, abs=0.1)


async def test_one_clip_with_crossfade_is_copied(ffmpeg, make_clip, tmp_path):
    result = await stitch_clips(ffmpeg, [make_clip()], tmp_path / "final.mp4", crossfade=0.5)
    assert result.mode == "copy"
    assert result.duration == pytest.approx(1.0, abs=FRAME)


@pytest.mark.parametrize("crossfade", [1.0, 2.5, -0.5, float("nan")])
async def test_crossfade_must_fit(ffmpeg, make_clip, tmp_path, crossfade):
    dest = tmp_path / "final.mp4"
    with pytest.raises(ValueError, match="crossfade"):
        await stitch_clips(
            ffmpeg, [make_clip(), make_clip(duration=2.0)], dest, crossfade=crossfade
        )
    assert not dest.exists()


async def test_no_clips(ffmpeg, tmp_path):
    with pytest.raises(ValueError, match="no clips"):
        await stitch_clips(ffmpeg, [], tmp_path / "final.mp4")


async def test_unreadable_clip_is_reported(ffmpeg, make_clip, tmp_path):
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"\0" * 1000)
    with pytest.raises(FFmpegError, match="broken.mp4"):
        await stitch_clips(ffmpeg, [make_clip(), broken], tmp_path / "final.mp4")


async def test_failing_ffmpeg_raises_and_leaves_no_output(make_clip, write_script, tmp_path):
    dest = tmp_path / "final.mp4"
    script = write_script(
        "ffmpeg", f'echo partial > "{dest}"\necho "Disk quota exceeded" >&2\nexit 1\n'
    )
    with pytest.raises(FFmpegError, match="status 1.*Disk quota exceeded"):
        await stitch_clips(str(script), [make_clip(), make_clip(color="red")], dest)
    assert not dest.exists()


async def test_cancelled_stitch_leaves_no_output(make_clip, write_script, tmp_path):
    dest = tmp_path / "final.mp4"
    started = tmp_path / "started"
    script = write_script("ffmpeg", f'echo partial > "{dest}"\ntouch "{started}"\nexec sleep 30\n')
    task = asyncio.create_task(stitch_clips(str(script), [make_clip()], dest))
    for _ in range(500):
        if started.exists():
            break
        await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert not dest.exists()
