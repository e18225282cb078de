from __future__ import annotations

import dataclasses
import os

import pytest

from vidpipe.errors import FFmpegError
from vidpipe.media.probe import MediaReadError, is_playable_video, probe, streams_match


def test_probe_describes_a_clip_with_audio(make_clip):
    info = probe(make_clip())
    assert info.duration == pytest.approx(1.0, abs=1e-3)
    assert (info.width, info.height) == (320, 240)
    assert info.fps == pytest.approx(24.0)
    assert info.video_codec == "h264"
    assert info.pix_fmt == "yuv420p"
    assert info.has_audio
    assert (info.audio_codec, info.audio_rate, info.audio_channels) == ("aac", 48_000, 2)
    assert info.audio_duration == pytest.approx(1.0, abs=0.03)
    assert info.frame_count == 24


def test_probe_describes_a_silent_clip(make_clip):
    info = probe(make_clip(audio=False, duration=2.0, fps=30))
    assert info.duration == pytest.approx(2.0, abs=1e-3)
    assert info.fps == pytest.approx(30.0)
    assert not info.has_audio
    assert info.audio_codec is info.audio_rate is info.audio_channels is None
    assert info.frame_count == 60


@pytest.mark.parametrize("content", [b"", b"this is not a video at all" * 100])
def test_probe_rejects_unreadable_files(tmp_path, content):
    path = tmp_path / "clip.mp4"
    path.write_bytes(content)
    with pytest.raises(MediaReadError, match=r"cannot read .*clip\.mp4"):
        probe(path)


def test_probe_missing_file_is_an_ffmpeg_error(tmp_path):
    with pytest.raises(FFmpegError, match="missing.mp4"):
        probe(tmp_path / "missing.mp4")


def test_probe_needs_a_video_stream(ffmpeg, tmp_path):
    import subprocess

    audio_only = tmp_path / "audio.m4a"
    subprocess.run(
        [ffmpeg, "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i", "sine=d=0.5",
         "-c:a", "aac", str(audio_only)],
        check=True,
    )  # fmt: skip
    with pytest.raises(MediaReadError, match="no video stream"):
        probe(audio_only)
    assert not is_playable_video(audio_only)


def test_is_playable_video(make_clip, tmp_path):
    clip = make_clip()
    assert is_playable_video(clip)
    assert not is_playable_video(tmp_path / "missing.mp4")
    empty = tmp_path / "empty.mp4"
    empty.touch()
    assert not is_playable_video(empty)
    truncated = tmp_path / "truncated.mp4"
    truncated.write_bytes(clip.read_bytes()[: clip.stat().st_size // 2])
    assert not is_playable_video(truncated)
    assert not is_playable_video(tmp_path)  # a directory


def test_a_playable_file_is_decoded_once_until_it_changes(make_clip, tmp_path, monkeypatch):
    import vidpipe.media.probe as module

    clip = make_clip()
    assert is_playable_video(clip)
    opened = []
    real_open = module._open
    monkeypatch.setattr(module, "_open", lambda path: opened.append(path) or real_open(path))
    assert is_playable_video(clip) and opened == []  # the same file: remembered
    damaged = clip.read_bytes()[:-64] + bytes(64)  # same size, other bytes, a newer mtime
    clip.write_bytes(damaged)
    os.utime(clip, ns=(clip.stat().st_atime_ns, clip.stat().st_mtime_ns + 1_000_000))
    is_playable_video(clip)
    assert opened == [clip]  # changed: looked at again


def test_streams_match(make_clip):
    base = probe(make_clip())
    assert streams_match([])
    assert streams_match([base])
    assert streams_match([base, probe(make_clip(color="red", freq=660))])
    assert not streams_match([base, probe(make_clip(size=(480, 360)))])
    assert not streams_match([base, probe(make_clip(fps=30))])
    assert not streams_match([base, probe(make_clip(audio=False))])
    assert not streams_match([base, dataclasses.replace(base, audio_rate=44_100)])
    assert not streams_match([base, dataclasses.replace(base, video_codec="hevc")])
    assert not streams_match([base, dataclasses.replace(base, video_config="other")])
