"""The plan is what a run hands its steps: its first stage, the chain positions to draw and the
scenes whose clips to make, read from its items; a step given no plan refuses to guess."""

import pytest

from vidpipe.db.statuses import ProjectStatus
from vidpipe.errors import PipelineError
from vidpipe.pipeline.context import PipelineContext
from vidpipe.pipeline.plan import Plan, PlannedItem


def item(
    kind: str, scene: int | None = None, position: str | None = None, **extra: int
) -> PlannedItem:
    return PlannedItem(kind, scene, position, "missing", 0.0, **extra)


def test_an_up_to_date_project_has_no_stage() -> None:
    assert Plan().stage is None


@pytest.mark.parametrize(
    ("first", "stage"),
    [
        (item("storyboard"), ProjectStatus.STORYBOARDING),
        (item("keyframe", 2, "end"), ProjectStatus.KEYFRAMING),
        (item("clip", 1), ProjectStatus.VIDEO_GEN),
        (item("narration", 1), ProjectStatus.STITCHING),
        (item("stitch"), ProjectStatus.STITCHING),
        (item("mix"), ProjectStatus.STITCHING),
    ],
)
def test_the_stage_is_that_of_the_first_item(first: PlannedItem, stage: ProjectStatus) -> None:
    assert Plan([first, item("stitch")]).stage == stage


def test_the_steps_items_come_from_the_plan() -> None:
    plan = Plan(
        [
            item("keyframe", 1, "end", reuse=3),  # selected at the start of the run, not drawn
            item("keyframe", 1, "start"),
            item("keyframe", 1, "end"),
            item("keyframe", 2, "end"),
            item("clip", 2),
            item("clip", 3, reuse=1),
            item("clip", 4),
            item("stitch"),
        ]
    )
    assert plan.keyframe_positions == [0, 1, 2]  # chain positions: 0 is scene 1's start frame
    assert plan.clip_scene_indexes == {1, 3}  # 0-based, as the scenes' rows count
    assert plan.stitch and not plan.mix


def test_a_narration_item_names_its_line_and_a_mix_item_is_free() -> None:
    plan = Plan([item("narration", 2, line=0), item("narration", 2, line=1), item("mix")])
    assert plan.lines == {(1, 0), (1, 1)}  # (scene index, line index): what the sound step speaks
    assert plan.mix and not plan.stitch
    document = plan.document()
    assert [(i.kind, i.scene, i.line) for i in document.items] == [
        ("narration", 2, 0), ("narration", 2, 1), ("mix", None, None),
    ]  # fmt: skip
    assert (document.mix, document.stitch, document.estimated_cost) == (True, False, 0.0)
    assert document.as_json()["items"][1]["line"] == 1
    assert plan.provider_calls() == {"storyboard": 0, "image": 0, "video": 0, "narration": 2}


def test_a_step_run_without_a_plan_refuses() -> None:
    ctx = PipelineContext(settings=None, providers=None, storage=None)  # type: ignore[arg-type]
    with pytest.raises(PipelineError, match="without a plan"):
        ctx.planned()
