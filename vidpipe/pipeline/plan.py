"""The plan: what `resume` would generate and what it would cost, without calling a provider.

Decided from the rows *and* the files. It is the one answer to "what is stale": `plan` and
`status` show it, an edit moves the status back to its first stage, and a run computes it once
and hands each step its items (which keyframes, which clips, whether to stitch, which lines
to speak), so what is shown is what is made. The chain is walked once, by `find_reuse`, which
also finds the takes a run selects instead of buying them again.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass, field

from vidpipe import documents
from vidpipe.db.models import (
    Keyframe,
    Project,
    Scene,
    Take,
    VideoClip,
    clip_seconds,
    keyframe_of,
)
from vidpipe.db.statuses import ClipStatus, ProjectStatus
from vidpipe.pipeline.fingerprints import file_hash, keyframe_fingerprint
from vidpipe.pipeline.keyframes import (
    chain_keyframe,
    chain_slot,
    drawn_positions,
)
from vidpipe.pipeline.references import reference_inputs
from vidpipe.pipeline.reuse import Reuse, find_reuse
from vidpipe.pipeline.sound import has_sound, line_overruns, picture_name, planned_lines
from vidpipe.pipeline.stitcher import (
    expected_output_fingerprint,
    output_is_current,
    picture_fingerprint,
)
from vidpipe.pipeline.takes import REDO, takes_wanted
from vidpipe.pipeline.video_gen import clip_is_done, expected_clip_fingerprint
from vidpipe.providers.base import DEFAULT_SCENES_FOR_ESTIMATE, ProviderSet
from vidpipe.storage import ProjectStorage

# The working stage each kind of item is made in (spoken lines are made and mixed at the stitch).
STAGE_OF_KIND: dict[str, ProjectStatus] = {
    "storyboard": ProjectStatus.STORYBOARDING,
    "keyframe": ProjectStatus.KEYFRAMING,
    "clip": ProjectStatus.VIDEO_GEN,
    "narration": ProjectStatus.STITCHING,
    "stitch": ProjectStatus.STITCHING,
    "mix": ProjectStatus.STITCHING,
}


@dataclass
class PlannedItem:
    """One artifact to make, with why and what it costs (scene numbers are 1-based)."""

    kind: str  # "storyboard" | "keyframe" | "clip" | "narration" | "stitch" | "mix"
    scene: int | None
    position: str | None
    reason: str
    cost: float
    takes: int = 1  # provider calls of the item: a clip made as K takes (`--takes K`) is K
    reuse: int | None = None  # an identical take selected instead of bought: its number
    line: int | None = None  # a spoken line: 0 the scene's narration, 1..n its dialogue lines

    def document(self) -> documents.PlannedItem:
        return documents.PlannedItem(
            kind=self.kind,
            scene=self.scene,
            position=self.position,
            reason=self.reason,
            cost=round(self.cost, 4),
            takes=self.takes,
            reuse=self.reuse,
            line=self.line,
        )


@dataclass
class Plan:
    items: list[PlannedItem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # how the run will go, in words
    warnings: list[str] = field(default_factory=list)  # e.g. lines longer than their scene
    # The takes the run selects instead of buying again (the reuse items' rows): the run applies
    # exactly these, so reuse is decided once, here.
    reuses: list[Reuse] = field(default_factory=list)

    @property
    def storyboard(self) -> bool:
        """The storyboard itself is written (not only references described)."""
        return any(item.kind == "storyboard" and item.reason == "missing" for item in self.items)

    @property
    def descriptions(self) -> list[str]:
        """Names of the reference images the storyboard writer describes first."""
        return [
            item.reason.removeprefix(DESCRIBE)
            for item in self.items
            if item.kind == "storyboard" and item.reason.startswith(DESCRIBE)
        ]

    @property
    def keyframes(self) -> list[PlannedItem]:
        """Keyframes to draw (not those an identical take is selected for)."""
        return [item for item in self.items if item.kind == "keyframe" and item.reuse is None]

    @property
    def stage(self) -> ProjectStatus | None:
        """The earliest stage with work (a reuse counts: it is selected at the start of a run);
        None when the project is up to date."""
        return STAGE_OF_KIND[self.items[0].kind] if self.items else None

    @property
    def keyframe_positions(self) -> list[int]:
        """Chain positions the keyframe step draws, in order (0: scene 1's start frame, k:
        scene k's end frame)."""
        return [0 if item.position == "start" else item.scene or 0 for item in self.keyframes]

    @property
    def clip_scene_indexes(self) -> set[int]:
        """Scenes (0-based) whose clip the video step makes or collects."""
        return {number - 1 for number in self.clips}

    @property
    def clips(self) -> list[int]:
        return [
            item.scene
            for item in self.items
            if item.kind == "clip" and item.scene and item.reuse is None
        ]

    @property
    def reused(self) -> list[PlannedItem]:
        """Existing takes made from exactly the inputs of now: selected, not bought again."""
        return [item for item in self.items if item.reuse is not None]

    @property
    def resubmissions(self) -> list[int]:
        """Scenes whose last submission's outcome is unknown: re-sending may bill twice."""
        return [
            item.scene
            for item in self.items
            if item.kind == "clip" and item.scene and item.reason.startswith("resubmit")
        ]

    @property
    def lines(self) -> set[tuple[int, int]]:
        """Spoken lines the sound step speaks, as (scene index, line index)."""
        return {
            ((item.scene or 1) - 1, item.line or 0)
            for item in self.items
            if item.kind == "narration"
        }

    @property
    def stitch(self) -> bool:
        """The clips are joined (anew)."""
        return any(item.kind == "stitch" for item in self.items)

    @property
    def mix(self) -> bool:
        """The sound is mixed and muxed under the joined clips (a project with sound only)."""
        return any(item.kind == "mix" for item in self.items)

    @property
    def estimated_cost(self) -> float:
        return round(sum(item.cost for item in self.items), 4)

    @property
    def empty(self) -> bool:
        return not self.items

    def after_reuse(self, project: Project, storage: ProjectStorage) -> Plan:
        """The plan once its reuses are applied (`project` read back with them): the rest of it,
        and the stitch only if something else is made or the final no longer matches."""
        if not self.reuses:
            return self
        items = [item for item in self.items if item.reuse is None]
        made = any(item.kind in ("keyframe", "clip", "narration") for item in items)
        if not made and output_is_current(project, storage):
            items = [item for item in items if item.kind not in ("stitch", "mix")]
        return Plan(items, self.notes, self.warnings)

    def provider_calls(self) -> dict[str, int]:
        """Calls per role; `narration` only when lines are to be spoken (the shape of a plan
        without sound is what it was before sound existed)."""
        calls = {
            "storyboard": sum(1 for item in self.items if item.kind == "storyboard"),
            "image": len(self.keyframes),
            "video": sum(
                item.takes for item in self.items if item.kind == "clip" and item.reuse is None
            ),
        }
        spoken = sum(1 for item in self.items if item.kind == "narration")
        return calls | {"narration": spoken} if spoken else calls

    def document(self) -> documents.PlanDocument:
        """The plan as the CLI's --json, the API and the page show it."""
        return documents.PlanDocument(
            storyboard=self.storyboard,
            descriptions=self.descriptions,
            keyframes=[
                documents.PlannedKeyframe(
                    scene=item.scene, position=item.position, reason=item.reason
                )
                for item in self.keyframes
            ],
            clips=self.clips,
            reuse=[
                documents.PlannedReuse(
                    scene=item.scene, slot=item.position or "clip", take=item.reuse
                )
                for item in self.reused
            ],
            resubmit_unknown=self.resubmissions,
            stitch=self.stitch,
            mix=self.mix,
            provider_calls=self.provider_calls(),
            estimated_cost=self.estimated_cost,
            items=[item.document() for item in self.items],
            notes=self.notes,
            warnings=self.warnings,
        )


def make_plan(
    project: Project,
    storage: ProjectStorage,
    providers: ProviderSet,
    describe: Sequence[str] = (),
    takes: Sequence[Take] | None = None,
) -> Plan:
    """What a resume of `project` would make now, in dependency order, with its cost.
    `describe`: the references the writer is paid to describe first (`to_describe`). With the
    project's `takes`, an artifact whose inputs match an existing take is planned as "reuse take
    N" (free, nothing sent), exactly as `resume` then selects it."""
    plan = Plan()
    scenes = list(project.scenes)
    if not scenes or project.style_guide is None:
        return _from_scratch(project, providers, describe)
    image_cost = providers.image.estimate_cost(calls=1)
    drawn = drawn_positions(scenes, providers.video)
    chained = drawn == 1  # a video model without an end frame: later frames come from clips
    if chained:
        plan.notes.append(START_FRAME_ONLY)
    reuse = find_reuse(project, takes or (), storage, providers, upto=drawn - 1)
    plan.reuses = reuse.reuses
    for item in reuse.reuses:
        if item.slot != "clip":
            plan.items.append(_reuse_item("keyframe", item.scene_index + 1, item))
    stale = None if reuse.first_stale is None else (reuse.first_stale, reuse.why)
    redrawn: set[int] = set()  # scene numbers whose frames are redrawn: their clips follow
    if stale is not None:
        first, why = stale
        if chained:
            redrawn.update(range(1, len(scenes) + 1))
        for position in range(first, drawn):
            frame_scene, slot = (1, "start") if position == 0 else (position, "end")
            reason = why if position == first else "drawn from a redrawn frame"
            if keyframe_of(scenes[frame_scene - 1], slot) is None:
                reason = "missing"  # never drawn: nothing of it is "redrawn"
            plan.items.append(PlannedItem("keyframe", frame_scene, slot, reason, image_cost))
            redrawn.update({position, position + 1} - {0})
    for scene in scenes:
        number = scene.scene_index + 1
        wanted = takes_wanted(project, scene.clip)
        video = providers.video_for(scene.scene_index)  # a scene may have its own model
        clip_cost = video.estimate_cost(seconds=clip_seconds(project, scene))
        if number in redrawn:
            why = "starts from the last frame of a clip made anew" if chained else "new keyframes"
            if scene.clip is None or scene.clip.file_path is None:
                why = "missing"  # never made: it is made, not made again
            plan.items.append(_clip_item(number, why, wanted, clip_cost))
            continue
        reused = reuse.of(scene.scene_index, "clip")
        if reused is not None:
            plan.items.append(_reuse_item("clip", number, reused))
            continue
        expected = reuse.clip_fingerprints.get(scene.scene_index)
        left = wanted - _made_in_round(scene.clip, expected)
        if clip_cost > 0 and _outcome_unknown(scene.clip):
            reason = "resubmit (outcome of the last submission unknown; may be billed twice)"
            plan.items.append(_clip_item(number, reason, left, clip_cost))
            continue
        if clip_is_done(scene, storage, expected):
            continue
        reason = _clip_reason(scene.clip, expected)
        if reason == "missing" and left < wanted:
            reason = f"{wanted - left} of {wanted} takes made"
        collecting = reason == COLLECT
        plan.items.append(_clip_item(number, reason, left, clip_cost, collecting=collecting))
        if chained:  # every later clip starts from this one's last frame: they follow
            redrawn.update(range(number + 1, len(scenes) + 1))
    _plan_sound(plan, project, storage, providers)
    if plan.items or not output_is_current(project, storage):
        remade = any(item.kind in ("keyframe", "clip") for item in plan.items)
        joined = remade or not _picture_made(project, storage)
        _plan_final(plan, project, joined=joined)
    plan.items[:0] = _descriptions(describe, providers)  # a description changes no video
    return plan


DESCRIBE = "describe reference "
START_FRAME_ONLY = (
    "the video model takes only a start frame: only the first keyframe is drawn, and each later "
    "scene starts from the previous clip's real last frame (seamless cuts; scenes one after "
    "another)"
)


def _picture_made(project: Project, storage: ProjectStorage) -> bool:
    """The joined clips of the current clips exist (a sound change only re-mixes)."""
    if not has_sound(project):
        return False
    return storage.resolve(picture_name(picture_fingerprint(project))).is_file()


def sound_plan(project: Project, storage: ProjectStorage, providers: ProviderSet) -> Plan:
    """Only the lines to speak, the stitch and the mix: the plan of a re-stitch of a complete
    project, whose clips are current (nothing else is looked at, no image is opened)."""
    plan = Plan()
    _plan_sound(plan, project, storage, providers)
    _plan_final(plan, project, joined=True)
    return plan


MIX_REASONS = {
    "joined": "mix the sound and mux it under the clips joined anew",
    "spoken": "mix the sound and mux it with the lines spoken anew",
    "sound": "mix the sound and mux it (the clips are joined already)",
}


def _plan_final(plan: Plan, project: Project, *, joined: bool) -> None:
    """The stitch when the clips are joined anew, and the mix when the project has sound (a
    change of music, loudness or subtitles plans the mix alone). Both free: ffmpeg's work."""
    if joined:
        plan.items.append(PlannedItem("stitch", None, None, "join the clips", 0.0))
    if not has_sound(project):
        return
    spoken = any(item.kind == "narration" for item in plan.items)
    why = "joined" if joined else "spoken" if spoken else "sound"
    plan.items.append(PlannedItem("mix", None, None, MIX_REASONS[why], 0.0))


def _plan_sound(
    plan: Plan, project: Project, storage: ProjectStorage, providers: ProviderSet
) -> None:
    """Lines to speak (one call each) and lines longer than their scene."""
    narrator = providers.narration
    cost = narrator.estimate_cost(calls=1) if narrator is not None else 0.0
    for spec in planned_lines(project, storage, narrator):
        what = "narration" if spec.line_index == 0 else f"dialogue line {spec.line_index}"
        reason = f"speak the {what}"
        plan.items.append(
            PlannedItem("narration", spec.scene_index + 1, None, reason, cost, line=spec.line_index)
        )
    for scene_index, seconds in sorted(line_overruns(project).items()):
        plan.warnings.append(
            f"scene {scene_index + 1}: its spoken lines run {seconds:g} s past the scene's end"
        )


def _reuse_item(kind: str, number: int, reuse: Reuse) -> PlannedItem:
    position = None if kind == "clip" else reuse.slot
    reason = f"reuse take {reuse.take.number} (made from exactly these inputs; nothing bought)"
    return PlannedItem(kind, number, position, reason, 0.0, takes=0, reuse=reuse.take.number)


def _descriptions(names: Sequence[str], providers: ProviderSet) -> list[PlannedItem]:
    """One storyboard call per reference to describe, each with its cost."""
    cost = providers.storyboard.estimate_cost(calls=1)
    return [PlannedItem("storyboard", None, None, f"{DESCRIBE}{name}", cost) for name in names]


COLLECT = "collect the submitted operation"


def _clip_item(
    number: int, reason: str, takes: int, clip_cost: float, *, collecting: bool = False
) -> PlannedItem:
    """A clip to make as `takes` takes; one already submitted is collected, not paid again."""
    takes = max(takes, 1)
    paid = takes - 1 if collecting else takes
    return PlannedItem("clip", number, None, reason, paid * clip_cost, takes)


def _made_in_round(clip: VideoClip | None, expected: str | None) -> int:
    """Takes of the round under way that count toward K (made from the current inputs)."""
    if clip is None or not clip.round_takes or clip.fingerprint != expected:
        return 0
    return len(clip.round_takes)


def _clip_reason(clip: VideoClip | None, expected: str | None) -> str:
    if clip is None:
        return "missing"
    if clip.fingerprint == REDO or (clip.direction and clip.status == ClipStatus.PENDING):
        return "redo requested"
    if clip.fingerprint is not None and clip.fingerprint != expected:
        return "its frames, motion prompt or options changed"
    if clip.status == ClipStatus.SUBMITTED and clip.operation_id:
        return COLLECT
    return "missing"


def adopt_legacy_fingerprints(
    project: Project, storage: ProjectStorage, providers: ProviderSet
) -> bool:
    """Rows made before fingerprints: record what they were made from, as they are now, so an
    edit afterwards is measured against it (a complete project stays complete). True if any."""
    changed = False
    scenes = list(project.scenes)
    if not scenes:
        return False
    previous_hash: str | None = None
    for position in range(len(scenes) + 1):
        row = chain_keyframe(scenes, position)
        if row is None:
            break
        try:
            path = storage.resolve(row.file_path)
            content = row.content_hash or file_hash(path)
        except (OSError, ValueError):
            break
        if row.fingerprint is None:
            _, _, prompt = chain_slot(scenes, position)
            references = reference_inputs(project, scenes, position, providers.image)
            fingerprint = keyframe_fingerprint(
                project, providers.image, prompt, previous_hash, references
            )
            for twin in _rows_of_file(scenes, row.file_path):
                twin.fingerprint, twin.content_hash = fingerprint, content
            changed = True
        previous_hash = content
    for scene in scenes:
        clip = scene.clip
        if clip is None or clip.fingerprint is not None or clip.status != ClipStatus.COMPLETE:
            continue
        video = providers.video_for(scene.scene_index)
        expected = expected_clip_fingerprint(project, scene, storage, video)
        if expected is not None and clip.file_path:
            with contextlib.suppress(OSError, ValueError):
                clip.content_hash = clip.content_hash or file_hash(storage.resolve(clip.file_path))
            clip.fingerprint, changed = expected, True
    complete = project.status == ProjectStatus.COMPLETE
    if project.output_fingerprint is None and project.output_path and complete:
        project.output_fingerprint, changed = expected_output_fingerprint(project), True
    return changed


def _rows_of_file(scenes: list[Scene], file_path: str) -> list[Keyframe]:
    return [k for scene in scenes for k in scene.keyframes if k.file_path == file_path]


def _from_scratch(project: Project, providers: ProviderSet, describe: Sequence[str]) -> Plan:
    """No storyboard yet: everything, for the requested (or the writer's largest) scene count."""
    count = project.requested_scenes or DEFAULT_SCENES_FOR_ESTIMATE
    plan = Plan(_descriptions(describe, providers))
    storyboard_cost = providers.storyboard.estimate_cost(calls=1)
    plan.items.append(PlannedItem("storyboard", None, None, "missing", storyboard_cost))
    image_cost = providers.image.estimate_cost(calls=1)
    clip_cost = providers.video.estimate_cost(seconds=project.clip_duration)
    plan.items.append(PlannedItem("keyframe", 1, "start", "missing", image_cost))
    if not providers.video.takes_end_frame:
        plan.notes.append(START_FRAME_ONLY)
    for number in range(1, count + 1 if providers.video.takes_end_frame else 1):
        plan.items.append(PlannedItem("keyframe", number, "end", "missing", image_cost))
    for number in range(1, count + 1):
        plan.items.append(_clip_item(number, "missing", project.takes_per_clip or 1, clip_cost))
    _plan_final(plan, project, joined=True)
    return plan


def _outcome_unknown(clip: VideoClip | None) -> bool:
    """A submission whose answer was lost, or one a stopped runner was sending (no id kept)."""
    if clip is None:
        return False
    if clip.status == ClipStatus.SUBMIT_UNKNOWN:
        return True
    return clip.status == ClipStatus.SUBMITTING and clip.operation_id is None
