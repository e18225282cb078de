"""The sound step: spoken lines, the mix and the final mux, after the clips are joined.

A project's sound is its scenes' narration (and dialogue, when the video model speaks none),
its music bed, its subtitles mode and its loudness target. Each spoken line is an artifact of
its own: one ledgered provider call, a WAV file named by its fingerprint (text, speaker, voice,
speed, provider and model), a row in `audio_artifacts`. The mix is another, fingerprinted by the
picture it goes under, the lines' files and places, the music's hash and the mix settings. So
editing one line speaks that line again and re-mixes, and changing the music only re-mixes:
no clip or keyframe is touched, and the picture (the joined clips) is reused by stream copy.

Which lines are spoken: a scene's narration (line 0), and its dialogue lines (1..n) unless the
project's video model makes its own speech (`voice_dialogue` is then False: the model speaks
them in the clip, and they are only subtitled... not at all here, since their timing is the
model's). Lines of a scene without a clip are left out, like the scene itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from vidpipe.db.models import AudioArtifact, Project, Scene
from vidpipe.db.statuses import ClipStatus, ProjectStatus
from vidpipe.errors import PipelineError
from vidpipe.media.ffmpeg import find_ffmpeg
from vidpipe.media.probe import probe
from vidpipe.media.sound.mix import (
    LineInput,
    MixSettings,
    audio_duration,
    measure_loudness,
    mux_final,
    normalise,
    premix,
)
from vidpipe.media.sound.subtitles import BurnStyle, cues_from, to_srt, to_vtt
from vidpipe.media.sound.timeline import (
    Placement,
    SpokenLine,
    overruns,
    place_lines,
    scene_spans,
    speech_needed,
)
from vidpipe.pipeline.context import PipelineContext, ProgressEvent
from vidpipe.pipeline.fingerprints import digest, file_hash, provider_identity
from vidpipe.providers.base import NarrationProvider, SpeechRequest
from vidpipe.sound_options import SoundOptions
from vidpipe.storage import AUDIO, OUTPUT, ProjectStorage

STEP = "narration"
MIX_SCENE = -1  # the mix row's scene index


def mix_settings(options: SoundOptions) -> MixSettings:
    return MixSettings(loudness=options.loudness)


def burn_style(options: SoundOptions) -> BurnStyle:
    return BurnStyle(options.burn_font_size, options.burn_outline, options.burn_position)


def sound_options(project: Project) -> SoundOptions:
    """The project's options; a project made before sound existed gets the defaults."""
    return SoundOptions.model_validate(project.sound_options or {})


@dataclass(frozen=True)
class LineSpec:
    """A line to speak: where it belongs and what it says."""

    scene_index: int
    line_index: int  # 0: the scene's narration; 1..n: its dialogue lines
    text: str
    speaker: str | None = None


def wanted_lines(project: Project, options: SoundOptions | None = None) -> list[LineSpec]:
    """Every line the project speaks, in scene order."""
    options = options or sound_options(project)
    lines: list[LineSpec] = []
    for scene in project.scenes:
        lines += scene_lines(scene, options)
    return lines


def scene_lines(scene: Scene, options: SoundOptions) -> list[LineSpec]:
    lines: list[LineSpec] = []
    narration = " ".join((scene.narration or "").split())
    if narration:
        lines.append(LineSpec(scene.scene_index, 0, narration))
    if options.voice_dialogue:
        for number, entry in enumerate(scene.dialogue or [], 1):
            text = " ".join(str(entry.get("line", "")).split())
            if text:
                speaker = str(entry.get("speaker", "")).strip() or None
                lines.append(LineSpec(scene.scene_index, number, text, speaker))
    return lines


def has_sound(project: Project) -> bool:
    """The final video is more than the joined clips: lines to speak, or a music bed."""
    options = sound_options(project)
    return bool(options.music) or bool(wanted_lines(project, options))


def sound_fingerprint(project: Project) -> str | None:
    """What the sound of the final video is made from, as far as the rows say (None: no sound).
    The lines' provider identity is checked per line by the step (`line_fingerprint`)."""
    if not has_sound(project):
        return None
    options = sound_options(project)
    lines = [(s.scene_index, s.line_index, s.text, s.speaker) for s in wanted_lines(project)]
    return digest("sound", options.model_dump(mode="json"), lines, mix_settings(options).as_dict())


def line_fingerprint(narrator: NarrationProvider, spec: LineSpec, options: SoundOptions) -> str:
    """One line: its text and speaker, the voice, the speed, and the provider and model."""
    return digest(
        "line", provider_identity(narrator), spec.text, spec.speaker, options.voice, options.speed
    )


def line_name(spec: LineSpec, fingerprint: str) -> str:
    return f"{AUDIO}/scene_{spec.scene_index:02d}_line_{spec.line_index}-{fingerprint[:12]}.wav"


def picture_name(fingerprint: str) -> str:
    """The joined clips (with their own audio), before the sound is laid under them."""
    return f"{OUTPUT}/picture-{fingerprint[:12]}.mp4"


def sidecar_names(options: SoundOptions) -> dict[str, str]:
    """The subtitle files next to final.mp4 (the lines' own language)."""
    return {"vtt": f"{OUTPUT}/final.vtt", "srt": f"{OUTPUT}/final.srt"}


# ---------------------------------------------------------------- the step


async def make_sound(
    session: AsyncSession,
    project: Project,
    ctx: PipelineContext,
    picture: Path,
    picture_fingerprint: str,
) -> str:
    """Speak what is missing, mix, and write output/final.mp4 (returned, relative)."""
    options = sound_options(project)
    storage = ctx.storage
    ffmpeg = find_ffmpeg(ctx.settings.ffmpeg)
    rows = await speak_lines(session, project, ctx, options)
    spans = await _scene_spans(project, storage)
    placements = place_lines(
        [
            SpokenLine(r.scene_index, r.line_index, r.duration_seconds, r.text, r.speaker)
            for r in rows
        ],
        spans,
    )
    info = await asyncio.to_thread(probe, picture)
    duration = info.duration
    for row in rows:
        row.start_seconds = next((p.start for p in placements if _same(p, row)), None)
    ctx.report(ProgressEvent("item", ProjectStatus.STITCHING, "Mixing the sound"))
    mix_path: Path | None = None
    if rows or options.music or info.has_audio:
        mix = await _mix(session, project, ctx, ffmpeg, options, rows, placements, picture,
                         picture_fingerprint, info.has_audio, duration)  # fmt: skip
        mix_path = storage.resolve(mix.file_path)
    subtitles = await _write_sidecars(storage, options, placements, duration)
    relative = storage.final_name()
    with storage.atomic_path(relative) as tmp:
        await mux_final(
            ffmpeg,
            picture,
            tmp,
            audio=mix_path,
            subtitles=subtitles,
            mode=options.subtitles if placements else "off",
            language=options.subtitle_languages[0] if options.subtitle_languages else "en",
            style=burn_style(options),
            fps=project.fps,
        )
    await session.commit()
    return relative


def _same(placement: Placement, row: AudioArtifact) -> bool:
    return (placement.line.scene_index, placement.line.line_index) == (
        row.scene_index,
        row.line_index,
    )


async def speak_lines(
    session: AsyncSession, project: Project, ctx: PipelineContext, options: SoundOptions
) -> list[AudioArtifact]:
    """The line rows, each current: the lines the run's plan lists are spoken now (one ledgered
    call each; a line spoken earlier in the run, by `--clip-duration auto`, is not spoken
    twice); the others were current when the plan was made."""
    specs = wanted_lines(project, options)
    existing = {(r.scene_index, r.line_index): r for r in project.audio if r.kind == "line"}
    wanted_keys = {(s.scene_index, s.line_index) for s in specs}
    for key, unwanted in existing.items():
        if key not in wanted_keys:
            # the row goes (delete-orphan); its file stays until `gc`
            project.audio.remove(unwanted)
    if not specs:
        await session.commit()
        return []
    planned = ctx.planned().lines
    rows: list[AudioArtifact] = []
    for number, spec in enumerate(specs, 1):
        key = (spec.scene_index, spec.line_index)
        row = existing.get(key)
        if key not in planned:
            if row is None or not _exists(ctx.storage, row):
                raise PipelineError(
                    f"scene {spec.scene_index + 1}'s line {spec.line_index} is neither made nor "
                    "planned; resume to plan again"
                )
            rows.append(row)
            continue
        narrator = ctx.providers.narration
        if narrator is None:  # the run builds it as soon as the project has lines
            raise PipelineError("the project has lines to speak but the run built no narrator")
        fingerprint = line_fingerprint(narrator, spec, options)
        if row is not None and row.fingerprint == fingerprint and _exists(ctx.storage, row):
            rows.append(row)
            continue
        ctx.report(
            ProgressEvent(
                "item",
                ProjectStatus.STITCHING,
                f"Speaking line {number} of {len(specs)}",
                scene_index=spec.scene_index,
                total=len(specs),
            )  # fmt: skip
        )
        made = await _make_line(session, project, ctx, narrator, spec, options, fingerprint, row)
        rows.append(made)
    return rows


async def _make_line(
    session: AsyncSession,
    project: Project,
    ctx: PipelineContext,
    narrator: NarrationProvider,
    spec: LineSpec,
    options: SoundOptions,
    fingerprint: str,
    row: AudioArtifact | None,
) -> AudioArtifact:
    """Speak one line (or adopt its file, made before a crash) and record it on its row."""
    relative = line_name(spec, fingerprint)
    path = ctx.storage.resolve(relative)
    if not path.is_file():  # a file of this fingerprint is this line (e.g. after a crash)
        request = SpeechRequest(
            text=spec.text,
            voice=options.voice,
            speed=options.speed,
            language=options.subtitle_languages[0] if options.subtitle_languages else "en",
            speaker=spec.speaker,
        )
        what = "narration" if spec.line_index == 0 else f"dialogue line {spec.line_index}"
        with ctx.storage.atomic_path(relative) as tmp:
            await ctx.paid(
                session,
                project,
                narrator,
                lambda: narrator.speak(request, tmp),
                step=STEP,
                cost=narrator.estimate_cost(calls=1),
                detail=f"scene {spec.scene_index + 1} {what}",
            )
    duration = await asyncio.to_thread(audio_duration, path)
    if row is None:
        row = AudioArtifact(
            project_id=project.id,
            kind="line",
            scene_index=spec.scene_index,
            line_index=spec.line_index,
        )
        session.add(row)
        project.audio.append(row)
    row.speaker, row.text = spec.speaker, spec.text
    row.provider, row.voice, row.speed = narrator.provider_id, options.voice, options.speed
    row.fingerprint, row.file_path = fingerprint, relative
    row.content_hash = await asyncio.to_thread(file_hash, path)
    row.duration_seconds = round(duration, 3)
    await session.commit()
    return row


def _exists(storage: ProjectStorage, row: AudioArtifact) -> bool:
    try:
        return storage.resolve(row.file_path).is_file()
    except ValueError:
        return False


async def _scene_spans(project: Project, storage: ProjectStorage) -> dict[int, tuple[float, float]]:
    """Each joined scene's (start, end) in the picture, from its clip's measured duration."""
    joined: list[tuple[int, Path]] = []
    for scene in project.scenes:
        clip = scene.clip
        if clip is not None and clip.status == ClipStatus.COMPLETE and clip.file_path:
            joined.append((scene.scene_index, storage.resolve(clip.file_path)))
    infos = await asyncio.gather(*(asyncio.to_thread(probe, path) for _, path in joined))
    spans = scene_spans([info.duration for info in infos], project.crossfade)
    return {index: span for (index, _), span in zip(joined, spans, strict=True)}


async def _mix(
    session: AsyncSession,
    project: Project,
    ctx: PipelineContext,
    ffmpeg: str,
    options: SoundOptions,
    rows: list[AudioArtifact],
    placements: list[Placement],
    picture: Path,
    picture_fingerprint: str,
    picture_audio: bool,
    duration: float,
) -> AudioArtifact:
    """The mix row, current: made again only when what it is made from changed."""
    storage = ctx.storage
    settings = mix_settings(options)
    by_key = {(r.scene_index, r.line_index): r for r in rows}
    lines = [
        (by_key[(p.line.scene_index, p.line.line_index)], p.start)
        for p in placements
        if (p.line.scene_index, p.line.line_index) in by_key
    ]
    fingerprint = digest(
        "mix",
        picture_fingerprint,
        [(row.content_hash, start) for row, start in lines],
        options.music_hash,
        settings.as_dict(),
    )
    row = next((r for r in project.audio if r.kind == "mix"), None)
    if row is not None and row.fingerprint == fingerprint and _exists(storage, row):
        return row
    relative = f"{AUDIO}/mix-{fingerprint[:12]}.m4a"
    path = storage.resolve(relative)
    if path.is_file():  # made before a crash took the row's commit
        loudness = await measure_loudness(ffmpeg, path)
    else:
        music = storage.resolve(options.music) if options.music else None
        inputs = [LineInput(storage.resolve(r.file_path), start) for r, start in lines]
        scratch = storage.scratch_dir / f"premix-{fingerprint[:12]}.wav"
        try:
            measured = await premix(
                ffmpeg, scratch, duration=duration, picture=picture if picture_audio else None,
                lines=inputs, music=music, settings=settings,
            )  # fmt: skip
            assert measured is not None
            with storage.atomic_path(relative) as tmp:
                loudness = await normalise(ffmpeg, scratch, measured, tmp, settings)
        finally:
            scratch.unlink(missing_ok=True)
    if row is None:
        row = AudioArtifact(project_id=project.id, kind="mix", scene_index=MIX_SCENE,
                            line_index=0, text="", voice="", speed=1.0)  # fmt: skip
        session.add(row)
        project.audio.append(row)
    row.provider = "ffmpeg"
    row.fingerprint, row.file_path = fingerprint, relative
    row.content_hash = await asyncio.to_thread(file_hash, path)
    row.duration_seconds = round(await asyncio.to_thread(audio_duration, path), 3)
    row.start_seconds = 0.0
    row.details = {
        "integrated_lufs": loudness.integrated,
        "true_peak_dbtp": loudness.true_peak,
        "loudness_range_lu": loudness.loudness_range,
        "target_lufs": settings.loudness,
        "music": options.music_name,
        "lines": len(lines),
    }
    await session.commit()
    return row


async def _write_sidecars(
    storage: ProjectStorage,
    options: SoundOptions,
    placements: list[Placement],
    duration: float,
) -> Path | None:
    """WebVTT and SRT next to final.mp4 from the real placements; the SRT path (for the mux),
    or None when nothing is spoken (old sidecars are then removed)."""
    names = sidecar_names(options)
    if not placements:
        for name in names.values():
            with contextlib.suppress(OSError):
                storage.resolve(name).unlink(missing_ok=True)
        return None
    cues = cues_from(placements, duration)
    storage.write_bytes(names["vtt"], to_vtt(cues).encode())
    return storage.write_bytes(names["srt"], to_srt(cues).encode())


# ---------------------------------------------------------------- --clip-duration auto

AUTO_PAD = 0.4  # seconds of picture after a scene's last line


async def size_scenes_to_lines(
    session: AsyncSession, project: Project, ctx: PipelineContext
) -> bool:
    """`--clip-duration auto`: speak the lines before any clip is made, and give each scene a
    clip long enough for them (at least the project's clip duration; rounded up to a duration
    the video model takes, at most its longest: a longer line is reported as an overrun).
    True when a scene's duration changed (its clip's inputs did: the run plans again)."""
    options = sound_options(project)
    if not options.auto_duration or not wanted_lines(project, options):
        return False
    await speak_lines(session, project, ctx, options)
    capabilities = ctx.providers.video.capabilities
    scenes = list(project.scenes)
    changed = False
    for position, scene in enumerate(scenes):
        target = project.clip_duration
        needed = needed_seconds(project, scene)
        if needed is not None:
            joins = project.crossfade if position < len(scenes) - 1 else 0.0
            target = max(target, needed + joins + AUTO_PAD)
        duration = fit_duration(target, capabilities)
        changed = changed or scene.clip_duration != duration
        scene.clip_duration = duration
    await session.commit()
    return changed


def fit_duration(seconds: float, capabilities: Any) -> float:
    """The shortest duration the video model takes that is at least `seconds`."""
    if capabilities.durations:
        allowed = sorted(capabilities.durations)
        return next((d for d in allowed if d >= seconds - 1e-6), allowed[-1])
    whole = float(math.ceil(seconds - 1e-6))
    return min(max(whole, capabilities.min_duration), capabilities.max_duration)


# ---------------------------------------------------------------- planning


def planned_lines(project: Project, storage: ProjectStorage, narrator: Any) -> list[LineSpec]:
    """Lines a run would speak now (missing or stale), without calling anything."""
    if narrator is None:
        return []
    options = sound_options(project)
    existing = {(r.scene_index, r.line_index): r for r in project.audio if r.kind == "line"}
    due: list[LineSpec] = []
    for spec in wanted_lines(project, options):
        row = existing.get((spec.scene_index, spec.line_index))
        current = row is not None and row.fingerprint == line_fingerprint(narrator, spec, options)
        if not (current and row is not None and _exists(storage, row)):
            due.append(spec)
    return due


def line_overruns(project: Project) -> dict[int, float]:
    """Scene index → seconds its spoken lines run past the scene, from the lines made so far
    and the clips' lengths (or the planned clip length when a clip is not made yet)."""
    options = sound_options(project)
    rows = {(r.scene_index, r.line_index): r for r in project.audio if r.kind == "line"}
    durations: list[float] = []
    lines: list[SpokenLine] = []
    for scene in project.scenes:
        clip = scene.clip
        complete = clip is not None and clip.status == ClipStatus.COMPLETE
        made = clip.duration_seconds if clip is not None and complete else None
        durations.append(made or scene.clip_duration or project.clip_duration)
        for spec in scene_lines(scene, options):
            row = rows.get((spec.scene_index, spec.line_index))
            if row is not None and row.text == spec.text:
                lines.append(SpokenLine(spec.scene_index, spec.line_index, row.duration_seconds,
                                        spec.text))  # fmt: skip
    spans = dict(enumerate(scene_spans(durations, project.crossfade)))
    return overruns(place_lines(lines, spans), spans)


def needed_seconds(project: Project, scene: Scene) -> float | None:
    """What a scene needs for its spoken lines (made so far); None when it has none made."""
    options = sound_options(project)
    rows = {(r.scene_index, r.line_index): r for r in project.audio if r.kind == "line"}
    made = [
        rows[(s.scene_index, s.line_index)].duration_seconds
        for s in scene_lines(scene, options)
        if (s.scene_index, s.line_index) in rows
    ]
    return speech_needed(made) if made else None


def narration_provider(project: Project) -> str | None:
    """The name of the provider that speaks the project's lines; None when it speaks none (no
    provider is built, so a project without narration never loads a voice)."""
    options = sound_options(project)
    return options.narration_provider if wanted_lines(project, options) else None
