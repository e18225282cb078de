"""Step 4: join the finished clips in scene order into output/final.mp4.

With sound (spoken lines or a music bed), the joined clips are a picture of their own, and the
sound step (vidpipe.pipeline.sound) speaks the lines, mixes and muxes the final video from it.

Hard cuts by lossless stream copy when the clips match, or crossfades; scenes whose clip was
rejected or timed out are skipped. Safe to re-run on a complete project.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from vidpipe.db.models import Project, Scene
from vidpipe.db.statuses import ClipStatus, ProjectStatus
from vidpipe.errors import PipelineError
from vidpipe.media.ffmpeg import find_ffmpeg
from vidpipe.media.stitch import stitch_clips
from vidpipe.pipeline.context import PipelineContext, ProgressEvent
from vidpipe.pipeline.fingerprints import digest, output_fingerprint
from vidpipe.pipeline.sound import has_sound, make_sound, picture_name, sound_fingerprint
from vidpipe.storage import ProjectStorage

STEP = "stitch"


class MissingClipError(RuntimeError):
    """A clip marked complete has no file; resume regenerates it."""


def clips_to_join(scenes: list[Scene], ctx: PipelineContext) -> list[Path]:
    """Paths of the finished clips in scene order. Only existence is checked here: the stitcher
    probes every clip anyway and names any it cannot read."""
    paths: list[Path] = []
    for scene in scenes:
        clip = scene.clip
        if clip is None or clip.status != ClipStatus.COMPLETE or clip.file_path is None:
            continue
        path = ctx.storage.resolve(clip.file_path)
        if not path.is_file():
            raise MissingClipError(
                f"clip of scene {scene.scene_index + 1} ({clip.file_path}) is missing; "
                "resume to regenerate it"
            )
        paths.append(path)
    return paths


def picture_fingerprint(project: Project) -> str:
    """The joined clips' inputs: the selected clips (by content) in order, and the crossfade."""
    hashes = [
        scene.clip.content_hash or scene.clip.file_path
        if scene.clip is not None and scene.clip.status == ClipStatus.COMPLETE
        else None
        for scene in project.scenes
    ]
    return output_fingerprint(project, hashes)


def expected_output_fingerprint(project: Project) -> str:
    """The final video's inputs: the joined clips and, when it has any, its sound (lines,
    music, subtitles, loudness). Without sound it is what it was before sound existed."""
    picture = picture_fingerprint(project)
    sound = sound_fingerprint(project)
    return picture if sound is None else digest("final", picture, sound)


def output_is_current(project: Project, storage: ProjectStorage) -> bool:
    """A final video exists and was made from the selected clips with this crossfade."""
    if not project.output_path:
        return False
    try:
        if not storage.resolve(project.output_path).is_file():
            return False
    except ValueError:
        return False
    stored = project.output_fingerprint
    return stored is None or stored == expected_output_fingerprint(project)


async def stitch_videos(session: AsyncSession, project: Project, ctx: PipelineContext) -> None:
    clips = clips_to_join(list(project.scenes), ctx)
    if not clips:
        raise PipelineError("no scene produced a clip, so there is nothing to stitch")
    ffmpeg = find_ffmpeg(ctx.settings.ffmpeg)
    mode = f"crossfade {project.crossfade:g}s" if project.crossfade > 0 else "hard cuts"
    stage = ProjectStatus.STITCHING
    ctx.report(ProgressEvent("item", stage, f"Stitching {len(clips)} clips ({mode})"))
    workdir = ctx.storage.scratch_dir
    plan = ctx.planned()
    if not has_sound(project):
        relative = ctx.storage.final_name()
        with ctx.storage.atomic_path(relative) as tmp:
            await stitch_clips(
                ffmpeg, clips, tmp, crossfade=project.crossfade, fps=project.fps, workdir=workdir
            )
    else:
        # The joined clips are kept under their own fingerprint: a change of sound plans only
        # the mix, which re-mixes and re-muxes (the video stream is copied).
        fingerprint = picture_fingerprint(project)
        picture = ctx.storage.resolve(picture_name(fingerprint))
        if plan.stitch and not picture.is_file():  # a file of this fingerprint is this picture
            with ctx.storage.atomic_path(picture_name(fingerprint)) as tmp:
                await stitch_clips(
                    ffmpeg, clips, tmp, crossfade=project.crossfade, fps=project.fps,
                    workdir=workdir,
                )  # fmt: skip
        if not (plan.mix and picture.is_file()):
            raise PipelineError(
                "the joined clips or the mix are neither made nor planned; resume to plan again"
            )
        relative = await make_sound(session, project, ctx, picture, fingerprint)
    project.output_path = relative
    project.output_fingerprint = expected_output_fingerprint(project)
    await session.commit()
    ctx.report(ProgressEvent("done", ProjectStatus.STITCHING, f"Wrote {relative}", fraction=1.0))
