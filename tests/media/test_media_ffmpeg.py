from __future__ import annotations

import asyncio
import os
from pathlib import Path

import imageio_ffmpeg
import pytest

from vidpipe.errors import FFmpegError
from vidpipe.media.ffmpeg import check_ffmpeg, find_ffmpeg, run_ffmpeg


def test_find_ffmpeg_prefers_the_configured_path(write_script):
    script = write_script("my-ffmpeg", "exit 0\n")
    assert find_ffmpeg(str(script)) == str(script)


def test_find_ffmpeg_looks_a_configured_name_up_on_path(write_script, monkeypatch):
    script = write_script("ffmpeg-custom", "exit 0\n")
    monkeypatch.setenv("PATH", str(script.parent))
    assert find_ffmpeg("ffmpeg-custom") == str(script)


def test_find_ffmpeg_falls_back_to_imageio_binary(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # no ffmpeg on PATH
    assert find_ffmpeg(None) == imageio_ffmpeg.get_ffmpeg_exe()


def test_the_bundled_ffmpeg_is_found_without_running_it(monkeypatch, tmp_path):
    """imageio-ffmpeg would start the binary to check it: an ffmpeg start on every command."""
    import subprocess

    monkeypatch.setenv("PATH", str(tmp_path))

    def no_process(*args, **kwargs):
        raise AssertionError(f"a process was started: {args}")

    monkeypatch.setattr(subprocess, "Popen", no_process)
    imageio_ffmpeg._utils._get_ffmpeg_exe.cache_clear()  # it remembers its answer per process
    found = find_ffmpeg(None)
    assert Path(found).is_file() and os.access(found, os.X_OK)
    assert Path(found).parent.name == "binaries"  # imageio-ffmpeg's own


def test_find_ffmpeg_uses_ffmpeg_on_path(write_script, monkeypatch):
    script = write_script("ffmpeg", "exit 0\n")
    monkeypatch.setenv("PATH", str(script.parent))
    assert find_ffmpeg(None) == str(script)


@pytest.mark.parametrize(
    ("configured", "expected"),
    [
        ("/nonexistent/ffmpeg", "no such file"),
        ("no-such-ffmpeg-anywhere", "not found on PATH"),
    ],
)
def test_find_ffmpeg_rejects_a_missing_configured_binary(configured, expected):
    with pytest.raises(FFmpegError, match=expected) as caught:
        find_ffmpeg(configured)
    assert "VIDPIPE_FFMPEG" in str(caught.value)


def test_find_ffmpeg_rejects_a_non_executable_file(tmp_path):
    plain = tmp_path / "ffmpeg"
    plain.write_text("not a program")
    with pytest.raises(FFmpegError, match="not an executable file"):
        find_ffmpeg(str(plain))


async def test_run_ffmpeg_passes_common_flags_then_args(write_script, tmp_path):
    record = tmp_path / "args.txt"
    script = write_script("ffmpeg", f'printf "%s\\n" "$@" > "{record}"\n')
    await run_ffmpeg(str(script), ["-i", "in put.mp4", "out.mp4"])
    assert record.read_text().splitlines() == [
        "-hide_banner", "-nostdin", "-y", "-loglevel", "error", "-i", "in put.mp4", "out.mp4",
    ]  # fmt: skip


async def test_failing_ffmpeg_raises_with_status_and_stderr_tail(write_script):
    body = "".join(f'echo "noise line {i}" >&2\n' for i in range(20))
    body += 'echo "Invalid data found when processing input" >&2\nexit 1\n'
    script = write_script("ffmpeg", body)
    with pytest.raises(FFmpegError) as caught:
        await run_ffmpeg(str(script), ["-i", "x.mp4", "y.mp4"])
    message = str(caught.value)
    assert "status 1" in message
    assert "Invalid data found when processing input" in message
    assert "noise line 0" not in message  # only the tail


async def test_real_ffmpeg_error_is_reported(ffmpeg, tmp_path):
    with pytest.raises(FFmpegError, match="No such file"):
        await run_ffmpeg(ffmpeg, ["-i", str(tmp_path / "missing.mp4"), str(tmp_path / "o.mp4")])


async def test_missing_binary_raises_actionable_error(tmp_path):
    missing = str(tmp_path / "ffmpeg")
    with pytest.raises(FFmpegError) as caught:
        await run_ffmpeg(missing, ["-version"])
    message = str(caught.value)
    assert f"ffmpeg at {missing} could not be run" in message
    assert "VIDPIPE_FFMPEG" in message


async def test_cancellation_kills_the_child(write_script, tmp_path):
    pid_file = tmp_path / "pid"
    script = write_script("ffmpeg", f'echo $$ > "{pid_file}"\nexec sleep 30\n')
    task = asyncio.create_task(run_ffmpeg(str(script), []))
    for _ in range(500):
        if pid_file.exists() and pid_file.read_text().strip():
            break
        await asyncio.sleep(0.01)
    pid = int(pid_file.read_text())
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)  # terminated and reaped


async def test_timeout_stops_the_child(write_script):
    script = write_script("ffmpeg", "exec sleep 30\n")
    with pytest.raises(FFmpegError, match="did not finish within"):
        await run_ffmpeg(str(script), [], timeout=0.2)


async def test_check_ffmpeg_reports_the_version_line(ffmpeg):
    line = await check_ffmpeg(ffmpeg)
    assert line.startswith("ffmpeg version")


async def test_check_ffmpeg_fails_clearly_for_a_broken_binary(write_script):
    script = write_script("ffmpeg", 'echo "libx264.so: cannot open shared object" >&2\nexit 127\n')
    with pytest.raises(FFmpegError, match="cannot open shared object"):
        await check_ffmpeg(str(script))


async def test_check_ffmpeg_missing_binary(tmp_path: Path):
    with pytest.raises(FFmpegError, match="could not be run"):
        await check_ffmpeg(str(tmp_path / "nope"))
