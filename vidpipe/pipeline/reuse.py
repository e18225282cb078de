"""An identical take is never bought twice: before a keyframe or clip is paid for, a take made
from exactly the inputs of now (the same fingerprint) is selected instead.

This happens after an edit and its undo, or any change that returns an artifact's inputs to ones
it was already made from. `find_reuse` decides it without writing (the plan shows "reuse take
N"); `apply_reuse` points the rows at the takes the run's plan lists and leaves a ledger note for
each (no call, no cost). A redo the user asked for is never answered with an old take.

`find_reuse` is also the plan's one walk of the chain: where it stops is the first keyframe to
draw, and the clips' fingerprints it computes are the ones the plan compares, so a run
fingerprints each keyframe and clip once.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from vidpipe.db.models import (
    Keyframe,
    Project,
    ProviderCall,
    Scene,
    Take,
    VideoClip,
    keyframe_of,
    utcnow,
)
from vidpipe.db.statuses import ClipStatus
from vidpipe.pipeline.fingerprints import clip_fingerprint, file_hash, keyframe_fingerprint
from vidpipe.pipeline.keyframes import chain_keyframe, chain_slot
from vidpipe.pipeline.references import reference_inputs
from vidpipe.pipeline.takes import REDO, best_take, point_clip_at, split_direction
from vidpipe.providers.base import ProviderSet, VideoProvider, frame_size
from vidpipe.storage import ProjectStorage, image_is_usable

# A submission is out: it is collected, or sent again with the user's consent, never replaced.
OUT = frozenset({ClipStatus.SUBMITTING, ClipStatus.SUBMITTED, ClipStatus.SUBMIT_UNKNOWN})
REUSED = "reused"  # a ledger note: an identical take was selected, nothing was sent or billed


@dataclass(frozen=True)
class Reuse:
    """Take `take` is selected for a scene's slot ("start" | "end" | "clip")."""

    scene_index: int
    slot: str
    take: Take
    fingerprint: str

    @property
    def position(self) -> int:
        """The chain position of a keyframe slot."""
        return 0 if self.slot == "start" else self.scene_index + 1


@dataclass
class ReusePlan:
    """The chain as `resume` would leave it, computed once for the plan and the run: what reuse
    would select, the content hash in use at each position up to the first one that must be
    drawn (`first_stale`, None: none) and why (`why`), and each clip's fingerprint from those
    frames (`clip_fingerprints`, by scene index)."""

    reuses: list[Reuse] = field(default_factory=list)
    hashes: dict[int, str] = field(default_factory=dict)
    first_stale: int | None = None
    why: str = ""
    clip_fingerprints: dict[int, str] = field(default_factory=dict)

    def of(self, scene_index: int, slot: str) -> Reuse | None:
        return next(
            (r for r in self.reuses if r.scene_index == scene_index and r.slot == slot), None
        )


CHANGED = "its prompt, references, style or provider changed"


def find_reuse(
    project: Project,
    takes: Sequence[Take],
    storage: ProjectStorage,
    providers: ProviderSet,
    *,
    upto: int | None = None,
) -> ReusePlan:
    """Walk the chain, then the clips, as `resume` would, selecting (on paper) an existing take
    wherever the selected artifact no longer fits its inputs and a take of exactly them exists.
    Each keyframe and clip is fingerprinted once here; the plan reads the result. `upto`: the
    last chain position that is drawn (0 when later ones come from clips)."""
    found = ReusePlan()
    scenes = list(project.scenes)
    if not scenes or project.style_guide is None:
        return found
    previous: str | None = None
    last = len(scenes) if upto is None else upto
    for position in range(last + 1):
        owner, slot, prompt = chain_slot(scenes, position)
        row = chain_keyframe(scenes, position)
        why = _why_stale(row, storage)
        if (row is not None and row.fingerprint == REDO) or split_direction(
            owner.frame_direction, slot
        ):
            found.first_stale, found.why = position, why or REDO_REQUESTED
            break  # a redo asks for a new take: never an old one
        references = reference_inputs(project, scenes, position, providers.image)
        expected = keyframe_fingerprint(project, providers.image, prompt, previous, references)
        if row is not None and not why:
            if row.fingerprint in (expected, None):
                path = storage.resolve(row.file_path)
                previous = found.hashes[position] = row.content_hash or file_hash(path)
                continue
            why = CHANGED
        match = _newest_fitting(takes, owner.scene_index, slot, expected, storage)
        if match is None or match.content_hash is None:
            found.first_stale, found.why = position, why
            break
        found.reuses.append(Reuse(owner.scene_index, slot, match, expected))
        previous = found.hashes[position] = match.content_hash
    redrawn = found.first_stale
    for scene in scenes:
        if redrawn is not None and (last == 0 or scene.scene_index + 1 >= redrawn):
            continue  # its frames are drawn anew first: its clip is made after them
        video = providers.video_for(scene.scene_index)  # a scene may have its own model
        fingerprint = _clip_expected(project, scene, storage, video, found.hashes)
        if fingerprint is None:
            continue
        found.clip_fingerprints[scene.scene_index] = fingerprint
        walked = scene.scene_index in found.hashes and scene.scene_index + 1 in found.hashes
        if not (walked and video.takes_end_frame and _may_reuse_clip(scene)):
            continue  # it starts from another clip's last frame, or a take must not be reused
        if _is_current(scene.clip, fingerprint):
            continue
        fitting = [
            t
            for t in takes
            if t.slot == "clip"
            and t.scene_index == scene.scene_index
            and t.fingerprint == fingerprint
            and storage.resolve(t.file_path).is_file()
        ]
        if fitting:
            found.reuses.append(Reuse(scene.scene_index, "clip", best_take(fitting), fingerprint))
    return found


REDO_REQUESTED = "redo requested"


def _why_stale(row: Keyframe | None, storage: ProjectStorage) -> str:
    """Why a chain position must be drawn, as far as its row and file say ("": it may be
    current; its fingerprint decides)."""
    if row is None:
        return "missing"
    try:
        usable = image_is_usable(storage.resolve(row.file_path))
    except ValueError:
        usable = False
    if not usable:
        return "file missing or unreadable"
    return REDO_REQUESTED if row.fingerprint == REDO else ""


def _clip_expected(
    project: Project,
    scene: Scene,
    storage: ProjectStorage,
    video: VideoProvider,
    hashes: dict[int, str],
) -> str | None:
    """The fingerprint a current clip of `scene` has, from the frames in use once reuse is done
    (the walk's hashes; a frame past the walk, e.g. one taken from a clip, by its row). None
    while a frame is missing."""
    start = hashes.get(scene.scene_index) or _row_hash(keyframe_of(scene, "start"), storage)
    end: str | None = ""
    if video.takes_end_frame:
        end = hashes.get(scene.scene_index + 1) or _row_hash(keyframe_of(scene, "end"), storage)
    if start is None or end is None:
        return None
    return clip_fingerprint(project, video, scene, start, end)


def _row_hash(row: Keyframe | None, storage: ProjectStorage) -> str | None:
    if row is None:
        return None
    try:
        return row.content_hash or file_hash(storage.resolve(row.file_path))
    except (OSError, ValueError):
        return None


async def project_takes(session: AsyncSession, project_id: uuid.UUID) -> list[Take]:
    return list(await session.scalars(select(Take).where(Take.project_id == project_id)))


def apply_reuse(
    session: AsyncSession,
    project: Project,
    reuses: Sequence[Reuse],
    providers: ProviderSet,
    run_id: uuid.UUID | None,
) -> None:
    """Select the takes the run's plan lists for reuse (`Plan.reuses`, found by `find_reuse`),
    each with a ledger note (cost 0, nothing sent). The caller commits."""
    scenes = list(project.scenes)
    for reuse in reuses:
        scene = scenes[reuse.scene_index]
        if reuse.slot == "clip":
            point_clip_at(_clip_of(scene, reuse.take), reuse.take)
            clip = scene.clip
            assert clip is not None
            clip.direction = clip.round_takes = clip.takes_wanted = None
            clip.fingerprint = reuse.fingerprint
            step, role = "video_gen", providers.video.role.value
        else:
            _point_frame(project, scenes, reuse)
            step, role = "keyframes", providers.image.role.value
        what = "clip" if reuse.slot == "clip" else f"{reuse.slot} frame"
        session.add(
            ProviderCall(
                project_id=project.id,
                run_id=run_id,
                step=step,
                role=role,
                provider=reuse.take.provider,
                cost=0.0,
                detail=f"scene {reuse.scene_index + 1} {what}",
                request=f"reuse take {reuse.take.number}",
                status=REUSED,
                settled_at=utcnow(),
                note=f"take {reuse.take.number} was made from exactly these inputs; "
                "selected instead of bought again",
            )
        )


def _is_current(clip: VideoClip | None, fingerprint: str) -> bool:
    return (
        clip is not None and clip.fingerprint == fingerprint and clip.status == ClipStatus.COMPLETE
    )


def _may_reuse_clip(scene: Scene) -> bool:
    """Not when the user asked for a new take, a round of takes is under way, or a submission
    is out (it is collected, or resubmitted with consent)."""
    clip = scene.clip
    if clip is None:
        return True
    if clip.fingerprint == REDO or clip.direction or clip.round_takes is not None:
        return False
    return clip.status not in OUT


def _clip_of(scene: Scene, take: Take) -> VideoClip:
    if scene.clip is None:
        scene.clip = VideoClip(status=ClipStatus.COMPLETE, provider=take.provider)
    return scene.clip


def _point_frame(project: Project, scenes: list[Scene], reuse: Reuse) -> None:
    """The generated row at the take's chain position and the next scene's inherited start,
    made if the rows are gone (a run that stopped while redrawing removed them)."""
    position = reuse.position
    owner, slot, prompt = chain_slot(scenes, position)
    take = reuse.take
    width, height = frame_size(project.aspect_ratio, project.resolution)
    generated = keyframe_of(owner, slot)
    if generated is None:
        generated = Keyframe(
            position=slot, source="generated", prompt=prompt, file_path=take.file_path,
            width=width, height=height,
        )  # fmt: skip
        owner.keyframes.append(generated)
    rows = [generated]
    if slot == "end" and position < len(scenes):
        twin = keyframe_of(scenes[position], "start")
        if twin is None:
            twin = Keyframe(
                position="start", source="inherited", prompt=prompt, file_path=take.file_path,
                width=width, height=height,
            )  # fmt: skip
            scenes[position].keyframes.append(twin)
        rows.append(twin)
    for row in rows:
        row.file_path, row.take, row.prompt = take.file_path, take.number, prompt
        row.content_hash, row.fingerprint = take.content_hash, reuse.fingerprint


def _newest_fitting(
    takes: Sequence[Take], scene_index: int, slot: str, fingerprint: str, storage: ProjectStorage
) -> Take | None:
    fitting = [
        t
        for t in takes
        if t.scene_index == scene_index
        and t.slot == slot
        and t.fingerprint == fingerprint
        and t.content_hash
        and image_is_usable(storage.resolve(t.file_path))
    ]
    return max(fitting, key=lambda t: t.number, default=None)
