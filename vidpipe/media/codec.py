"""The one set of codec settings every encoder in vidpipe uses, so clips join by stream copy."""

from __future__ import annotations

VIDEO_CODEC = "libx264"
PIX_FMT = "yuv420p"
CRF = 18
PRESET = "veryfast"
GOP_SECONDS = 2  # keyframe interval; short so cuts land near a keyframe
AUDIO_CODEC = "aac"
AUDIO_RATE = 48_000
AUDIO_LAYOUT = "stereo"
AUDIO_BITRATE = 128_000


def x264_ffmpeg_args(fps: int) -> list[str]:
    """The same settings as ffmpeg command-line arguments (for ffmpeg-driven encodes)."""
    return [
        "-c:v", VIDEO_CODEC,
        "-preset", PRESET,
        "-crf", str(CRF),
        "-pix_fmt", PIX_FMT,
        "-g", str(GOP_SECONDS * fps),
        "-r", str(fps),
    ]  # fmt: skip


def aac_ffmpeg_args() -> list[str]:
    return ["-c:a", AUDIO_CODEC, "-b:a", str(AUDIO_BITRATE), "-ar", str(AUDIO_RATE), "-ac", "2"]


def x264_pyav_options() -> dict[str, str]:
    """The same settings for a PyAV stream's `options`."""
    return {"crf": str(CRF), "preset": PRESET}
