"""The mix: the clips' own audio, the spoken lines at their places and a music bed ducked under
speech, normalised to a loudness target; then the mux of picture, mix and subtitles.

Two ffmpeg passes. The first builds the mix and measures its integrated loudness (ebur128) in one
go; the second applies the gain that brings it to the target (a plain gain, so speech and music
keep their balance) under a peak limiter, and encodes AAC. The result is measured again with the
EBU R128 scanner (integrated loudness, true peak), which is what the project reports.
"""

from __future__ import annotations

import asyncio
import math
import re
import wave
from dataclasses import asdict, dataclass
from pathlib import Path

from vidpipe.errors import FFmpegError
from vidpipe.media import codec
from vidpipe.media.ffmpeg import ffmpeg_report, run_ffmpeg
from vidpipe.media.sound.subtitles import BurnStyle

RATE = codec.AUDIO_RATE
LOUDNESS_TOLERANCE = 0.4  # LU off target after the limiter: one more pass with the difference
AAC_MARGIN_DB = 1.0  # AAC can add to the true peak: the limiter aims that much lower
FORMAT = f"aresample={RATE},aformat=sample_fmts=fltp:channel_layouts=stereo"


@dataclass(frozen=True)
class MixSettings:
    """Everything that decides the mix besides its inputs (part of the mix's fingerprint)."""

    loudness: float = -14.0  # LUFS, integrated
    true_peak: float = -1.0  # dBTP
    music_gain_db: float = -8.0  # the bed under the clips' sound, before ducking
    duck_threshold: float = 0.02  # linear level of speech that starts ducking (about -34 dBFS)
    duck_ratio: float = 12.0
    duck_attack_ms: float = 20.0
    duck_release_ms: float = 400.0
    fade_in: float = 1.5
    fade_out: float = 2.0

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


@dataclass(frozen=True)
class Loudness:
    integrated: float  # LUFS
    true_peak: float  # dBTP
    loudness_range: float  # LU


@dataclass(frozen=True)
class LineInput:
    path: Path
    start: float  # seconds in the final video


def _premix_graph(
    *,
    duration: float,
    clip_audio: bool,
    lines: list[LineInput],
    music: bool,
    settings: MixSettings,
) -> tuple[str, str, str | None]:
    """The filter graph; returns (graph, mix label, ducked music label or None).

    Input order: the picture (when it has audio), then each line, then the music."""
    parts: list[str] = []
    d = f"{duration:.6f}"
    index = 0
    if clip_audio:
        parts.append(f"[0:a]{FORMAT},apad,atrim=0:{d}[clips]")
        index = 1
    else:
        parts.append(f"aevalsrc=0:c=stereo:s={RATE}:d={d}[clips]")
    voices: list[str] = []
    for number, line in enumerate(lines):
        delay = max(0, round(line.start * 1000))
        parts.append(f"[{index}:a]{FORMAT},adelay={delay}:all=1[l{number}]")
        voices.append(f"[l{number}]")
        index += 1
    mixed = ["[clips]"]
    if voices:
        if len(voices) == 1:
            parts.append(f"{voices[0]}apad,atrim=0:{d}[speech]")
        else:
            parts.append(
                f"{''.join(voices)}amix=inputs={len(voices)}:normalize=0:duration=longest,"
                f"apad,atrim=0:{d}[speech]"
            )
        parts.append("[speech]asplit=2[voice][key]" if music else "[speech]anull[voice]")
        mixed.append("[voice]")
    ducked: str | None = None
    if music:
        fade_out_at = max(0.0, duration - settings.fade_out)
        parts.append(
            f"[{index}:a]{FORMAT},atrim=0:{d},asetpts=N/SR/TB,"
            f"afade=t=in:st=0:d={settings.fade_in:g},"
            f"afade=t=out:st={fade_out_at:.3f}:d={settings.fade_out:g},"
            f"volume={settings.music_gain_db:g}dB[bed]"
        )
        if voices:
            parts.append(
                f"[bed][key]sidechaincompress=threshold={settings.duck_threshold:g}:"
                f"ratio={settings.duck_ratio:g}:attack={settings.duck_attack_ms:g}:"
                f"release={settings.duck_release_ms:g}[ducked]"
            )
        else:
            parts.append("[bed]anull[ducked]")
        parts.append("[ducked]asplit=2[music][musicstem]")
        mixed.append("[music]")
        ducked = "[musicstem]"
    parts.append(f"{''.join(mixed)}amix=inputs={len(mixed)}:normalize=0:duration=first[mix]")
    return ";".join(parts), "[mix]", ducked


def _inputs(picture: Path | None, lines: list[LineInput], music: Path | None) -> list[str]:
    args: list[str] = []
    if picture is not None:
        args += ["-i", str(picture)]
    for line in lines:
        args += ["-i", str(line.path)]
    if music is not None:
        args += ["-stream_loop", "-1", "-i", str(music)]
    return args


async def premix(
    ffmpeg: str,
    dest: Path,
    *,
    duration: float,
    picture: Path | None,
    lines: list[LineInput],
    music: Path | None,
    settings: MixSettings,
    stem: str | None = None,
) -> dict[str, float] | None:
    """Write the unnormalised mix (float WAV) to `dest` and return its integrated loudness
    (`input_i`, LUFS, by ebur128 in the same pass). `stem="music"` writes the ducked music alone
    instead (to measure the ducking)."""
    bus = dest.with_name(f"{dest.stem}-speech.wav")
    try:
        if len(lines) > 1 and await asyncio.to_thread(_speech_bus, lines, duration, bus):
            lines = [LineInput(bus, 0.0)]
        return await _premix(ffmpeg, dest, duration, picture, lines, music, settings, stem)
    finally:
        bus.unlink(missing_ok=True)


def _speech_bus(lines: list[LineInput], duration: float, dest: Path) -> bool:
    """All lines laid at their places in one WAV at their own rate, when they share one format
    (16-bit PCM, the same rate and channels): ffmpeg then resamples one stream instead of one
    per line, about half of the mix's time for 20 lines. False when they do not."""
    import numpy as np

    formats, samples = set(), []
    try:
        for line in lines:
            with wave.open(str(line.path)) as audio:
                formats.add((audio.getframerate(), audio.getnchannels(), audio.getsampwidth()))
                samples.append(np.frombuffer(audio.readframes(audio.getnframes()), "<i2"))
    except (wave.Error, EOFError, OSError):
        return False
    if len(formats) != 1:
        return False
    ((rate, channels, width),) = formats
    if width != 2:
        return False
    total = int(math.ceil(duration * rate)) * channels
    bus = np.zeros(total, dtype=np.int32)
    for line, data in zip(lines, samples, strict=True):
        start = int(round(line.start * rate)) * channels
        if start >= total:
            continue
        piece = data[: total - start]
        bus[start : start + len(piece)] += piece
    with wave.open(str(dest), "wb") as out:
        out.setnchannels(channels)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(np.clip(bus, -32768, 32767).astype("<i2").tobytes())
    return True


async def _premix(
    ffmpeg: str,
    dest: Path,
    duration: float,
    picture: Path | None,
    lines: list[LineInput],
    music: Path | None,
    settings: MixSettings,
    stem: str | None,
) -> dict[str, float] | None:
    graph, mix, ducked = _premix_graph(
        duration=duration,
        clip_audio=picture is not None,
        lines=lines,
        music=music is not None,
        settings=settings,
    )
    if stem == "music":
        if ducked is None:
            raise ValueError("no music to write a stem of")
        graph += f";{mix}anullsink"
        args = [*_inputs(picture, lines, music), "-filter_complex", graph]
        args += ["-map", ducked, "-c:a", "pcm_s16le", "-f", "wav", str(dest)]
        await run_ffmpeg(ffmpeg, args)
        return None
    if ducked is not None:
        graph += f";{ducked}anullsink"
    graph += f";{mix}asplit=2[out][probe];[probe]ebur128=framelog=quiet[measured]"
    args = [*_inputs(picture, lines, music), "-filter_complex", graph]
    args += ["-map", "[out]", "-c:a", "pcm_f32le", "-f", "wav", str(dest)]
    args += ["-map", "[measured]", "-f", "null", "-"]
    report = await ffmpeg_report(ffmpeg, args)
    found = _I.search(report[report.rfind("Summary:") :])
    if found is None:
        raise FFmpegError("ffmpeg's ebur128 printed no integrated loudness for the mix")
    return {"input_i": float(found.group(1))}


async def normalise(
    ffmpeg: str, premixed: Path, measured: dict[str, float], dest: Path, settings: MixSettings
) -> Loudness:
    """Bring the premix to the loudness target as AAC; return the result's measured loudness.

    A plain gain (the premix's integrated loudness was measured in its own pass), then a peak
    limiter below the true-peak ceiling (AAC can push peaks a little past it). When the result
    is off target (the limiter took loudness away from a peaky mix) or above the ceiling, it is
    encoded once more with the gain and ceiling corrected by what was measured. Several times
    faster than loudnorm, which resamples to 192 kHz."""
    integrated = measured.get("input_i", -math.inf)
    gain = settings.loudness - integrated if math.isfinite(integrated) and integrated > -70 else 0
    ceiling = settings.true_peak - AAC_MARGIN_DB
    await _encode(ffmpeg, premixed, _gain_chain(gain, ceiling), dest)
    loudness = await measure_loudness(ffmpeg, dest)
    over = loudness.true_peak - settings.true_peak
    short = settings.loudness - loudness.integrated  # the limiter takes some loudness away
    if over > 0 or (gain and abs(short) > LOUDNESS_TOLERANCE):
        if abs(short) > LOUDNESS_TOLERANCE:
            gain += short
        if over > 0:
            ceiling -= over + 0.2
        await _encode(ffmpeg, premixed, _gain_chain(gain, ceiling), dest)
        loudness = await measure_loudness(ffmpeg, dest)
    return loudness


def _gain_chain(gain_db: float, ceiling_db: float) -> str:
    limit = max(0.0625, 10 ** (ceiling_db / 20))  # alimiter's lowest limit
    return f"volume={gain_db:.2f}dB,alimiter=limit={limit:.4f}:level=false:attack=5:release=50"


async def _encode(ffmpeg: str, premixed: Path, chain: str, dest: Path) -> None:
    """AAC at the clips' bitrate with the fast coder. The samples go through 16 bits first: the
    float premix carries near-zero (denormal) values from fades and the compressor that make the
    encoder several times slower, and 16 bits is what AAC keeps anyway."""
    args = ["-i", str(premixed), "-af", f"{chain},aformat=sample_fmts=s16"]
    args += ["-c:a", "aac", "-aac_coder", "fast", "-b:a", str(codec.AUDIO_BITRATE)]
    args += ["-ar", str(RATE), "-ac", "2", "-f", "mp4", str(dest)]
    await run_ffmpeg(ffmpeg, args)


_I = re.compile(r"I:\s+(-?[\d.]+|-inf)\s+LUFS")
_LRA = re.compile(r"LRA:\s+(-?[\d.]+)\s+LU\b")
_PEAK = re.compile(r"Peak:\s+(-?[\d.]+|-inf)\s+dBFS")


async def measure_loudness(ffmpeg: str, path: Path, *, stream: str = "a:0") -> Loudness:
    """Integrated loudness, true peak and loudness range by the EBU R128 scanner."""
    args = ["-i", str(path), "-map", f"0:{stream}", "-af", "ebur128=peak=true:framelog=quiet"]
    report = await ffmpeg_report(ffmpeg, [*args, "-f", "null", "-"])
    summary = report[report.rfind("Summary:") :]
    found_i, found_peak, found_lra = _I.search(summary), _PEAK.search(summary), _LRA.search(summary)
    if not (found_i and found_peak and found_lra):
        raise FFmpegError(f"ffmpeg's ebur128 printed no summary for {path.name}")
    return Loudness(
        integrated=float(found_i.group(1)),
        true_peak=float(found_peak.group(1)),
        loudness_range=float(found_lra.group(1)),
    )


ISO_639_2 = dict(
    pair.split("=") for pair in "en=eng de=deu fr=fra es=spa it=ita pt=por nl=nld ja=jpn".split()
)


async def mux_final(
    ffmpeg: str,
    picture: Path,
    dest: Path,
    *,
    audio: Path | None,
    subtitles: Path | None,
    mode: str,
    language: str = "en",
    style: BurnStyle | None = None,
    fps: int = 24,
) -> None:
    """The final MP4: the picture's video by stream copy (re-encoded only to burn subtitles in),
    the mix (or the picture's own audio), and a soft `mov_text` subtitle track."""
    args = ["-i", str(picture)]
    if audio is not None:
        args += ["-i", str(audio)]
    soft = mode == "soft" and subtitles is not None
    if soft:
        args += ["-i", str(subtitles)]
    args += ["-map", "0:v:0"]
    args += ["-map", "1:a:0"] if audio is not None else ["-map", "0:a?"]
    if mode == "burn" and subtitles is not None:
        style = style or BurnStyle()
        path = _filter_path(subtitles)
        args += ["-vf", f"subtitles=filename={path}:force_style='{style.force_style()}'"]
        args += codec.x264_ffmpeg_args(fps)
    else:
        args += ["-c:v", "copy"]
    args += ["-c:a", "copy"]
    if soft:
        args += ["-map", f"{2 if audio is not None else 1}:s:0", "-c:s", "mov_text"]
        args += ["-metadata:s:s:0", f"language={ISO_639_2.get(language, language)}"]
    args += ["-movflags", "+faststart", "-f", "mp4", str(dest)]
    await run_ffmpeg(ffmpeg, args)


def _filter_path(path: Path) -> str:
    """A file name inside a filter graph option: its special characters escaped."""
    text = str(path)
    for char in ("\\", ":", "'", ",", "[", "]", ";"):
        text = text.replace(char, "\\" + char)
    return text


def audio_duration(path: Path) -> float:
    """Seconds of the first audio stream of a file (a WAV line, the mix)."""
    import av  # here: only the sound step needs it

    try:
        with av.open(str(path)) as container:
            if not container.streams.audio:
                raise FFmpegError(f"{path.name} has no audio stream")
            stream = container.streams.audio[0]
            if stream.duration is not None and stream.time_base is not None:
                return float(stream.duration * stream.time_base)
            return float(container.duration or 0) / 1_000_000
    except av.FFmpegError as exc:
        raise FFmpegError(f"cannot read {path.name}: {exc}") from exc
