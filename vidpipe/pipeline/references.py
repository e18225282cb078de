"""Which reference images a keyframe shows, and the one-time descriptions of those without one.

A chain position is one image shared by two scenes (the end frame of scene k is the start frame
of scene k+1), so it shows the references of both: every keyframe of a scene that lists a
reference carries it, and its fingerprint holds their content hashes.
"""

from __future__ import annotations

import functools

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from vidpipe.db.models import Project, Reference, Scene
from vidpipe.db.statuses import ProjectStatus
from vidpipe.pipeline.context import PipelineContext, ProgressEvent
from vidpipe.providers.base import Provider, ReferenceImage, ReferenceNote, StoryboardProvider
from vidpipe.storage import ProjectStorage

STEP = "storyboard"  # descriptions are made for the storyboard writer

ReferenceInput = tuple[str, str, str | None]  # name, content hash, description


def scenes_of_position(scenes: list[Scene], position: int) -> list[Scene]:
    """The scenes a chain position's image belongs to (one or two)."""
    owners = [scenes[position - 1]] if position > 0 else []
    if position < len(scenes):
        owners.append(scenes[position])
    return owners


def position_references(project: Project, scenes: list[Scene], position: int) -> list[Reference]:
    """The references a chain position shows: those its scenes list, in name order."""
    wanted = {name for scene in scenes_of_position(scenes, position) for name in scene_names(scene)}
    return [ref for ref in project.references if ref.name in wanted]


def scene_names(scene: Scene) -> list[str]:
    return list(scene.references or [])


def reference_inputs(
    project: Project, scenes: list[Scene], position: int, provider: Provider
) -> tuple[ReferenceInput, ...]:
    """What of the references goes into a keyframe's fingerprint: nothing when the image
    provider cannot take references (replacing one then changes nothing it makes)."""
    if not provider.capabilities.supports_references:
        return ()
    return tuple(
        (ref.name, ref.content_hash, ref.description)
        for ref in position_references(project, scenes, position)
    )


def reference_images(
    project: Project, scenes: list[Scene], position: int, storage: ProjectStorage
) -> tuple[ReferenceImage, ...]:
    return tuple(
        ReferenceImage(
            name=ref.name,
            path=storage.resolve(ref.file_path),
            media_type=ref.media_type,
            description=ref.description,
        )
        for ref in position_references(project, scenes, position)
    )


def notes(project: Project) -> tuple[ReferenceNote, ...]:
    """Names and descriptions, for the storyboard writer."""
    return tuple(ReferenceNote(ref.name, ref.description) for ref in project.references)


async def cached_description(session: AsyncSession, ref: Reference) -> Reference | None:
    """A reference of any project with the same content, described by a writer (not a user)."""
    return await session.scalar(
        select(Reference)
        .where(
            Reference.content_hash == ref.content_hash,
            Reference.description.is_not(None),
            Reference.description_source != "user",
        )
        .limit(1)
    )


async def adopt_cached_descriptions(session: AsyncSession, project: Project) -> None:
    """Give each reference without a description the one made for the same image before (free:
    no provider call), so only images never seen are paid for."""
    for ref in project.references:
        if not ref.description:
            known = await cached_description(session, ref)
            if known is not None:
                ref.description, ref.description_source = (
                    known.description,
                    known.description_source,
                )


async def to_describe(
    session: AsyncSession, project: Project, writer: StoryboardProvider
) -> list[Reference]:
    """The references the next run pays a description for: no description, none made for the
    same image before, and a writer that sees images. `plan` lists them; a run describes them
    before any keyframe is drawn, even when the storyboard is already written."""
    if not writer.sees_images:
        return []
    return [
        ref
        for ref in project.references
        if not ref.description and await cached_description(session, ref) is None
    ]


async def describe_missing(session: AsyncSession, project: Project, ctx: PipelineContext) -> None:
    """Describe each reference given without a description, once: a description made for the
    same content (any project) is reused; otherwise a storyboard writer that sees images is
    asked, as a billed call in the ledger. A writer that cannot see images gets the name only."""
    writer = ctx.providers.storyboard
    await adopt_cached_descriptions(session, project)
    for ref in await to_describe(session, project, writer):
        ctx.report(
            ProgressEvent(
                "item", ProjectStatus.STORYBOARDING, f"Describing reference {ref.name}..."
            )
        )
        image = ReferenceImage(
            name=ref.name,
            path=ctx.storage.resolve(ref.file_path),
            media_type=ref.media_type,
        )
        text = await ctx.paid(
            session,
            project,
            writer,
            functools.partial(writer.describe_image, image),
            step=STEP,
            cost=writer.estimate_cost(calls=1),
            detail=f"describe reference {ref.name}",
        )
        ref.description = " ".join(text.split())[:1000]
        ref.description_source = writer.provider_id
        await session.commit()
