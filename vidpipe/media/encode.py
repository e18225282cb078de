"""Streaming MP4 writer on PyAV: H.264 + optional AAC with the shared codec settings.

Frames go to the encoder one at a time, so a clip of any length needs the memory of a few frames.
Audio is buffered only until the video has caught up with it and is trimmed or padded with silence
at close, so the audio track always lasts exactly as long as the video (`frames / fps`).
"""

from __future__ import annotations

import contextlib
from collections import deque
from fractions import Fraction
from pathlib import Path
from types import TracebackType
from typing import cast

import av
import numpy as np

from vidpipe.media import codec


class ClipWriter:
    """Write an MP4 frame by frame.

    >>> with ClipWriter(path, 1280, 720, fps=24, audio=True) as writer:
    ...     writer.write_audio(stereo_float32)  # shape (2, n) at codec.AUDIO_RATE, any chunking
    ...     for rgb in frames:
    ...         writer.write_frame(rgb)  # uint8, shape (height, width, 3)

    Leaving the block normally flushes the encoders and finalises the file; leaving it with an
    exception closes the file without flushing (the caller discards the partial file).
    """

    def __init__(
        self, path: Path | str, width: int, height: int, fps: int, audio: bool = False
    ) -> None:
        if width <= 0 or height <= 0 or width % 2 or height % 2:
            raise ValueError(f"frame size must be positive and even for yuv420p: {width}x{height}")
        if fps <= 0:
            raise ValueError(f"fps must be positive: {fps}")
        self.path = Path(path)
        self.width = width
        self.height = height
        self.fps = fps
        self.has_audio = audio
        self.frames_written = 0
        self._closed = False
        self._audio_pending: deque[np.ndarray] = deque()
        self._audio_pending_samples = 0
        self._audio_encoded = 0

        self._container = av.open(
            str(self.path), mode="w", format="mp4", options={"movflags": "+faststart"}
        )
        try:
            # the codec names are plain strings, so the stubs cannot tell which stream kind
            self._video = cast(
                av.VideoStream,
                self._container.add_stream(
                    codec.VIDEO_CODEC, rate=fps, options=codec.x264_pyav_options()
                ),
            )
            self._video.width = width
            self._video.height = height
            self._video.pix_fmt = codec.PIX_FMT
            self._video.codec_context.time_base = Fraction(1, fps)
            self._video.codec_context.gop_size = codec.GOP_SECONDS * fps
            self._audio: av.AudioStream | None = None
            if audio:
                self._audio = cast(
                    av.AudioStream,
                    self._container.add_stream(
                        codec.AUDIO_CODEC, rate=codec.AUDIO_RATE, layout=codec.AUDIO_LAYOUT
                    ),
                )
                self._audio.bit_rate = codec.AUDIO_BITRATE
        except BaseException:
            self._container.close()
            raise

    # ------------------------------------------------------------------ public

    def __enter__(self) -> ClipWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()

    @property
    def duration(self) -> float:
        """Seconds of video written so far."""
        return self.frames_written / self.fps

    def write_frame(self, rgb: np.ndarray, *, keyframe: bool = False) -> None:
        """Encode one RGB frame (uint8, shape (height, width, 3)).

        `keyframe=True` asks for an intra-coded frame here (on top of the regular GOP), e.g. for
        a clip's last frame, which then is as sharp as its first.
        """
        self._check_open()
        if rgb.shape != (self.height, self.width, 3) or rgb.dtype != np.uint8:
            raise ValueError(
                f"expected uint8 frame of shape {(self.height, self.width, 3)}, "
                f"got {rgb.dtype} {rgb.shape}"
            )
        frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb), format="rgb24")
        frame.pts = self.frames_written
        frame.time_base = Fraction(1, self.fps)
        if keyframe:
            frame.pict_type = av.video.frame.PictureType.I
        self._container.mux(self._video.encode(frame))
        self.frames_written += 1
        if self._audio is not None:
            self._encode_audio_until(self._audio_target(), pad=False)

    def write_audio(self, samples: np.ndarray) -> None:
        """Queue stereo audio (float32 in [-1, 1], shape (2, n), at codec.AUDIO_RATE).

        Audio is muxed alongside the video as the frames arrive; whatever runs past the video's
        end is dropped at close, and a shortfall is filled with silence.
        """
        self._check_open()
        if self._audio is None:
            raise RuntimeError("this ClipWriter was opened without audio")
        if samples.ndim != 2 or samples.shape[0] != 2:
            raise ValueError(f"expected audio of shape (2, n), got {samples.shape}")
        if samples.shape[1] == 0:
            return
        self._audio_pending.append(np.clip(samples, -1.0, 1.0).astype(np.float32))
        self._audio_pending_samples += samples.shape[1]
        self._encode_audio_until(self._audio_target(), pad=False)

    def close(self) -> None:
        """Flush both encoders and finalise the file. Idempotent."""
        if self._closed:
            return
        try:
            self._container.mux(self._video.encode(None))
            if self._audio is not None:
                self._encode_audio_until(self._audio_target(), pad=True)
                self._container.mux(self._audio.encode(None))
        finally:
            self._closed = True
            self._container.close()

    def abort(self) -> None:
        """Close the file without flushing; what is on disk is incomplete."""
        if self._closed:
            return
        self._closed = True
        with contextlib.suppress(Exception):  # the file is being discarded anyway
            self._container.close()

    # ------------------------------------------------------------------ internals

    def _check_open(self) -> None:
        if self._closed:
            raise RuntimeError("ClipWriter is closed")

    def _audio_target(self) -> int:
        """Audio samples that cover the video written so far."""
        return self.frames_written * codec.AUDIO_RATE // self.fps

    def _encode_audio_until(self, target: int, *, pad: bool) -> None:
        assert self._audio is not None
        while self._audio_encoded < target:
            need = target - self._audio_encoded
            if self._audio_pending:
                chunk = self._audio_pending[0]
                if chunk.shape[1] > need:
                    self._audio_pending[0] = chunk[:, need:]
                    chunk = chunk[:, :need]
                else:
                    self._audio_pending.popleft()
                self._audio_pending_samples -= chunk.shape[1]
            elif pad:
                chunk = np.zeros((2, need), dtype=np.float32)
            else:
                return
            self._mux_audio(chunk)

    def _mux_audio(self, chunk: np.ndarray) -> None:
        assert self._audio is not None
        frame = av.AudioFrame.from_ndarray(
            np.ascontiguousarray(chunk), format="fltp", layout=codec.AUDIO_LAYOUT
        )
        frame.sample_rate = codec.AUDIO_RATE
        frame.pts = self._audio_encoded
        frame.time_base = Fraction(1, codec.AUDIO_RATE)
        self._container.mux(self._audio.encode(frame))
        self._audio_encoded += chunk.shape[1]
