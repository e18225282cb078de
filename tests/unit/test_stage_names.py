"""One stage vocabulary for people: the CLI's status and list, the page's badge, stepper and run
steps all name a working stage the same way; the machine values stay the `status` in JSON."""

from __future__ import annotations

from vidpipe.cli.views import _status
from vidpipe.orchestrator.state import PIPELINE_STATES, STAGE_NAMES, status_label
from vidpipe.web import views
from vidpipe.web.routes import templates


def test_each_working_status_has_one_human_name_used_by_every_surface() -> None:
    assert STAGE_NAMES == {
        "storyboarding": "Storyboard",
        "keyframing": "Keyframes",
        "video_gen": "Clips",
        "stitching": "Stitch",
    }
    assert set(STAGE_NAMES) <= set(PIPELINE_STATES)  # the machine values are statuses
    badge = templates.env.from_string("{{ s | status_label }}")
    for status, name in STAGE_NAMES.items():
        assert status_label(status) == name
        assert badge.render(s=status) == name  # the page's badges
        assert views.STAGE_LABELS[status] == name  # the stepper
        assert name in _status(status) and status not in _status(status)  # status, list
    assert [label for _, label in views.RUN_STEPS] == list(STAGE_NAMES.values())
    assert status_label("out_of_date") == "out of date"  # other statuses in plain words
    assert status_label("complete") == "complete"
