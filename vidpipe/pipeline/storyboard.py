"""Step 1: the storyboard (style guide + scenes), written once and stored in one commit; the
descriptions of reference images given without one come first."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from vidpipe.db.models import Project, Scene
from vidpipe.db.statuses import ProjectStatus
from vidpipe.errors import PipelineError
from vidpipe.pipeline.context import PipelineContext, ProgressEvent
from vidpipe.pipeline.references import describe_missing, notes
from vidpipe.pipeline.sound_fields import project_asks
from vidpipe.providers.base import Storyboard, StoryboardRequest

STEP = "storyboard"


async def generate_storyboard(
    session: AsyncSession, project: Project, ctx: PipelineContext
) -> None:
    await describe_missing(session, project, ctx)  # also references added after it was written
    if not ctx.planned().storyboard:
        return  # already written (the plan asks only descriptions): never paid for twice
    provider = ctx.providers.storyboard
    stage = ProjectStatus.STORYBOARDING
    ctx.report(ProgressEvent("item", stage, "Writing the storyboard...", total=1))
    sound = project_asks(project, ctx.providers.video)
    request = StoryboardRequest(
        prompt=project.prompt,
        style=project.style,
        aspect_ratio=project.aspect_ratio,
        clip_duration=project.clip_duration,
        scene_count=project.requested_scenes,
        references=notes(project),
        narration=sound.narration,
        dialogue=sound.dialogue,
        sound=sound.sound,
    )
    storyboard = await ctx.paid(
        session,
        project,
        provider,
        lambda: provider.write_storyboard(request),
        step=STEP,
        cost=provider.estimate_cost(calls=1),  # per attempt: every re-ask is billed
        detail="storyboard",
    )
    _check_scene_count(storyboard, project.requested_scenes)
    _check_reference_names(storyboard, {ref.name for ref in project.references})
    _store(project, storyboard)
    await session.commit()
    ctx.report(
        ProgressEvent("done", stage, f"Storyboard: {len(storyboard.scenes)} scenes", fraction=1.0)
    )


def _check_scene_count(storyboard: Storyboard, requested: int | None) -> None:
    if requested is not None and len(storyboard.scenes) != requested:
        raise PipelineError(
            f"the storyboard has {len(storyboard.scenes)} scenes, {requested} were asked for"
        )


def _check_reference_names(storyboard: Storyboard, known: set[str]) -> None:
    for number, scene in enumerate(storyboard.scenes, start=1):
        unknown = sorted(set(scene.references) - known)
        if unknown:
            raise PipelineError(
                f"the storyboard's scene {number} lists unknown references {unknown}"
            )


def _store(project: Project, storyboard: Storyboard) -> None:
    project.style_guide = storyboard.style_guide.model_dump()
    project.scenes.clear()
    for index, spec in enumerate(storyboard.scenes):
        project.scenes.append(Scene(scene_index=index, **spec.model_dump()))
