"""What the templates show, computed from the API's documents (documents.py, report.py).

Presentation only: which stage of the stepper is current, the keyframe chain as N+1 frames, a
run's steps as rows. The rules themselves (where a resume re-enters, what is missing) are the
orchestrator's; this module only arranges their answers for a person.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel

from vidpipe.api.schemas import ProjectDocument, TakeDocument
from vidpipe.db.statuses import ClipStatus, ProjectStatus, RunStatus
from vidpipe.orchestrator.state import PIPELINE_STATES, STAGE_NAMES, get_resume_step

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


def completed_steps(document: ProjectDocument) -> dict[str, bool]:
    """The `completed_steps` get_resume_step reads, from the detail document's rows."""
    scenes = document.scenes
    return {
        "has_storyboard": bool(scenes),
        "has_keyframes": bool(scenes)
        and all(s.start_keyframe_path and s.end_keyframe_path for s in scenes),
        "has_clips": bool(scenes) and all(s.clip_status == ClipStatus.COMPLETE for s in scenes),
        "has_output": bool(document.output_path),
    }


def current_stage(document: ProjectDocument) -> str:
    """The stage the stepper marks: the status while working; where it stopped when failed."""
    status = document.status
    if status == ProjectStatus.PAUSED:  # at a review gate: the stage it stopped before
        return document.paused_before or get_resume_step(status, completed_steps(document))
    if status == ProjectStatus.OUT_OF_DATE:
        return document.stale_stage or ProjectStatus.STITCHING
    if status in (ProjectStatus.FAILED, ProjectStatus.STOPPED):
        return get_resume_step(status, completed_steps(document))
    return status


def stepper(document: ProjectDocument) -> list[dict[str, str]]:
    """One entry per stage: done, current, failed or todo."""
    status, stage = document.status, current_stage(document)
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
        steps.append({"stage": name, "label": label, "short": short, "state": state})
    return steps


def chain(document: ProjectDocument) -> list[dict[str, Any]]:
    """The keyframe chain as N+1 frames: frame k is scene k's end and scene k+1's start."""
    scenes = document.scenes
    if not scenes:
        return []
    frames = [
        {
            "position": 0,
            "url": scenes[0].start_keyframe_url,
            "label": "Start of scene 1",
            "shared": False,
        }
    ]
    for k, scene in enumerate(scenes):
        following = scenes[k + 1] if k + 1 < len(scenes) else None
        label = f"End of scene {k + 1}"
        if following is not None:
            label += f" = start of scene {k + 2}"
        frames.append(
            {
                "position": k + 1,
                "url": scene.end_keyframe_url,
                "label": label,
                # the next scene's start row inherits this very file (one image, two uses)
                "shared": following is not None and following.start_keyframe_source == "inherited",
            }
        )
    return frames


def run_rows(document: ProjectDocument) -> list[dict[str, Any]]:
    """Run history, newest first, with time and cost per step from each run's log."""
    rows = []
    for run in reversed(document.runs):
        log = run.log or {}
        steps = [
            {
                "label": label,
                "seconds": log[name].get("seconds"),
                "cost": log[name].get("estimated_cost"),
                "calls": log[name].get("provider_calls"),
            }
            for name, label in RUN_STEPS
            if name in log
        ]
        rows.append(
            {
                **dict(run),
                "steps": steps,
                "cost": sum(step["cost"] or 0.0 for step in steps),
            }
        )
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


def review_scenes(
    document: ProjectDocument, takes: list[list[TakeDocument]]
) -> list[dict[str, Any]]:
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
        by_slot: dict[str, list[dict[str, Any]]] = {"clip": [], "start": [], "end": []}
        for take in scene_takes:
            by_slot.setdefault(take.slot, []).append(dict(take))
        duration = scene.clip_duration or document.clip_duration
        number = scene.scene
        scenes.append(
            {
                **dict(scene),
                "number": number,
                "duration": duration,
                "planned": not scene.clip_duration,  # no clip yet: the asked length
                "poster_at": round(duration / 2, 2),
                "clip_src": clip_source(scene.clip_url, by_slot["clip"]),
                # the model that made the clip in use (a take records it), else the provider
                "model": next(
                    (t.get("model") for t in by_slot["clip"] if t["selected"] and t.get("model")),
                    model,
                ),
                "fresh": number in fresh,
                "clip_takes": compared(by_slot["clip"]),
                "all_prompts": all(t.get("prompt") for t in by_slot["clip"]),
                "frame_takes": [
                    t for slot in ("start", "end") for t in with_prompt_diffs(by_slot[slot])
                ],
                "reference_images": [
                    references[name] for name in scene.references if name in references
                ],
                # the dialogue as the scene form's text box holds it
                "dialogue_text": "\n".join(
                    f"{line.speaker}: {line.line}" for line in scene.dialogue
                ),
            }
        )
    return scenes


def clip_source(clip_url: str | None, clip_takes: list[dict[str, Any]]) -> str | None:
    """Where the page plays the clip in use: its take's own address, which names one file that
    is never replaced, so a request the browser already made still finds it while a new take is
    being made (the scene's clip address answers 404 until the new one lands)."""
    if not clip_url:
        return None
    in_use = next((t["url"] for t in clip_takes if t["selected"] and t.get("url")), None)
    return in_use or clip_url


def compared(clip_takes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each clip take with how it differs from the one in use: provider, direction, length, and
    its motion prompt word by word (takes made before prompts were stored have none)."""
    in_use = next((t for t in clip_takes if t["selected"]), None)
    shown = []
    for take in clip_takes:
        differences = []
        if in_use is not None and take is not in_use:
            if take["provider"] != in_use["provider"]:
                differences.append(f"made by {take['provider']}, not {in_use['provider']}")
            if (take["direction"] or "") != (in_use["direction"] or ""):
                if take["direction"] and in_use["direction"]:
                    differences.append("another direction than the take in use")
                elif take["direction"]:
                    differences.append("a direction; the take in use had none")
                else:
                    differences.append("no direction; the take in use had one")
            if take.get("duration") and in_use.get("duration"):
                if abs(take["duration"] - in_use["duration"]) >= 0.05:
                    differences.append(
                        f"{take['duration']:.1f} s long, not {in_use['duration']:.1f} s"
                    )
            if not differences:
                differences.append("same provider and direction as the take in use")
        shown.append({**take, "differences": differences})
    return with_prompt_diffs(shown)


def with_prompt_diffs(takes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Takes of one slot, each with `prompt_diff`: its prompt's words against the selected
    take's (None when either prompt is unknown or for the selected take itself)."""
    from vidpipe.web.prompt_diff import word_diff

    in_use = next((t for t in takes if t["selected"]), None)
    base = in_use.get("prompt") if in_use is not None else None
    return [
        {
            **take,
            "prompt_diff": (
                word_diff(base, take["prompt"])
                if take is not in_use and base and take.get("prompt")
                else None
            ),
        }
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


def timeline(document: ProjectDocument, scenes: list[dict[str, Any]]) -> dict[str, Any]:
    """The whole video as the timeline shows it: the join between scenes (a cut, or the
    crossfade) and the total length (the crossfades overlap neighbouring clips)."""
    crossfade = document.crossfade or 0.0
    joins = max(0, len(scenes) - 1)
    total = sum(scene["duration"] for scene in scenes) - crossfade * joins
    return {
        "join": f"crossfade {crossfade:g} s" if crossfade else "cut",
        "total": max(0.0, total),
        "planned": any(scene["planned"] for scene in scenes),
    }


def open_scene(requested: int | None, count: int) -> int:
    """The scene whose editor is open: the one asked for (a card, or the scene an action was
    about), else the first."""
    return requested if requested and 1 <= requested <= count else 1


def budget(document: ProjectDocument) -> dict[str, Any]:
    """Spent so far, what the plan would add, and the budget it must fit (the whole ledger)."""
    ledger, plan = document.ledger, document.plan
    spent, planned = ledger.spent, plan.estimated_cost if plan is not None else 0.0
    limit = ledger.max_cost
    return {
        "spent": spent,
        "planned": planned,
        "total": spent + planned,
        "max_cost": limit,
        "over": limit is not None and spent + planned > limit,
    }


def crossfade_max(document: ProjectDocument) -> float:
    """The slider's end: just under the shortest clip (a crossfade must be shorter), ≤ 10 s."""
    durations = [s.clip_duration for s in document.scenes if s.clip_duration]
    shortest = min(durations or [document.clip_duration])
    return max(0.0, min(10.0, int(shortest * 20 - 1e-6) / 20))
