"""WAV files for narration: raw PCM wrapped, and a service's WAV read back and written clean.

Speech services answer PCM (Gemini: 16-bit little-endian, mono, the rate in the MIME type) or a
WAV whose header may carry placeholder sizes (a streamed answer does not know its length); both
become a plain PCM WAV with true sizes, written by the stdlib `wave` module.
"""

from __future__ import annotations

import re
import struct
import wave
from dataclasses import dataclass
from pathlib import Path


class BadAudioError(ValueError):
    """The audio a service returned cannot be read."""


@dataclass(frozen=True)
class Pcm:
    data: bytes
    rate: int
    channels: int = 1
    width: int = 2  # bytes per sample

    @property
    def seconds(self) -> float:
        return len(self.data) / (self.rate * self.channels * self.width)


def write_wav(pcm: Pcm, dest: Path) -> float:
    """Write `pcm` as a WAV at `dest`; return its duration in seconds."""
    with wave.open(str(dest), "wb") as out:
        out.setnchannels(pcm.channels)
        out.setsampwidth(pcm.width)
        out.setframerate(pcm.rate)
        out.writeframes(pcm.data)
    return pcm.seconds


def rate_of(mime_type: str | None, default: int = 24_000) -> int:
    """`audio/L16;codec=pcm;rate=24000` → 24000."""
    found = re.search(r"rate=(\d+)", mime_type or "")
    return int(found.group(1)) if found else default


def read_wav(data: bytes) -> Pcm:
    """The PCM of a WAV, trusting the chunks' order rather than placeholder sizes."""
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise BadAudioError("not a WAV file")
    at, fmt = 12, None
    while at + 8 <= len(data):
        kind, size = data[at : at + 4], struct.unpack("<I", data[at + 4 : at + 8])[0]
        body = at + 8
        if kind == b"fmt ":
            if size < 16:
                raise BadAudioError("WAV format chunk too short")
            code, channels, rate, _, _, bits = struct.unpack("<HHIIHH", data[body : body + 16])
            if code not in (1, 0xFFFE) or bits not in (8, 16, 24, 32):
                raise BadAudioError(f"WAV is not plain PCM (format {code}, {bits} bits)")
            fmt = (channels, rate, bits // 8)
        elif kind == b"data":
            if fmt is None:
                raise BadAudioError("WAV data before its format")
            end = len(data) if size == 0xFFFFFFFF or body + size > len(data) else body + size
            channels, rate, width = fmt
            usable = (end - body) // (channels * width) * (channels * width)
            return Pcm(data[body : body + usable], rate, channels, width)
        at = body + size + (size & 1)
    raise BadAudioError("WAV without audio data")
