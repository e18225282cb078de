"""Iterating on a project: edit, fork (with the same edits), redo, select.

`Edits` is the one edit object every door builds, whether it came from CLI flags, a PATCH body,
a fork body or a page's form; `edit` and `fork` take it alike, references included.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from vidpipe.app.guards import refuse_if_running
from vidpipe.db.statuses import ProjectStatus
from vidpipe.errors import BadInputError

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from vidpipe.config import Settings
    from vidpipe.db.models import Project
    from vidpipe.orchestrator.edits import Editor, ProjectEdit, SceneEdit
    from vidpipe.orchestrator.references import ReferenceSpec
    from vidpipe.orchestrator.sound import MusicFile
    from vidpipe.pipeline.plan import Plan
    from vidpipe.providers.base import Storyboard
    from vidpipe.providers.registry import ProviderRegistry
    from vidpipe.runners.base import Runner


class ReferenceUseLike(Protocol):
    """A reference named by id (an upload's, or one of the project's own images)."""

    name: str
    id: str
    description: str | None


@dataclass
class Edits:
    """One edit of a project. `references` is the whole set after the edit (by id, as PATCH
    .../storyboard sends it); `add_references`/`remove_references` are images the door has read
    itself and names to drop (the CLI's --add-reference/--remove-reference)."""

    scene_number: int | None = None
    scene_edit: SceneEdit | None = None
    project_edit: ProjectEdit | None = None
    storyboard: Storyboard | None = None
    references: Sequence[ReferenceUseLike] | None = None
    add_references: list[ReferenceSpec] = field(default_factory=list)
    remove_references: list[str] = field(default_factory=list)
    music: MusicFile | None = None  # a new music bed the door has checked (the CLI's --music)
    music_upload: str | None = None  # or the id of an uploaded one (POST /api/music)
    # the storyboard version a whole storyboard was read at (`version` of a file `vidpipe
    # storyboard` printed): the edit is refused when the storyboard moved on since
    storyboard_version: int | None = None

    def __post_init__(self) -> None:
        if self.scene_edit is not None and not self.scene_edit.model_dump(exclude_none=True):
            self.scene_edit = None
        if self.project_edit is not None and not self.project_edit.model_dump(
            exclude_none=True, exclude={"music"}
        ):
            self.project_edit = None

    @property
    def empty(self) -> bool:
        return not (
            self.scene_edit
            or self.project_edit
            or self.storyboard is not None
            or self.references is not None
            or self.add_references
            or self.remove_references
            or self.music is not None
            or self.music_upload is not None
        )

    def arguments(self, project: Project, settings: Settings) -> dict[str, Any]:
        """The Editor's keyword arguments, references resolved against `project`."""
        from vidpipe.orchestrator.references import reference_changes
        from vidpipe.orchestrator.sound import MusicPool

        add, remove = list(self.add_references), list(self.remove_references)
        if self.references is not None:
            more, fewer = reference_changes(project, settings, self.references)
            add, remove = add + more, remove + fewer
        music = self.music
        if self.music_upload is not None:
            music = MusicPool(settings.data_dir).get(self.music_upload)
        return {
            "scene_number": self.scene_number,
            "scene_edit": self.scene_edit,
            "project_edit": self.project_edit,
            "storyboard": self.storyboard,
            "add_references": add,
            "remove_references": remove,
            "music": music,
        }


def _editor(session: AsyncSession, settings: Settings, registry: ProviderRegistry) -> Editor:
    from vidpipe.orchestrator.edits import Editor

    return Editor(session, settings, registry)


async def _loaded_idle(
    session: AsyncSession, project_id: uuid.UUID, runner: Runner | None
) -> Project:
    from vidpipe.db.queries import load_project

    project = await load_project(session, project_id)
    if runner is not None:
        refuse_if_running(project, runner)
    return project


async def edit(
    session: AsyncSession,
    settings: Settings,
    registry: ProviderRegistry,
    runner: Runner | None,
    project_id: uuid.UUID,
    edits: Edits,
    *,
    expected_version: int | None = None,
) -> Project:
    """Apply the edits (all checked before any is written); `expected_version` is the
    storyboard version the editor saw (StoryboardChangedError when it moved on)."""
    project = await _loaded_idle(session, project_id, runner)
    if edits.empty:
        raise BadInputError("nothing to change: the body sets no field")
    if expected_version is None:
        expected_version = edits.storyboard_version
    return await _editor(session, settings, registry).edit(
        project_id, expected_version=expected_version, **edits.arguments(project, settings)
    )


async def fork(
    session: AsyncSession,
    settings: Settings,
    registry: ProviderRegistry,
    runner: Runner | None,
    project_id: uuid.UUID,
    edits: Edits | None = None,
) -> Project:
    """A new project sharing the original's files (hard links), with the edits applied to it;
    the original is not changed. Refused edits are found on the original first, so they leave
    no fork behind. With a runner, the fork is handed to it unless it is already complete."""
    original = await _loaded_idle(session, project_id, runner)
    editor = _editor(session, settings, registry)
    arguments = None
    if edits is not None and not edits.empty:
        arguments = edits.arguments(original, settings)
        expected = edits.storyboard_version  # a storyboard file read at an older version
        await editor.edit(project_id, check_only=True, expected_version=expected, **arguments)
    twin = await editor.fork(project_id)
    if arguments is not None:
        twin = await editor.edit(twin.id, **arguments)
    if runner is not None and twin.status != ProjectStatus.COMPLETE:
        await runner.enqueue(twin.id)
    return twin


async def redo(
    session: AsyncSession,
    settings: Settings,
    registry: ProviderRegistry,
    runner: Runner | None,
    project_id: uuid.UUID,
    scene: int,
    slot: str,
    direction: str | None = None,
    takes: int | None = None,
    *,
    resubmit_unknown: bool = False,
    model: str | None = None,
) -> Project:
    """A new take of a scene's clip or frame (`clip`, `end`, `start`); old takes are kept; a
    clip's on `model` (PROVIDER:MODEL) when given. With a runner, the project is then resumed."""
    from vidpipe.app.runs import resume

    await _loaded_idle(session, project_id, runner)
    marked = await _editor(session, settings, registry).redo(
        project_id, scene, slot, direction, takes, model
    )
    if runner is None:
        return marked
    return await resume(
        session, settings, registry, project_id, runner, resubmit_unknown=resubmit_unknown
    )


@dataclass
class Selected:
    """After a select: the project, its plan, and whether it was re-stitched."""

    project: Project
    plan: Plan
    restitched: bool


async def select(
    session: AsyncSession,
    settings: Settings,
    registry: ProviderRegistry,
    runner: Runner,
    project_id: uuid.UUID,
    scene: int,
    take: int,
    slot: str = "clip",
    *,
    force: bool = False,
) -> Selected:
    """Point a scene's clip (or frame) at another take; when the stitch (and the mix) is then
    the only stale thing, re-stitch now (nothing is generated). Otherwise the plan says what a
    resume makes."""
    from vidpipe.app.runs import plan, restitch

    await _loaded_idle(session, project_id, runner)
    project = await _editor(session, settings, registry).select(
        project_id, scene, take, slot, force=force
    )
    found = await plan(session, settings, registry, project_id)
    if found.items and {item.kind for item in found.items} <= {"stitch", "mix"}:
        project = await restitch(session, settings, registry, runner, project_id)
        return Selected(project, await plan(session, settings, registry, project_id), True)
    return Selected(project, found, False)
