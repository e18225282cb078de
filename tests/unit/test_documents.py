"""The documents are one set of models: the API's response schemas extend them (adding only
URLs and live progress), and the CLI's JSON leaves out what a document was built without."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pydantic import BaseModel, ValidationError

from vidpipe import documents
from vidpipe.api import schemas
from vidpipe.db.models import Project, Scene
from vidpipe.db.statuses import ProjectStatus
from vidpipe.orchestrator.report import project_document
from vidpipe.storage import ProjectStorage

# What only an HTTP client needs, beside the shared fields.
API_ONLY = {
    schemas.ProjectSummary: {"status_url", "download_url"},
    schemas.ProjectStatusDocument: {"status_url", "download_url", "progress"},
    schemas.ProjectDocument: {"status_url", "download_url", "progress", "subtitles_url"},
    schemas.SceneDocument: {"start_keyframe_url", "end_keyframe_url", "clip_url"},
    schemas.ReferenceDocument: {"url"},
    schemas.AudioDocument: {"url"},
    schemas.TakeDocument: {"url"},
    schemas.TakesDocument: set(),
}


@pytest.mark.parametrize("api", list(API_ONLY), ids=lambda model: model.__name__)
def test_each_api_document_is_the_shared_one_plus_urls(api: type[BaseModel]) -> None:
    shared = next(base for base in api.__mro__ if base.__module__ == "vidpipe.documents")
    assert issubclass(api, shared)
    assert set(api.model_fields) - set(shared.model_fields) == API_ONLY[api]


def test_the_api_reuses_the_shared_models_it_does_not_extend() -> None:
    fields = schemas.ProjectDocument.model_fields
    assert fields["plan"].annotation == documents.PlanDocument | None
    assert fields["ledger"].annotation is documents.Ledger
    assert fields["providers"].annotation is documents.Providers
    assert schemas.PlanDocument is documents.PlanDocument
    assert schemas.Health.model_fields["workers"].annotation == list[documents.WorkerDocument]


def test_the_status_is_the_database_enum() -> None:
    assert documents.ProjectSummary.model_fields["status"].annotation is ProjectStatus


def project(tmp_path: Path) -> tuple[Project, ProjectStorage]:
    found = Project(
        id=uuid.uuid4(),
        prompt="a lighthouse",
        style="cinematic",
        aspect_ratio="16:9",
        resolution="480p",
        clip_duration=2.0,
        crossfade=0.0,
        storyboard_provider="local",
        image_provider="local",
        video_provider="local",
        status="complete",
        storyboard_version=1,
        created_at=datetime(2026, 12, 1, tzinfo=UTC),
        updated_at=datetime(2026, 12, 1, tzinfo=UTC),
    )
    found.scenes = [
        Scene(
            scene_index=0,
            scene_description="dawn",
            start_frame_prompt="a",
            end_frame_prompt="b",
            video_motion_prompt="c",
            transition_notes="",
        )
    ]
    return found, ProjectStorage(tmp_path, found.id)


def test_without_a_plan_the_cli_json_has_no_plan_and_no_stale_marks(tmp_path: Path) -> None:
    found, storage = project(tmp_path)
    printed = project_document(found, storage).as_json()
    assert "plan" not in printed and "stale" not in printed["scenes"][0]
    assert printed["id"] == str(found.id) and printed["status"] == "complete"
    assert printed["ledger"] == {
        "estimated_cost": None,
        "spent": 0.0,
        "max_cost": None,
        "billed_calls": 0,
        "attempts": [],
    }


def test_with_a_plan_each_scene_says_whether_it_is_stale(tmp_path: Path) -> None:
    found, storage = project(tmp_path)
    plan = documents.PlanDocument(
        storyboard=False,
        keyframes=[],
        clips=[1],
        resubmit_unknown=[],
        stitch=True,
        provider_calls={"video": 1},
        estimated_cost=0.5,
        items=[],
    )
    printed = project_document(found, storage, plan).as_json()
    assert printed["scenes"][0]["stale"] is True
    assert printed["plan"]["clips"] == [1] and printed["plan"]["reuse"] == []


def test_a_misspelt_field_is_refused_when_a_document_is_built() -> None:
    with pytest.raises(ValidationError):
        documents.Runner(host="h", pid=1, pids=2)  # type: ignore[call-arg]
