"""The page's stepper for a project that stopped mid-way marks the stage a resume re-enters: the
plan's first stage (`Plan.stage`, as `plan` and `resume` read it), not a guess from the rows."""

from __future__ import annotations

from typing import Any

from vidpipe.api.schemas import ProjectDocument, SceneDocument
from vidpipe.pipeline.plan import Plan, PlannedItem
from vidpipe.web import views


def document(status: str, **fields: Any) -> ProjectDocument:
    """The fields the stepper reads (the rest are not needed here)."""
    return ProjectDocument.model_construct(
        status=status, paused_before=None, stale_stage=None, **fields
    )


def states(document: ProjectDocument, plan: Plan | None) -> dict[str, str]:
    stage = views.current_stage(document, plan)
    return {step.stage: step.state for step in views.stepper(document, stage)}


def test_a_failed_project_marks_the_plans_first_stage_even_when_its_rows_look_done() -> None:
    # every row is there (frames, a complete clip), but a keyframe file is missing: the plan
    # redraws it first
    done = SceneDocument.model_construct(
        start_keyframe_path="k/0.png", end_keyframe_path="k/1.png", clip_status="complete"
    )
    plan = Plan(items=[PlannedItem("keyframe", 1, "end", "missing file", 0.0)])
    assert states(document("failed", scenes=[done], output_path=None), plan) == {
        "storyboarding": "done",
        "keyframing": "failed",
        "video_gen": "todo",
        "stitching": "todo",
        "complete": "todo",
    }


def test_a_stopped_project_with_only_the_stitch_left_is_current_at_the_stitch() -> None:
    stitch = Plan(items=[PlannedItem("stitch", None, None, "missing", 0.0)])
    assert states(document("stopped"), stitch)["stitching"] == "current"
    assert states(document("stopped"), Plan())["stitching"] == "current"  # nothing left to make


def test_paused_at_a_gate_marks_the_stage_it_stopped_before_without_a_plan() -> None:
    paused = document("paused")
    paused.paused_before = "video_gen"
    assert not views.stopped_midway(paused)
    assert states(paused, None)["video_gen"] == "current"
    assert states(paused, None)["keyframing"] == "done"


def test_without_a_plan_no_stage_is_marked() -> None:
    # e.g. a provider no longer configured: the plan cannot be made
    assert set(states(document("failed"), None).values()) == {"todo"}
