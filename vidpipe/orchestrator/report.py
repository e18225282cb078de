"""The one formatter of project documents, shared by the CLI (--json) and the API alike."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from vidpipe.config import Settings
from vidpipe.db.models import (
    PipelineRun,
    Project,
    Reference,
    Scene,
    Take,
    Worker,
    keyframe_of,
    scene_texts,
    utcnow,
)
from vidpipe.db.queries import load_project
from vidpipe.db.statuses import ClipStatus, ProjectStatus
from vidpipe.documents import (
    AudioDocument,
    Ledger,
    LedgerAttempt,
    MissingScene,
    PlanDocument,
    ProjectDocument,
    ProjectSummary,
    Providers,
    ReferenceDocument,
    RunDocument,
    Runner,
    SceneDocument,
    TakeDocument,
    TakesDocument,
    WorkerDocument,
)
from vidpipe.errors import BadInputError
from vidpipe.orchestrator.leases import is_held
from vidpipe.providers.billing import BILLED_OUTCOMES
from vidpipe.sound_options import SoundOptions
from vidpipe.storage import ProjectStorage


async def workers_document(session: AsyncSession, settings: Settings) -> list[WorkerDocument]:
    """The live `vidpipe worker`s: host, pid, last heartbeat, projects they run now."""
    now = utcnow()
    alive_since = now - timedelta(seconds=settings.worker_stalled_seconds)
    workers = (
        await session.scalars(
            select(Worker).where(Worker.last_heartbeat >= alive_since).order_by(Worker.started_at)
        )
    ).all()
    leased = (
        await session.execute(
            select(Project.id, Project.lease_owner).where(Project.lease_expires_at > now)
        )
    ).all()
    documents = []
    for worker in workers:
        prefix = f"{worker.host}:{worker.pid}:"
        documents.append(
            WorkerDocument(
                id=worker.id,
                host=worker.host,
                pid=worker.pid,
                concurrency=worker.concurrency,
                started_at=worker.started_at.isoformat(),
                last_heartbeat=worker.last_heartbeat.isoformat(),
                running_projects=[
                    project_id for project_id, owner in leased if owner and owner.startswith(prefix)
                ],
            )
        )
    return documents


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def runner_of(project: Project) -> Runner | None:
    """Which process runs the project now (a worker in queue mode), from its live lease."""
    if not is_held(project) or not project.lease_owner:
        return None
    host, _, rest = project.lease_owner.partition(":")
    pid = rest.partition(":")[0]
    return Runner(host=host, pid=int(pid) if pid.isdigit() else None)


def status_note(project: Project) -> str | None:
    """One plain line that says what a resting project's status means and what continues it."""
    if project.status == ProjectStatus.STOPPED:
        return "stopped by you; resume it"
    if project.status == ProjectStatus.OUT_OF_DATE:
        stage = project.stale_stage or ProjectStatus.STITCHING
        return (
            f"changed since it was made (out of date from the {STAGE_NAMES.get(stage, stage)} "
            "stage); resume brings it up to date"
        )
    if project.status in STAGE_NAMES and not is_held(project) and project.queued_at is None:
        # a working stage nobody works on: its runner was killed or crashed (a stop, Ctrl+C or
        # failure would have said so); without this line it reads as a run in progress
        return "its run ended without finishing (the process was killed or crashed); resume it"
    return None


# How people read a working stage's name (CLI, API notes, page).
STAGE_NAMES: dict[str, str] = {
    ProjectStatus.STORYBOARDING: "storyboard",
    ProjectStatus.KEYFRAMING: "keyframes",
    ProjectStatus.VIDEO_GEN: "clips",
    ProjectStatus.STITCHING: "stitch",
}


def project_summary(project: Project, storage: ProjectStorage) -> ProjectSummary:
    """The light document: for `list` and status polling."""
    return ProjectSummary(**_summary_fields(project, storage))


def _summary_fields(project: Project, storage: ProjectStorage) -> dict[str, object]:
    running = is_held(project)
    return {
        "id": project.id,
        "status": project.status,
        "running": running,
        "queued": project.queued_at is not None and not running,
        "runner": runner_of(project),
        "prompt": project.prompt,
        "style": project.style,
        "aspect_ratio": project.aspect_ratio,
        "resolution": project.resolution,
        "clip_duration": project.clip_duration,
        "crossfade": project.crossfade,
        "output_path": _path(storage, project.output_path),
        "error_message": project.error_message,
        "stale_stage": (
            project.stale_stage if project.status == ProjectStatus.OUT_OF_DATE else None
        ),
        "note": status_note(project),
        "created_at": _iso(project.created_at),
        "updated_at": _iso(project.updated_at),
    }


def project_document(
    project: Project, storage: ProjectStorage, plan: PlanDocument | None = None
) -> ProjectDocument:
    """The full document: scenes with keyframes and clips, missing scenes, runs. With the
    project's plan (`Plan.document()`), each scene says whether its frames or clip are stale
    (without it, neither the plan nor `stale` is set: the CLI's JSON has no such keys)."""
    scenes = [_scene(scene, storage) for scene in project.scenes]
    summary = _summary_fields(project, storage)
    if project.status == ProjectStatus.COMPLETE and (gone := missing_files(project, storage)):
        summary["note"] = (
            f"{_listed(gone)} {'is' if len(gone) == 1 else 'are'} gone from disk; resume makes "
            f"{'it' if len(gone) == 1 else 'them'} again"
        )
    with_plan: dict[str, object] = {}
    if plan is not None:
        # a take the resume selects instead of making it again (an identical older one) also
        # replaces what the scene shows now: the scene is stale all the same
        frames = [(k.scene, k.position) for k in plan.keyframes]
        frames += [(r.scene, r.slot) for r in plan.reuse if r.slot != "clip"]
        stale_frames = {scene for scene, _ in frames}
        stale_frames |= {scene + 1 for scene, position in frames if position == "end"}
        stale_clips = {*plan.clips, *(r.scene for r in plan.reuse if r.slot == "clip")}
        for scene in scenes:
            scene.stale = scene.scene in stale_clips or scene.scene in stale_frames
        with_plan["plan"] = plan
    return ProjectDocument(
        **summary,
        paused_before=project.paused_before,
        forked_from=project.forked_from,
        storyboard_version=project.storyboard_version,
        style_guide=project.style_guide,
        providers=Providers(
            storyboard=project.storyboard_provider,
            image=project.image_provider,
            video=project.video_provider,
        ),
        references=[reference_document(ref, storage) for ref in project.references],
        scenes=scenes,
        **with_plan,
        missing_scenes=missing_scenes(project),
        runs=[_run(run) for run in project.runs],
        ledger=ledger_document(project),
        sound=None
        if project.sound_options is None
        else SoundOptions.model_validate(project.sound_options),
        audio=audio_documents(project, storage),
    )


def missing_files(project: Project, storage: ProjectStorage) -> list[str]:
    """What a complete project shows that is no longer on disk (deleted by hand, a disk
    restored from an older backup): its selected keyframes and clips and its final video."""
    gone: list[str] = []
    seen: set[str] = set()  # a chain frame is one scene's end and the next one's start

    def check(relative: str | None, what: str) -> None:
        if not relative or relative in seen:
            return
        seen.add(relative)
        path = _path(storage, relative)
        if path is None or not Path(path).is_file():
            gone.append(what)

    for scene in project.scenes:
        number = scene.scene_index + 1
        for position in ("start", "end"):
            frame = keyframe_of(scene, position)
            check(frame.file_path if frame else None, f"scene {number}'s {position} frame")
        check(scene.clip.file_path if scene.clip else None, f"scene {number}'s clip")
    check(project.output_path, "the final video")
    return gone


def _listed(items: list[str]) -> str:
    """'a', 'a and b', 'a, b and c'; at most three named, then how many more."""
    named = items[:3] + ([f"{len(items) - 3} more"] if len(items) > 3 else [])
    return named[0] if len(named) == 1 else f"{', '.join(named[:-1])} and {named[-1]}"


def audio_documents(project: Project, storage: ProjectStorage) -> list[AudioDocument]:
    """The spoken lines and the mix: files, placements, what made them, measured loudness."""
    return [
        AudioDocument(
            kind=row.kind,
            scene=row.scene_index + 1 if row.scene_index >= 0 else None,
            line=row.line_index,
            speaker=row.speaker,
            text=row.text,
            provider=row.provider,
            voice=row.voice,
            speed=row.speed,
            path=_path(storage, row.file_path),
            start_seconds=row.start_seconds,
            duration_seconds=row.duration_seconds,
            fingerprint=row.fingerprint,
            details=row.details,
        )
        for row in project.audio
    ]


def ledger_document(project: Project) -> Ledger:
    """Spent vs estimated, and every attempt: `spent` counts all that may be billed."""
    billed = [c for c in project.ledger if c.status in BILLED_OUTCOMES and c.cost > 0]
    return Ledger(
        estimated_cost=project.estimated_cost,
        spent=round(sum(call.cost for call in billed), 4),
        max_cost=project.max_cost,
        billed_calls=len(billed),
        attempts=[
            LedgerAttempt(
                step=call.step,
                role=call.role,
                provider=call.provider,
                detail=call.detail,
                request=call.request,
                status=call.status,
                cost=call.cost,
                created_at=_iso(call.created_at),
                note=call.note,
            )
            for call in project.ledger
        ],
    )


def reference_document(ref: Reference, storage: ProjectStorage) -> ReferenceDocument:
    """A reference image: its name, description, where it is and its content hash."""
    return ReferenceDocument(
        name=ref.name,
        description=ref.description,
        description_source=ref.description_source,
        content_hash=ref.content_hash,
        media_type=ref.media_type,
        width=ref.width,
        height=ref.height,
        path=_path(storage, ref.file_path),
    )


def missing_scenes(project: Project) -> list[MissingScene]:
    """Scenes whose clip was rejected or timed out, and why (the stitch skips them)."""
    return [
        MissingScene(
            index=s.scene_index,
            scene=s.scene_index + 1,
            clip_status=s.clip.status,
            reason=s.clip.error_message,
        )
        for s in project.scenes
        if s.clip is not None and s.clip.status in MISSED
    ]


# Clips the final video goes without (each listed with its reason).
MISSED = frozenset(
    {ClipStatus.RAI_FILTERED, ClipStatus.TIMED_OUT, ClipStatus.FAILED, ClipStatus.SUBMIT_UNKNOWN}
)


def _scene(scene: Scene, storage: ProjectStorage) -> SceneDocument:
    start, end, clip = keyframe_of(scene, "start"), keyframe_of(scene, "end"), scene.clip
    status: str  # the clip's status, or how far a scene without a clip got
    if clip is not None:
        status = clip.status
    elif start is not None and end is not None:
        status = "keyframed"
    else:
        status = ClipStatus.PENDING
    return SceneDocument(
        index=scene.scene_index,  # from 0, as the file names count (scene_00.mp4)
        scene=scene.scene_index + 1,  # from 1, as the CLI, the URLs and the page count
        status=status,
        **scene_texts(scene),
        start_keyframe_path=_path(storage, start.file_path if start else None),
        start_keyframe_source=start.source if start else None,
        end_keyframe_path=_path(storage, end.file_path if end else None),
        clip_status=clip.status if clip else None,
        clip_path=_path(storage, clip.file_path if clip else None),
        clip_take=clip.take if clip else None,
        end_keyframe_take=end.take if end else None,
        clip_duration=clip.duration_seconds if clip else None,
        clip_operation_id=clip.operation_id if clip else None,
        clip_error=clip.error_message if clip else None,
    )


def _run(run: PipelineRun) -> RunDocument:
    return RunDocument(
        id=run.id,
        status=run.status,
        started_at=_iso(run.started_at),
        completed_at=_iso(run.completed_at),
        total_duration_seconds=run.total_duration_seconds,
        error=run.error,
        log=run.log,
    )


def _path(storage: ProjectStorage, relative: str | None) -> str | None:
    """The absolute path of a stored artifact; None for a row pointing outside the project."""
    if not relative:
        return None
    try:
        return str(storage.resolve(relative))
    except ValueError:
        return None


async def takes_document(
    session: AsyncSession, settings: Settings, project_id: uuid.UUID, scene_number: int
) -> TakesDocument:
    """The takes of one scene, newest last, with which one each slot has selected."""
    project = await load_project(session, project_id)
    if not 1 <= scene_number <= len(project.scenes):
        raise BadInputError(
            f"{scene_number}; the project has scenes 1 to {len(project.scenes)}", field="scene"
        )
    takes = await scene_takes(session, settings, project, scene_number - 1)
    return TakesDocument(
        project_id=project.id,
        scene=scene_number,
        takes_per_clip=project.takes_per_clip,
        takes=takes[0],
    )


async def scene_takes(
    session: AsyncSession, settings: Settings, project: Project, scene_index: int | None = None
) -> list[list[TakeDocument]]:
    """The takes of each scene of a loaded project (or of one scene), in one query."""
    storage = ProjectStorage(settings.projects_dir, project.id)
    scenes = list(project.scenes) if scene_index is None else [project.scenes[scene_index]]
    query = select(Take).where(Take.project_id == project.id)
    if scene_index is not None:
        query = query.where(Take.scene_index == scene_index)
    rows = await session.scalars(query.order_by(Take.scene_index, Take.slot, Take.number))
    found: dict[int, list[Take]] = {}
    for take in rows:
        found.setdefault(take.scene_index, []).append(take)
    return [_takes(scene, found.get(scene.scene_index, []), storage) for scene in scenes]


def _takes(scene: Scene, rows: list[Take], storage: ProjectStorage) -> list[TakeDocument]:
    selected = {k.position: k.file_path for k in scene.keyframes if k.source == "generated"}
    if scene.clip is not None and scene.clip.file_path:
        selected["clip"] = scene.clip.file_path
    return [
        TakeDocument(
            slot=take.slot,
            take=take.number,
            created_at=_iso(take.created_at),
            provider=take.provider,
            model=take.model or take.provider,
            cost=take.cost,
            fidelity=take.fidelity,
            direction=take.direction,
            prompt=take.prompt,  # None: made before takes recorded their prompt
            duration=take.duration_seconds,
            selected=selected.get(take.slot) == take.file_path,
            auto_selected=bool(take.auto_selected),
            path=_path(storage, take.file_path),
            exists=storage.resolve(take.file_path).is_file(),
        )
        for take in rows
    ]
