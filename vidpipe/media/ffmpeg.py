"""Finding and running the ffmpeg binary.

Every ffmpeg call in vidpipe goes through `run_ffmpeg`: an asyncio subprocess that can be
cancelled (the child is terminated, then killed), with failures turned into `FFmpegError`
messages that carry the exit code and the tail of ffmpeg's stderr.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shutil
from pathlib import Path

from vidpipe.errors import FFmpegError

log = logging.getLogger(__name__)

FIX_HINT = "set VIDPIPE_FFMPEG to a working ffmpeg"
COMMON_ARGS = ["-hide_banner", "-nostdin", "-y", "-loglevel", "error"]
STDERR_TAIL_LINES = 8
TERMINATE_GRACE_SECONDS = 2.0


def find_ffmpeg(configured: str | None = None) -> str:
    """The ffmpeg to use: `configured` (VIDPIPE_FFMPEG), else `ffmpeg` on PATH, else the bundled.

    `configured` may be a path or a command name looked up on PATH. A configured value that does
    not lead to an executable file is an error, never silently replaced by another ffmpeg.
    """
    if configured:
        return _resolve_configured(configured)
    on_path = shutil.which("ffmpeg")
    if on_path:
        return on_path
    try:
        return _bundled_ffmpeg()
    except Exception as exc:  # imageio-ffmpeg raises RuntimeError when it ships no binary
        raise FFmpegError(
            f"no ffmpeg found: none on PATH and imageio-ffmpeg has none ({exc}) — "
            f"install ffmpeg or {FIX_HINT}"
        ) from exc


def _bundled_ffmpeg() -> str:
    """imageio-ffmpeg's binary. Its `get_ffmpeg_exe` checks the file by running it (`-version`):
    one more ffmpeg start on every vidpipe command. The file it would check is taken as is when
    it is there and executable (a broken one fails the first ffmpeg call with ffmpeg's own
    message; `vidpipe doctor` runs it); anything else is left to imageio-ffmpeg."""
    import imageio_ffmpeg

    if not os.environ.get("IMAGEIO_FFMPEG_EXE"):  # an explicit choice: imageio-ffmpeg returns it
        with contextlib.suppress(Exception):  # its private layout changed: ask it instead
            from imageio_ffmpeg._definitions import FNAME_PER_PLATFORM, get_platform
            from imageio_ffmpeg._utils import _get_bin_dir

            path = os.path.join(_get_bin_dir(), FNAME_PER_PLATFORM[get_platform()])
            if os.path.isfile(path) and os.access(path, os.X_OK):
                return path
    return str(imageio_ffmpeg.get_ffmpeg_exe())


def _resolve_configured(configured: str) -> str:
    expanded = os.path.expanduser(configured)
    looks_like_path = os.sep in expanded or (os.altsep is not None and os.altsep in expanded)
    if not looks_like_path:
        found = shutil.which(expanded)
        if found is None:
            raise FFmpegError(
                f"VIDPIPE_FFMPEG={configured!r} was not found on PATH — "
                f"give the full path of ffmpeg, or unset VIDPIPE_FFMPEG to use the bundled one"
            )
        return found
    path = Path(expanded)
    if not path.exists():
        raise FFmpegError(
            f"VIDPIPE_FFMPEG={configured!r}: no such file — "
            f"fix the path, or unset VIDPIPE_FFMPEG to use the bundled ffmpeg"
        )
    if not path.is_file() or not os.access(path, os.X_OK):
        raise FFmpegError(
            f"VIDPIPE_FFMPEG={configured!r} is not an executable file — chmod +x it, or {FIX_HINT}"
        )
    return str(path)


async def run_ffmpeg(ffmpeg: str, args: list[str], *, timeout: float | None = None) -> None:
    """Run `ffmpeg <common flags> <args>`; raise FFmpegError unless it exits with status 0."""
    returncode, stderr = await _execute(ffmpeg, [*COMMON_ARGS, *args], timeout=timeout)
    if returncode != 0:
        raise FFmpegError(
            f"ffmpeg exited with status {returncode}: {_tail(stderr) or '(no error output)'}"
        )


async def ffmpeg_report(ffmpeg: str, args: list[str], *, timeout: float | None = None) -> str:
    """Run `ffmpeg <args>` at log level info and return what it printed (filters such as
    loudnorm and ebur128 report their measurements there); FFmpegError unless status 0."""
    common = ["-hide_banner", "-nostdin", "-nostats", "-y", "-loglevel", "info"]
    returncode, output = await _execute(ffmpeg, [*common, *args], timeout=timeout)
    if returncode != 0:
        raise FFmpegError(
            f"ffmpeg exited with status {returncode}: {_tail(output) or '(no error output)'}"
        )
    return output


async def check_ffmpeg(ffmpeg: str, *, timeout: float = 20.0) -> str:
    """The first line of `ffmpeg -version` (e.g. for `vidpipe doctor`); FFmpegError if it fails."""
    returncode, output = await _execute(ffmpeg, ["-hide_banner", "-version"], timeout=timeout)
    first_line = next((line for line in output.splitlines() if line.strip()), "")
    if returncode != 0 or not first_line:
        raise FFmpegError(
            f"ffmpeg at {ffmpeg} failed its -version check (status {returncode}): "
            f"{_tail(output) or '(no output)'} — {FIX_HINT}"
        )
    return first_line.strip()


async def _execute(ffmpeg: str, args: list[str], *, timeout: float | None) -> tuple[int, str]:
    """Run the binary, returning (exit status, stdout+stderr text). Kills the child on cancel."""
    log.debug("running ffmpeg", extra={"ffmpeg": ffmpeg, "args": args})
    try:
        proc = await asyncio.create_subprocess_exec(
            ffmpeg,
            *args,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
    except OSError as exc:
        raise FFmpegError(
            f"ffmpeg at {ffmpeg} could not be run: {exc.strerror or exc} — {FIX_HINT}"
        ) from exc
    try:
        output, _ = await asyncio.wait_for(proc.communicate(), timeout)
    except TimeoutError:
        await _stop(proc)
        raise FFmpegError(f"ffmpeg did not finish within {timeout:g} s and was stopped") from None
    except BaseException:  # CancelledError, KeyboardInterrupt: never leave the child running
        await _stop(proc)
        raise
    assert proc.returncode is not None
    return proc.returncode, output.decode("utf-8", errors="replace")


async def _stop(proc: asyncio.subprocess.Process) -> None:
    """Terminate the child, kill it if it lingers (or if we are cancelled again), and reap it."""
    if proc.returncode is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        proc.terminate()
    try:
        await asyncio.wait_for(proc.wait(), TERMINATE_GRACE_SECONDS)
    except TimeoutError:
        pass
    finally:
        if proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
    if proc.returncode is None:
        await proc.wait()


def _tail(text: str, lines: int = STDERR_TAIL_LINES) -> str:
    kept = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return " | ".join(kept[-lines:])
