"""Edits, redo, select and fork: change what a project is made from; the plan then
says what is stale, and `resume` regenerates exactly that.

Every function checks all its input before it writes anything (bad input writes nothing), and
refuses a project that a runner holds.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import Any, Literal, cast

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import CursorResult, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from vidpipe.config import Settings
from vidpipe.db.models import Keyframe, Project, Reference, Scene, Take, VideoClip, scene_texts
from vidpipe.db.queries import load_project
from vidpipe.db.statuses import ClipStatus, ProjectStatus
from vidpipe.documents import ReferenceUse, StoryboardDocument
from vidpipe.errors import BadInputError, GuidedError, NextStep
from vidpipe.orchestrator.leases import is_held
from vidpipe.orchestrator.models import (
    ROLES,
    RoleModel,
    build_project_providers,
    check_buildable,
    check_choice,
)
from vidpipe.orchestrator.references import (
    ReferenceSpec,
    attach,
    check_scene_names,
    check_unique,
    drop_from_scenes,
)
from vidpipe.orchestrator.selection import (
    TakeDoesNotFitError,
    check_clip_take,
    find_take,
    restore_prompt,
    select_clip_take,
    select_keyframe_take,
)
from vidpipe.orchestrator.sound import MusicFile, edit_sound, fork_sound
from vidpipe.orchestrator.texts import (
    MAX_TEXT,
    Names,
    RequiredText,
    Speaker,
    StoryboardText,
    StyleGuideText,
    Text,
)
from vidpipe.pipeline.plan import adopt_legacy_fingerprints, make_plan
from vidpipe.pipeline.references import adopt_cached_descriptions, to_describe
from vidpipe.pipeline.reuse import project_takes
from vidpipe.pipeline.stitcher import expected_output_fingerprint
from vidpipe.pipeline.takes import MAX_TAKES, REDO
from vidpipe.providers.base import ProviderSet, SceneSpec, Storyboard, StyleGuide, VideoProvider
from vidpipe.providers.registry import ProviderRegistry
from vidpipe.storage import ProjectStorage


class ProjectRunningError(GuidedError):
    """The project is running; stop it first."""


class SpokenLine(BaseModel):
    """One line of dialogue in an edit: who says it and what (same limits as scene texts)."""

    model_config = ConfigDict(extra="forbid")

    speaker: Speaker
    line: RequiredText


def dialogue_option(texts: list[str] | None, field: str = "dialogue") -> list[SpokenLine] | None:
    """'Speaker: line' texts (the CLI's repeatable --dialogue, the page's lines) as spoken
    lines; one empty text removes the scene's dialogue. A refusal names the text and carries
    `field`."""
    if texts is None:
        return None
    if len(texts) == 1 and not texts[0].strip():
        return []
    lines: list[SpokenLine] = []
    for text in texts:
        speaker, colon, line = text.partition(":")
        if not colon or not speaker.strip() or not line.strip():
            raise BadInputError(f"{text!r}; write it as 'Speaker: line'", field=field)
        try:
            lines.append(SpokenLine(speaker=speaker.strip(), line=line.strip()))
        except ValidationError as exc:
            first = exc.errors()[0]
            raise BadInputError(f"{first['loc'][0]}: {first['msg']}", field=field) from None
    return lines


class SceneEdit(BaseModel):
    """New texts for one scene; omitted fields stay as they are."""

    model_config = ConfigDict(extra="forbid")

    scene_description: RequiredText | None = None
    start_frame_prompt: RequiredText | None = None
    end_frame_prompt: RequiredText | None = None
    video_motion_prompt: RequiredText | None = None
    transition_notes: Text | None = None
    references: Names | None = Field(
        default=None,
        description="The names of the project's reference images that appear in the scene "
        "(the whole list; [] for none).",
    )
    narration: str | None = Field(
        default=None,
        max_length=4000,
        description='The scene\'s voice-over line ("" for none). Spoken separately: no clip '
        "is made again for it.",
    )
    dialogue: list[SpokenLine] | None = Field(
        default=None,
        max_length=20,
        description="The lines spoken on screen, in order (the whole list; [] for none). A "
        "model that makes audio gets them in the clip's prompt.",
    )
    sound: str | None = Field(
        default=None,
        max_length=4000,
        description='Ambience and effects in words ("" for none); for models that make audio.',
    )


class ProjectEdit(BaseModel):
    """New project options; omitted fields stay as they are."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    crossfade: float | None = Field(default=None, ge=0, le=10)
    clip_duration: float | None = Field(default=None, gt=0, le=60)
    style_guide: StyleGuideText | None = None
    takes: int | None = Field(
        default=None,
        ge=1,
        le=MAX_TAKES,
        description="Takes per clip for clips made from now on (each paid for; the best by "
        "fidelity is selected). Clips already made are kept.",
    )
    subtitles: Literal["off", "soft", "burn"] | None = Field(
        default=None, description="Subtitles in the MP4: off, soft (a track) or burn (re-mux)."
    )
    loudness: float | None = Field(
        default=None, ge=-40, le=-5, description="Loudness target of the mix, LUFS (re-mix)."
    )

    storyboard_model: str | None = Field(
        default=None, max_length=200, description="PROVIDER:MODEL that writes the storyboard."
    )
    image_model: str | None = Field(
        default=None, max_length=200, description="PROVIDER:MODEL that draws the keyframes."
    )
    video_model: str | None = Field(
        default=None,
        max_length=200,
        description="PROVIDER:MODEL that makes the clips (every scene; the clips go stale).",
    )

    def models(self) -> dict[str, RoleModel]:
        """The roles whose model this edit changes, each checked against the catalog."""
        return {
            role: check_choice(text, role)
            for role in ROLES
            if (text := getattr(self, f"{role}_model"))
        }


# Statuses an edit leaves as they are when nothing is stale.
RESTING = frozenset({ProjectStatus.COMPLETE, ProjectStatus.PENDING, ProjectStatus.PAUSED})


def mark_out_of_date(project: Project, stage: str | None) -> None:
    """After an edit: an idle project with work to redo is `out_of_date` from `stage` (never a
    working status: nothing runs it, and no runner takes it over by itself). A project at a
    review gate stays `paused`; one with nothing to redo keeps its status, but a stopped or failed
    one whose outputs are all current again is `out_of_date` from the stitch (resume finishes)."""
    project.stale_stage = stage
    if stage is not None:
        project.error_message = None
        if project.status != ProjectStatus.PAUSED:
            project.status = ProjectStatus.OUT_OF_DATE
    elif project.status not in RESTING:
        project.status, project.stale_stage = ProjectStatus.OUT_OF_DATE, ProjectStatus.STITCHING


def storyboard_document(project: Project) -> StoryboardDocument:
    """The storyboard as `vidpipe storyboard` prints it and `edit --storyboard-file` takes it."""
    return StoryboardDocument(
        version=project.storyboard_version,
        style_guide=(
            StyleGuide.model_validate(project.style_guide) if project.style_guide else None
        ),
        scenes=[SceneSpec.model_validate(scene_texts(s)) for s in project.scenes],
        references=[
            ReferenceUse(name=ref.name, id=ref.content_hash, description=ref.description)
            for ref in project.references
        ],
    )


def parse_storyboard(data: Any, source: str = "storyboard") -> Storyboard:
    """A whole storyboard from a file or a request body; BadInputError says what is wrong and
    where, naming `source` (the CLI's flag)."""
    if isinstance(data, dict):  # the document's version and references are not the storyboard
        data = {k: v for k, v in data.items() if k not in ("version", "references")}
    try:
        return StoryboardText.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "top"
        message = str(first["msg"]).removeprefix("Value error, ")
        raise BadInputError(f"invalid {source} at {where}: {message}") from None


# Clips a fork keeps (linked, not made again): made, or refused by the service's content filter.
FORKED_CLIPS = frozenset({ClipStatus.COMPLETE, ClipStatus.RAI_FILTERED})


class Editor:
    """Edits one project: load, refuse when running, validate, apply, move its status back."""

    def __init__(
        self,
        session: AsyncSession,
        settings: Settings,
        registry: ProviderRegistry,
    ) -> None:
        self.session, self.settings, self.registry = session, settings, registry

    async def open(self, project_id: uuid.UUID) -> tuple[Project, ProviderSet, ProjectStorage]:
        """Load the project for an edit, holding its row until the edit commits or rolls back.

        Two edits of one project at once are ordered whole: one that writes scene rows before it
        claims the storyboard version (a storyboard replaced, a take selected) would otherwise
        deadlock on PostgreSQL against one that claimed first. SQLite has one writer anyway."""
        await self.session.execute(
            select(Project.id).where(Project.id == project_id).with_for_update()
        )
        project = await load_project(self.session, project_id)
        if is_held(project):
            raise ProjectRunningError(
                f"project {project_id} is running; ", NextStep("stop", str(project_id))
            )
        if not project.scenes or project.style_guide is None:
            raise BadInputError(f"project {project_id} has no storyboard yet; resume it first")
        providers = build_project_providers(self.registry, self.settings, project)
        storage = ProjectStorage(self.settings.projects_dir, project.id)
        adopt_legacy_fingerprints(project, storage, providers)  # measured against the old inputs
        return project, providers, storage

    async def edit(
        self,
        project_id: uuid.UUID,
        *,
        scene_number: int | None = None,
        scene_edit: SceneEdit | None = None,
        project_edit: ProjectEdit | None = None,
        storyboard: Storyboard | None = None,
        expected_version: int | None = None,
        check_only: bool = False,
        add_references: list[ReferenceSpec] | None = None,
        remove_references: list[str] | None = None,
        music: MusicFile | None = None,
    ) -> Project:
        """Apply the edits; with `check_only`, only check them (raise or return, write nothing).

        References: removals first, then additions, so `--remove-reference Mara --add-reference
        Mara=new.png` replaces the image (the scenes listing Mara keep her, and go stale)."""
        project, providers, storage = await self.open(project_id)
        if expected_version is not None and expected_version != project.storyboard_version:
            raise StoryboardChangedError(project.storyboard_version)
        expected = project.storyboard_version  # the write below is conditional on it
        scenes = list(project.scenes)
        if scene_edit is not None and scene_edit.model_dump(exclude_none=True):
            scene = _scene(scenes, scene_number)
            if scene_edit.start_frame_prompt is not None and scene.scene_index > 0:
                raise BadInputError(
                    f"scene {scene_number}'s start frame is scene {scene.scene_index}'s end "
                    f"frame; edit scene {scene.scene_index}'s end frame prompt instead",
                    field="start_frame_prompt",
                )
        models = project_edit.models() if project_edit is not None else {}
        if project_edit is not None:
            _check_options(project, project_edit, self._with_models(project, models, providers))
        names = _check_reference_edits(project, add_references or [], remove_references or [])
        if storyboard is not None:
            _check_start_prompts(scenes, storyboard)
            check_scene_names([spec.references for spec in storyboard.scenes], names)
        if scene_edit is not None and scene_edit.references is not None:
            scene_edit = _checked_scene_references(scene_edit, names)
        if check_only:  # open() may have adopted legacy fingerprints in memory: drop them
            await self.session.rollback()
            return project
        raised = (
            project_edit is not None
            and project_edit.takes is not None
            and project_edit.takes > (project.takes_per_clip or 1)
        )
        # everything checked: now write
        if scene_edit is not None:
            for name, value in scene_edit.model_dump(exclude_none=True).items():
                setattr(_scene(scenes, scene_number), name, value)
        if project_edit is not None:
            if project_edit.crossfade is not None:
                project.crossfade = project_edit.crossfade
            if project_edit.clip_duration is not None:
                project.clip_duration = project_edit.clip_duration
            if project_edit.style_guide is not None:
                project.style_guide = project_edit.style_guide.model_dump()
            if project_edit.takes is not None:
                project.takes_per_clip = project_edit.takes  # for clips made from now on
        if models:
            apply_models(project, models)
            providers = build_project_providers(self.registry, self.settings, project)
        edit_sound(project, storage, project_edit, music)  # subtitles, loudness, music
        _apply_reference_edits(project, storage, add_references or [], remove_references or [])
        removed = storyboard is not None and len(storyboard.scenes) < len(scenes)
        if storyboard is not None:
            _replace_storyboard(project, storyboard)
        if not removed and not self._changed():
            # the same values again: nothing is written, the version (and so every client's
            # ETag) stays, nothing goes stale
            await self.session.rollback()
            return await load_project(self.session, project_id)
        if removed:
            assert storyboard is not None
            await self.session.execute(  # takes of removed scenes: their files are for `gc`
                delete(Take).where(
                    Take.project_id == project.id, Take.scene_index >= len(storyboard.scenes)
                )
            )
        return await self._settle(
            project, providers, storage, expected=expected, takes_raised=raised
        )

    def _changed(self) -> bool:
        """Whether the edit set any value to another one (the session compares each attribute
        set with the value loaded; setting a text to what it was is no change)."""
        session = self.session
        return bool(session.new or session.deleted) or any(
            session.is_modified(item) for item in session.dirty
        )

    async def _claim_version(self, project: Project, expected: int) -> None:
        """Move the storyboard version from `expected` to the next one, in the database and only
        if it is still `expected`: of edits made against one version exactly one wins (the row
        lock, or SQLite's one writer, orders them); the others are refused and write nothing."""
        project_id = project.id
        with self.session.no_autoflush:  # first write of the transaction: take the row first
            result = await self.session.execute(
                update(Project)
                .where(Project.id == project_id, Project.storyboard_version == expected)
                .values(storyboard_version=expected + 1)
                .execution_options(synchronize_session=False)
            )
        if cast(CursorResult[Any], result).rowcount != 1:  # an UPDATE's result is a cursor's
            await self.session.rollback()
            now = await self.session.scalar(
                select(Project.storyboard_version).where(Project.id == project_id)
            )
            raise StoryboardChangedError(now if now is not None else expected)
        set_committed_value(project, "storyboard_version", expected + 1)

    async def _check_budget(self, project: Project, planned: float) -> None:
        """A raised `--takes K` is paid for by the next resume: refuse it now (nothing written)
        when that resume could not fit the budget, instead of failing then."""
        from vidpipe.pipeline.context import spent_so_far

        project_id, limit, wanted = project.id, project.max_cost or 0.0, project.takes_per_clip
        spent = await spent_so_far(self.session, project_id)
        if spent + planned > limit + 1e-9:
            await self.session.rollback()
            raise BadInputError(
                f"{wanted} takes per clip make the plan cost ${planned:.2f}; with "
                f"${spent:.2f} spent that is over the budget of ${limit:.2f}. Raise the budget "
                f"of project {project_id} (its max cost, given to resume) or ask for fewer takes",
                field="takes",
            )

    def _with_models(
        self, project: Project, models: dict[str, RoleModel], providers: ProviderSet
    ) -> ProviderSet:
        """The providers the project would have with `models` (checked, nothing written)."""
        if not models:
            return providers
        from vidpipe.orchestrator.models import build_providers, project_models

        current = project_models(project)
        chosen = {role: models.get(role, current.of(role)) for role in ROLES}
        return build_providers(self.registry, self.settings, type(current)(**chosen), chosen=models)

    async def _settle(
        self,
        project: Project,
        providers: ProviderSet,
        storage: ProjectStorage,
        *,
        expected: int,
        bump: bool = True,
        takes_raised: bool = False,
    ) -> Project:
        """Bump the storyboard version (an edit; refused when another edit won meanwhile) and
        move the status back to the earliest stale stage."""
        if bump:
            await self._claim_version(project, expected)
        await self.session.flush()
        project = await load_project(self.session, project.id)
        await adopt_cached_descriptions(self.session, project)  # free; only new images are paid
        describe = [r.name for r in await to_describe(self.session, project, providers.storyboard)]
        takes = await project_takes(self.session, project.id)
        plan = make_plan(project, storage, providers, describe, takes)
        if takes_raised and project.max_cost is not None:
            await self._check_budget(project, plan.estimated_cost)
        mark_out_of_date(project, plan.stage)
        await self.session.commit()
        return await load_project(self.session, project.id)

    async def redo(
        self,
        project_id: uuid.UUID,
        scene_number: int,
        slot: str,
        direction: str | None,
        takes: int | None = None,
        model: str | None = None,
    ) -> Project:
        """Ask for a new take of one artifact (`clip`, `end`, or `start` of scene 1); for a clip,
        `takes` new takes of which the best by fidelity is selected, made on `model`
        (PROVIDER:MODEL) when given, else on the model the scene's clip uses."""
        check_takes(takes, slot)
        direction = check_direction(direction)
        chosen = check_redo_model(model, slot)
        if chosen is not None:
            check_buildable(self.registry, self.settings, "video", chosen, field="model")
        project, providers, storage = await self.open(project_id)
        expected = project.storyboard_version
        scene = _scene(list(project.scenes), scene_number)
        if slot == "start" and scene.scene_index > 0:
            raise GuidedError(
                f"scene {scene_number}'s start frame is scene {scene.scene_index}'s end frame; "
                "redo that instead: ",
                NextStep("redo", str(project.id), scene.scene_index, "end"),
            )
        if slot == "clip":
            clip = scene.clip
            if clip is None or _paused_before_video(project):
                # the run would make every clip not yet made, past the review gate too
                raise BadInputError(f"scene {scene_number} has no clip yet; resume it")
            clip.fingerprint, clip.direction = REDO, direction
            clip.takes_wanted, clip.round_takes = takes or 1, None
            if chosen is not None:
                own = chosen if chosen.key != _project_video_key(project) else None
                scene.video_model = own.key if own is not None else None
                providers = build_project_providers(self.registry, self.settings, project)
                _check_clip_options(project, providers.video_for(scene.scene_index))
        else:
            keyframe = next((k for k in scene.keyframes if k.position == slot), None)
            if keyframe is None or keyframe.source != "generated":
                raise BadInputError(f"scene {scene_number} has no {slot} frame yet; resume it")
            keyframe.fingerprint = REDO
            scene.frame_direction = f"{slot}:{direction}" if direction else None
            if project.status == ProjectStatus.PAUSED and project.paused_before == (
                ProjectStatus.VIDEO_GEN
            ):  # at the keyframes review gate: the new frame is reviewed before any clip
                project.pause_after = "keyframes"
        return await self._settle(project, providers, storage, expected=expected)

    async def select(
        self,
        project_id: uuid.UUID,
        scene_number: int,
        number: int,
        slot: str = "clip",
        *,
        force: bool = False,
    ) -> Project:
        """Point a scene's clip (or `end` / `start` frame) at take `number`. A clip: refused when
        it was made from other frames or options than those in use (`force` keeps it, and the
        project goes out of date); else the caller re-stitches (nothing is generated). A frame:
        what was made from it is selected again where a take of it exists; the rest is stale,
        and the status moves back (plan shows it). The prompt a take was made with comes back
        into the storyboard (one version bump), so text and picture agree."""
        project, providers, storage = await self.open(project_id)
        expected = project.storyboard_version
        scenes = list(project.scenes)
        scene = _scene(scenes, scene_number)
        take = await find_take(self.session, project, storage, scene, slot, number)
        if slot == "clip":
            if take.model and take.model != _model_key(providers.video_for(scene.scene_index)):
                # a take made on another model: the scene's clip now uses that model
                default = _model_key(providers.video)
                scene.video_model = None if take.model == default else take.model
                providers = build_project_providers(self.registry, self.settings, project)
            takes = await project_takes(self.session, project.id)
            try:
                check_clip_take(project, scene, take, takes)
                fits = True
            except TakeDoesNotFitError:
                if not force:
                    raise
                fits = False
            bump = restore_prompt(scenes, scene, take)
            select_clip_take(project, scene, take, storage, providers)
            if not fits:  # kept as it is: stale against the frames and options in use
                assert scene.clip is not None
                scene.clip.fingerprint = take.fingerprint
            if not bump and fits:
                await self.session.commit()
                return await load_project(self.session, project.id)
            return await self._settle(project, providers, storage, expected=expected, bump=bump)
        bump = restore_prompt(scenes, scene, take)
        await select_keyframe_take(self.session, project, scene, take, storage, providers)
        return await self._settle(project, providers, storage, expected=expected, bump=bump)

    async def fork(self, project_id: uuid.UUID, edit: ProjectEdit | None = None) -> Project:
        """A new project with the same storyboard, options and artifacts; its files are hard links
        to the original's (never copies), and the original is not changed. `edit`: models the
        fork uses instead (`fork --video-model`): what they make is stale in the fork."""
        models = edit.models() if edit is not None else {}
        original, providers, storage = await self.open(project_id)
        if models:
            assert edit is not None
            _check_options(original, edit, self._with_models(original, models, providers))
        twin = Project(
            **{column: getattr(original, column) for column in _FORKED_COLUMNS},
            status=original.status,
            forked_from=original.id,
            references=[_copy_reference(ref) for ref in original.references],
        )
        self.session.add(twin)
        await self.session.flush()
        target = ProjectStorage(self.settings.projects_dir, twin.id)
        target.ensure_dirs()
        linked: set[str] = {ref.file_path for ref in original.references}
        for scene in original.scenes:
            copy = Scene(
                project_id=twin.id,
                scene_index=scene.scene_index,
                scene_description=scene.scene_description,
                start_frame_prompt=scene.start_frame_prompt,
                end_frame_prompt=scene.end_frame_prompt,
                video_motion_prompt=scene.video_motion_prompt,
                transition_notes=scene.transition_notes,
                references=list(scene.references or []),
                video_model=scene.video_model,
                dialogue=list(scene.dialogue or []),
                narration=scene.narration,
                sound=scene.sound,
                clip_duration=scene.clip_duration,
            )
            for keyframe in scene.keyframes:
                copy.keyframes.append(_copy_keyframe(keyframe))
                linked.add(keyframe.file_path)
            if scene.clip is not None and scene.clip.status in FORKED_CLIPS:
                copy.clip = _copy_clip(scene.clip)
                if scene.clip.file_path:
                    linked.add(scene.clip.file_path)
            self.session.add(copy)
        linked |= fork_sound(original, twin, storage, self.session)  # lines, mix, music
        for relative in sorted(linked):
            _link(storage.resolve(relative), target.resolve(relative))
        takes = await self.session.scalars(select(Take).where(Take.project_id == original.id))
        for take in takes:
            if take.file_path in linked:
                self.session.add(_copy_take(take, twin.id))
        if original.output_path and storage.resolve(original.output_path).is_file():
            _link(storage.resolve(original.output_path), target.resolve(original.output_path))
            twin.output_path = original.output_path
            twin.output_fingerprint = original.output_fingerprint or (
                expected_output_fingerprint(original)
            )
        await self.session.flush()
        twin = await load_project(self.session, twin.id)
        if models:
            apply_models(twin, models)
            await self.session.flush()
        providers = build_project_providers(self.registry, self.settings, twin)
        return await self._settle(twin, providers, target, expected=twin.storyboard_version)


def check_redo_model(model: str | None, slot: str) -> RoleModel | None:
    """A redo's model (PROVIDER:MODEL): a video model the catalog has, not shut down; only a
    clip is made on a model of its own."""
    if model is None:
        return None
    if slot != "clip":
        raise BadInputError("applies to a clip only (a clip's video model)", field="model")
    return check_choice(model, "video", field="model")


def _paused_before_video(project: Project) -> bool:
    """Paused at a review gate before the clips (`generate --pause-after`)."""
    before = (ProjectStatus.KEYFRAMING, ProjectStatus.VIDEO_GEN)
    return project.status == ProjectStatus.PAUSED and project.paused_before in before


def check_takes(takes: int | None, slot: str = "clip") -> None:
    """K takes: K in 1..MAX_TAKES, and only for clips (fidelity is a clip's score)."""
    if takes is None:
        return
    if not 1 <= takes <= MAX_TAKES:
        raise BadInputError(f"{takes}; give 1 to {MAX_TAKES}", field="takes")
    if slot != "clip" and takes != 1:
        raise BadInputError("applies to a clip only (a frame is redrawn once)", field="takes")


def check_direction(direction: str | None) -> str | None:
    """A redo's direction: words added to the prompt, so blank is refused (leave it out for a
    take without one), and as long as any scene text may be."""
    if direction is None:
        return None
    direction = direction.strip()
    if not direction:
        raise BadInputError("must not be empty (leave it out for a take without one)",
                            field="direction")  # fmt: skip
    if len(direction) > MAX_TEXT:
        raise BadInputError(
            f"is {len(direction)} characters; the limit is {MAX_TEXT}", field="direction"
        )
    return direction


class StoryboardChangedError(BadInputError):
    """The storyboard changed since it was read (If-Match)."""

    def __init__(self, version: int) -> None:
        super().__init__(
            f"the storyboard changed elsewhere (now version {version}); reload it and edit again"
        )
        self.version = version


_FORKED_COLUMNS = (
    "prompt",
    "style",
    "aspect_ratio",
    "resolution",
    "clip_duration",
    "fps",
    "requested_scenes",
    "crossfade",
    "max_cost",
    "estimated_cost",
    "takes_per_clip",
    "storyboard_provider",
    "image_provider",
    "video_provider",
    "storyboard_model",
    "image_model",
    "video_model",
    "style_guide",
    "wants_narration",
    "wants_dialogue",
    "sound_options",
)


def _copy_reference(ref: Reference) -> Reference:
    return Reference(
        name=ref.name,
        file_path=ref.file_path,
        content_hash=ref.content_hash,
        media_type=ref.media_type,
        width=ref.width,
        height=ref.height,
        description=ref.description,
        description_source=ref.description_source,
    )


def _check_reference_edits(
    project: Project, add: list[ReferenceSpec], remove: list[str]
) -> set[str]:
    """The names the project will have after the edits; refuses unknown removals and
    duplicate additions (nothing written)."""
    names = {ref.name for ref in project.references}
    canonical = {name.casefold(): name for name in names}
    remove[:] = [
        canonical.get(name.casefold(), name) for name in remove
    ]  # as the project spells it
    for name in remove:
        if name not in names:
            listed = ", ".join(sorted(names)) or "none"
            raise BadInputError(
                f"no reference named {name!r} (the project's: {listed})",
                field="remove_references",
            )
    kept = names - set(remove)
    check_unique(add, kept)
    return kept | {spec.name for spec in add}


def _apply_reference_edits(
    project: Project, storage: ProjectStorage, add: list[ReferenceSpec], remove: list[str]
) -> None:
    if not add and not remove:
        return
    readded = {spec.name: spec for spec in add}
    for ref in [r for r in project.references if r.name in remove]:
        spec = readded.pop(ref.name, None)
        if spec is None:
            project.references.remove(ref)  # its file stays: forks may share it
        else:  # replaced: the same row takes the new image (one row per name, always)
            fresh = attach(project, storage, spec)
            project.references.remove(fresh)
            for column in ("file_path", "content_hash", "media_type", "width", "height"):
                setattr(ref, column, getattr(fresh, column))
            ref.description, ref.description_source = fresh.description, fresh.description_source
    drop_from_scenes(list(project.scenes), set(remove) - {spec.name for spec in add})
    for spec in readded.values():
        attach(project, storage, spec)


def _copy_keyframe(keyframe: Keyframe) -> Keyframe:
    return Keyframe(
        position=keyframe.position,
        source=keyframe.source,
        prompt=keyframe.prompt,
        file_path=keyframe.file_path,
        width=keyframe.width,
        height=keyframe.height,
        take=keyframe.take,
        fingerprint=keyframe.fingerprint,
        content_hash=keyframe.content_hash,
    )


def _copy_clip(clip: VideoClip) -> VideoClip:
    return VideoClip(
        status=clip.status,
        provider=clip.provider,
        file_path=clip.file_path,
        duration_seconds=clip.duration_seconds,
        has_audio=clip.has_audio,
        error_message=clip.error_message,
        submitted_at=clip.submitted_at,
        completed_at=clip.completed_at,
        take=clip.take,
        fingerprint=clip.fingerprint,
        content_hash=clip.content_hash,
    )


def _copy_take(take: Take, project_id: uuid.UUID) -> Take:
    return Take(
        project_id=project_id,
        scene_index=take.scene_index,
        slot=take.slot,
        number=take.number,
        file_path=take.file_path,
        fingerprint=take.fingerprint,
        content_hash=take.content_hash,
        provider=take.provider,
        model=take.model,
        cost=0.0,  # paid by the original
        direction=take.direction,
        fidelity=take.fidelity,
        duration_seconds=take.duration_seconds,
        has_audio=take.has_audio,
        created_at=take.created_at,
        prompt=take.prompt,
        made_from=take.made_from,
    )


def _link(source: Path, target: Path) -> None:
    """The same file under the fork's folder: a hard link (same inode), never a copy."""
    target.parent.mkdir(parents=True, exist_ok=True)
    if not target.exists():
        os.link(source, target)


def _scene(scenes: list[Scene], number: int | None) -> Scene:
    if number is None:
        raise BadInputError("name the scene to edit", field="scene")
    if not 1 <= number <= len(scenes):
        raise BadInputError(f"{number}; the project has scenes 1 to {len(scenes)}", field="scene")
    return scenes[number - 1]


def apply_models(project: Project, models: dict[str, RoleModel]) -> None:
    """Set the project's provider and model of each role in `models`; a new video model is
    every scene's (their own models are dropped)."""
    for role, chosen in models.items():
        setattr(project, f"{role}_provider", chosen.provider)
        setattr(project, f"{role}_model", chosen.model)
    if "video" in models:
        for scene in project.scenes:
            scene.video_model = None


def _model_key(provider: object) -> str:
    from vidpipe.providers.catalog import model_key_of

    return model_key_of(provider)


def _project_video_key(project: Project) -> str:
    return (
        f"{project.video_provider}:{project.video_model}"
        if project.video_model
        else (project.video_provider)
    )


def _check_clip_options(project: Project, video: VideoProvider) -> None:
    """The project's clips can be made on `video` (a scene's own model)."""
    from vidpipe.orchestrator.projects import GenerateOptions, check_video_capabilities

    options = GenerateOptions(
        prompt=project.prompt,
        aspect_ratio=project.aspect_ratio,
        resolution=project.resolution,
        clip_duration=project.clip_duration,
    )
    check_video_capabilities(options, video)


def _check_options(project: Project, edit: ProjectEdit, providers: ProviderSet) -> None:
    duration = edit.clip_duration if edit.clip_duration is not None else project.clip_duration
    if edit.clip_duration is not None or any(getattr(edit, f"{role}_model") for role in ROLES):
        from vidpipe.orchestrator.projects import GenerateOptions, check_capabilities

        options = GenerateOptions(
            prompt=project.prompt,
            aspect_ratio=project.aspect_ratio,
            resolution=project.resolution,
            clip_duration=duration,
        )
        check_capabilities(options, providers)
    crossfade = edit.crossfade if edit.crossfade is not None else project.crossfade
    if crossfade > 0 and crossfade >= duration:
        raise BadInputError(
            f"{crossfade:g}s; it must be shorter than a clip ({duration:g}s)", field="crossfade"
        )


def _checked_scene_references(edit: SceneEdit, known: set[str]) -> SceneEdit:
    """A scene's new reference list: names the project has (after this edit's additions and
    removals), each once, in the order given."""
    canonical = {name.casefold(): name for name in known}  # unique regardless of case
    given = [name.strip() for name in edit.references or []]
    unknown = [name for name in given if name.casefold() not in canonical]
    if unknown:
        listed = ", ".join(sorted(known)) or "none"
        raise BadInputError(
            f"no reference named {unknown[0]!r} (the project's: {listed})", field="references"
        )
    names = list(dict.fromkeys(canonical[name.casefold()] for name in given))
    return edit.model_copy(update={"references": names})


def _check_start_prompts(scenes: list[Scene], storyboard: Storyboard) -> None:
    """Only scene 1 has a start prompt of its own; the others' are their predecessor's end."""
    for index, (scene, spec) in enumerate(zip(scenes, storyboard.scenes, strict=False)):
        if index > 0 and spec.start_frame_prompt != scene.start_frame_prompt:
            raise BadInputError(
                f"scene {index + 1}'s start frame is scene {index}'s end frame; change scene "
                f"{index}'s end_frame_prompt instead of scene {index + 1}'s start_frame_prompt"
            )


def _replace_storyboard(project: Project, storyboard: Storyboard) -> None:
    """Scenes are matched by position: texts replaced, extra scenes added, missing ones removed
    (their rows go; their files and takes stay until `gc`)."""
    project.style_guide = storyboard.style_guide.model_dump()
    scenes = list(project.scenes)
    for index, spec in enumerate(storyboard.scenes):
        if index < len(scenes):
            for name, value in spec.model_dump().items():
                setattr(scenes[index], name, value)
        else:
            project.scenes.append(Scene(scene_index=index, **spec.model_dump()))
    for scene in scenes[len(storyboard.scenes) :]:
        project.scenes.remove(scene)
