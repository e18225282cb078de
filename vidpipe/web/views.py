"""What the templates show, computed from the API's documents (documents.py, report.py).

Presentation only: which stage of the stepper is current, the keyframe chain as N+1 frames, a
run's steps as rows. The rules themselves (where a resume re-enters, what is missing) are the
orchestrator's; this module only arranges their answers for a person.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from pydantic import BaseModel

from vidpipe.api.schemas import ProjectDocument, SceneDocument, TakeDocument
from vidpipe.db.statuses import ProjectStatus, RunStatus
from vidpipe.documents import ReferenceDocument, RunDocument
from vidpipe.orchestrator.state import PIPELINE_STATES, STAGE_NAMES
from vidpipe.pipeline.plan import Plan
from vidpipe.web.prompt_diff import Segment

# The stepper: each working status and the stage it stands for (the names of orchestrator/state).
STAGES: tuple[tuple[str, str], ...] = (*STAGE_NAMES.items(), (ProjectStatus.COMPLETE, "Done"))
STAGE_ORDER = [stage for stage, _ in STAGES]
STAGE_LABELS = dict(STAGES)
# What a phone shows when five full labels do not fit side by side.
SHORT_LABELS: dict[str, str] = {
    ProjectStatus.STORYBOARDING: "Story",
    ProjectStatus.KEYFRAMING: "Frames",
}
STATUSES = tuple(PIPELINE_STATES)
# Step names in a run's log (pipeline/context.py StepStats) and how the page names them.
RUN_STEPS = tuple(
    zip(("storyboard", "keyframes", "video_gen", "stitch"), STAGE_NAMES.values(), strict=True)
)


# ---- The page's own rows (what the templates iterate over) ----------------------------------


@dataclass(frozen=True)
class Step:
    """A stage of the stepper."""

    stage: str
    label: str
    short: str  # on a phone
    state: str  # done, current, failed or todo


@dataclass(frozen=True)
class Frame:
    """A keyframe of the chain: frame k is scene k's end and scene k+1's start."""

    position: int
    url: str | None
    label: str
    shared: bool  # the next scene starts on this very file


@dataclass(frozen=True)
class RunStep:
    """A step of a run, from the run's log."""

    label: str
    seconds: float | None
    cost: float | None
    calls: float | None


class RunRow(RunDocument):
    """A run of the history with its steps and what they cost."""

    steps: list[RunStep]
    cost: float


class TakeRow(TakeDocument):
    """A take as the review screen compares it with the take in use."""

    differences: list[str] = []
    prompt_diff: list[Segment] | None = None  # its prompt's words against the take in use


class ReviewScene(SceneDocument):
    """A scene of the review screen: its document, its takes by slot, its timeline card."""

    number: int
    duration: float
    planned: bool  # no clip yet: the length asked for
    poster_at: float
    clip_src: str | None
    model: str  # what made the clip in use
    fresh: bool  # made by the last resume
    clip_takes: list[TakeRow]
    all_prompts: bool
    frame_takes: list[TakeRow]
    reference_images: list[ReferenceDocument]
    dialogue_text: str  # as the scene form's text box holds it


@dataclass(frozen=True)
class Timeline:
    join: str  # "cut" or "crossfade 0.5 s"
    total: float
    planned: bool  # some length is only asked for yet


@dataclass(frozen=True)
class Budget:
    spent: float
    planned: float
    total: float
    max_cost: float | None
    over: bool


def stopped_midway(document: ProjectDocument) -> bool:
    """Failed, stopped, or paused other than at a review gate: the stepper marks the stage a
    resume re-enters, which only the plan knows."""
    status = document.status
    if status == ProjectStatus.PAUSED:
        return not document.paused_before
    return status in (ProjectStatus.FAILED, ProjectStatus.STOPPED)


def current_stage(document: ProjectDocument, plan: Plan | None) -> str | None:
    """The stage the stepper marks: the status while working; at a review gate the stage it
    stopped before; when it stopped mid-way the plan's first stage (`Plan.stage`, as `plan` and
    `resume` read it; the stitch when only the stitch is left). None when no plan could be made
    (e.g. a provider no longer configured): no stage is marked."""
    status = document.status
    if status == ProjectStatus.OUT_OF_DATE:
        return document.stale_stage or ProjectStatus.STITCHING
    if stopped_midway(document):
        return (plan.stage or ProjectStatus.STITCHING) if plan is not None else None
    if status == ProjectStatus.PAUSED:
        return document.paused_before
    return status


def stepper(document: ProjectDocument, stage: str | None) -> list[Step]:
    """One entry per stage: done, current, failed or todo (`stage`: current_stage's answer)."""
    status = document.status
    at = STAGE_ORDER.index(stage) if stage in STAGE_ORDER else -1
    steps = []
    for index, (name, label) in enumerate(STAGES):
        if status == ProjectStatus.COMPLETE or index < at:
            state = "done"
        elif index == at:
            state = "failed" if status == ProjectStatus.FAILED else "current"
        else:
            state = "todo"
        short = SHORT_LABELS.get(name, label)
        steps.append(Step(stage=name, label=label, short=short, state=state))
    return steps


def chain(document: ProjectDocument) -> list[Frame]:
    """The keyframe chain as N+1 frames: frame k is scene k's end and scene k+1's start."""
    scenes = document.scenes
    if not scenes:
        return []
    frames = [Frame(0, scenes[0].start_keyframe_url, "Start of scene 1", shared=False)]
    for k, scene in enumerate(scenes):
        following = scenes[k + 1] if k + 1 < len(scenes) else None
        label = f"End of scene {k + 1}"
        if following is not None:
            label += f" = start of scene {k + 2}"
        # the next scene's start row inherits this very file (one image, two uses)
        shared = following is not None and following.start_keyframe_source == "inherited"
        frames.append(Frame(k + 1, scene.end_keyframe_url, label, shared))
    return frames


def run_rows(document: ProjectDocument) -> list[RunRow]:
    """Run history, newest first, with time and cost per step from each run's log."""
    rows = []
    for run in reversed(document.runs):
        log = run.log or {}
        steps = [
            RunStep(
                label=label,
                seconds=log[name].get("seconds"),
                cost=log[name].get("estimated_cost"),
                calls=log[name].get("provider_calls"),
            )
            for name, label in RUN_STEPS
            if name in log
        ]
        cost = sum(step.cost or 0.0 for step in steps)
        rows.append(RunRow(**dict(run), steps=steps, cost=cost))
    return rows


def jsonable(value: object) -> object:
    """A document inside a template's `tojson`: its JSON form."""
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def when(value: str | None) -> str:
    """An ISO timestamp as `2026-12-01 00:40 UTC` (the server's clock is UTC)."""
    if not value:
        return ""
    moment = datetime.fromisoformat(value)
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def seconds(value: float | None) -> str:
    if value is None:
        return "–"
    if value < 60:
        return f"{value:.1f} s"
    minutes, rest = divmod(round(value), 60)
    return f"{minutes} min {rest:02d} s"


def money(value: float | None) -> str:
    if value is None:
        return "–"
    return "$0" if value == 0 else f"${value:,.2f}" if value >= 0.01 else f"${value:.4f}"


# ---- Review and fix ---------------------------------------------------------------------------


def review_scenes(document: ProjectDocument, takes: list[list[TakeDocument]]) -> list[ReviewScene]:
    """Each scene with its takes by slot (oldest first), for side-by-side comparison, and the
    reference images it shows (the project's reference documents, by the scene's names);
    what its timeline card shows (duration, model, where the clip's poster frame is); and
    whether the last resume made it ("made in this run", until the next edit)."""
    references = {ref.name: ref for ref in document.references}
    fresh = made_in_last_run(document, takes)
    model = document.providers.video
    scenes = []
    for scene, scene_takes in zip(document.scenes, takes, strict=True):
        # the page's own take rows: each take's fields, and how it compares (added below)
        by_slot: dict[str, list[TakeRow]] = {"clip": [], "start": [], "end": []}
        for take in scene_takes:
            by_slot.setdefault(take.slot, []).append(TakeRow(**dict(take)))
        duration = scene.clip_duration or document.clip_duration
        number = scene.scene
        scenes.append(
            ReviewScene(
                **dict(scene),
                number=number,
                duration=duration,
                planned=not scene.clip_duration,  # no clip yet: the asked length
                poster_at=round(duration / 2, 2),
                clip_src=clip_source(scene.clip_url, by_slot["clip"]),
                # the model that made the clip in use (a take records it), else the provider
                model=next((t.model for t in by_slot["clip"] if t.selected and t.model), model),
                fresh=number in fresh,
                clip_takes=compared(by_slot["clip"]),
                all_prompts=all(t.prompt for t in by_slot["clip"]),
                frame_takes=[
                    t for slot in ("start", "end") for t in with_prompt_diffs(by_slot[slot])
                ],
                reference_images=[
                    references[name] for name in scene.references if name in references
                ],
                dialogue_text="\n".join(f"{line.speaker}: {line.line}" for line in scene.dialogue),
            )
        )
    return scenes


def clip_source(clip_url: str | None, clip_takes: list[TakeRow]) -> str | None:
    """Where the page plays the clip in use: its take's own address, which names one file that
    is never replaced, so a request the browser already made still finds it while a new take is
    being made (the scene's clip address answers 404 until the new one lands)."""
    if not clip_url:
        return None
    in_use = next((t.url for t in clip_takes if t.selected and t.url), None)
    return in_use or clip_url


def compared(clip_takes: list[TakeRow]) -> list[TakeRow]:
    """Each clip take with how it differs from the one in use: provider, direction, length, and
    its motion prompt word by word (takes made before prompts were stored have none)."""
    in_use = next((t for t in clip_takes if t.selected), None)
    shown = []
    for take in clip_takes:
        differences = []
        if in_use is not None and take is not in_use:
            if take.provider != in_use.provider:
                differences.append(f"made by {take.provider}, not {in_use.provider}")
            if (take.direction or "") != (in_use.direction or ""):
                if take.direction and in_use.direction:
                    differences.append("another direction than the take in use")
                elif take.direction:
                    differences.append("a direction; the take in use had none")
                else:
                    differences.append("no direction; the take in use had one")
            if take.duration and in_use.duration:
                if abs(take.duration - in_use.duration) >= 0.05:
                    differences.append(f"{take.duration:.1f} s long, not {in_use.duration:.1f} s")
            if not differences:
                differences.append("same provider and direction as the take in use")
        shown.append(take.model_copy(update={"differences": differences}))
    return with_prompt_diffs(shown)


def with_prompt_diffs(takes: list[TakeRow]) -> list[TakeRow]:
    """Takes of one slot, each with `prompt_diff`: its prompt's words against the selected
    take's (None when either prompt is unknown or for the selected take itself)."""
    from vidpipe.web.prompt_diff import word_diff

    in_use = next((t for t in takes if t.selected), None)
    base = in_use.prompt if in_use is not None else None
    return [
        take.model_copy(
            update={
                "prompt_diff": (
                    word_diff(base, take.prompt)
                    if take is not in_use and base and take.prompt
                    else None
                )
            }
        )
        for take in takes
    ]


EDITED_AFTER = timedelta(seconds=3)


def made_in_last_run(document: ProjectDocument, takes: list[list[TakeDocument]]) -> set[int]:
    """Scenes (1-based) with a take made by the latest run, when that run was a later one (a
    resume or redo, not the first generate), it has ended, and nothing was edited since (the
    plan is empty again): what a person looks at after a resume."""
    runs, plan = document.runs, document.plan
    if len(runs) < 2 or (plan is not None and plan.items) or document.running:
        return set()
    latest = runs[-1]
    if latest.status == RunStatus.RUNNING or not latest.started_at or not latest.completed_at:
        return set()
    since = datetime.fromisoformat(latest.started_at)
    ended = datetime.fromisoformat(latest.completed_at)
    # a write to the project after the run let go of it (a few seconds) is an edit or a choice
    if document.updated_at and datetime.fromisoformat(document.updated_at) > ended + (EDITED_AFTER):
        return set()
    return {
        number
        for number, scene_takes in enumerate(takes, start=1)
        if any(
            take.created_at and datetime.fromisoformat(take.created_at) >= since
            for take in scene_takes
        )
    }


def timeline(document: ProjectDocument, scenes: list[ReviewScene]) -> Timeline:
    """The whole video as the timeline shows it: the join between scenes (a cut, or the
    crossfade) and the total length (the crossfades overlap neighbouring clips)."""
    crossfade = document.crossfade or 0.0
    joins = max(0, len(scenes) - 1)
    total = sum(scene.duration for scene in scenes) - crossfade * joins
    return Timeline(
        join=f"crossfade {crossfade:g} s" if crossfade else "cut",
        total=max(0.0, total),
        planned=any(scene.planned for scene in scenes),
    )


def open_scene(requested: int | None, count: int) -> int:
    """The scene whose editor is open: the one asked for (a card, or the scene an action was
    about), else the first."""
    return requested if requested and 1 <= requested <= count else 1


def budget(document: ProjectDocument) -> Budget:
    """Spent so far, what the plan would add, and the budget it must fit (the whole ledger)."""
    ledger, plan = document.ledger, document.plan
    spent, planned = ledger.spent, plan.estimated_cost if plan is not None else 0.0
    limit = ledger.max_cost
    return Budget(
        spent=spent,
        planned=planned,
        total=spent + planned,
        max_cost=limit,
        over=limit is not None and spent + planned > limit,
    )


def crossfade_max(document: ProjectDocument) -> float:
    """The slider's end: just under the shortest clip (a crossfade must be shorter), ≤ 10 s."""
    durations = [s.clip_duration for s in document.scenes if s.clip_duration]
    shortest = min(durations or [document.clip_duration])
    return max(0.0, min(10.0, int(shortest * 20 - 1e-6) / 20))
