"""Schemathesis against the served /openapi.json: every operation, schema-generated requests,
schemathesis's default checks (no 5xx, status codes, content types, response schemas, ...), on an
open server and on one with a token (where everything but the health check must be a described 401).

In process through the ASGI app; schemathesis starts its lifespan on the first request. `generate`
is real up to the queue: validation, the capability and budget checks, the project row; the queued
run itself is a no-op here, so the fuzzer cannot start expensive renders (real runs have their own
tests). The schema is the app's own document, the one served at /openapi.json (checked below);
it is built at import without starting anything.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from pydantic import SecretStr
from schemathesis.python.asgi import get_client, shutdown_lifespans
from schemathesis.specs.openapi.checks import positive_data_acceptance
from sqlalchemy.ext.asyncio import AsyncSession

from vidpipe.api import create_app
from vidpipe.config import Settings
from vidpipe.pipeline.context import ProgressCallback

# Hypothesis keeps a cache beside the working directory unless told otherwise
os.environ.setdefault(
    "HYPOTHESIS_STORAGE_DIRECTORY", str(Path(tempfile.gettempdir()) / "vidpipe-hypothesis")
)

WORKDIR = Path(tempfile.gettempdir()) / f"vidpipe-schemathesis-{uuid.uuid4().hex}"  # made lazily


async def queued_only(
    session: AsyncSession, project_id: uuid.UUID, progress: ProgressCallback
) -> None:
    return None


app = create_app(
    Settings(
        data_dir=WORKDIR / "data",
        database_url=f"sqlite+aiosqlite:///{WORKDIR / 'db.sqlite'}",
        allowed_hosts="testserver",  # the test client's Host
    ),
    execute=queued_only,
)
schema = schemathesis.openapi.from_dict(app.openapi())
schema.app = app

guarded_app = create_app(
    Settings(
        data_dir=WORKDIR / "guarded",
        database_url=f"sqlite+aiosqlite:///{WORKDIR / 'guarded.sqlite'}",
        api_token=SecretStr("s3cret"),
        allowed_hosts="testserver",
        login_attempts=10_000,  # the generated cases guess tokens far more often than that
    ),
    execute=queued_only,
)
guarded = schemathesis.openapi.from_dict(guarded_app.openapi())
guarded.app = guarded_app


@pytest.fixture(scope="module", autouse=True)
def stop_the_app() -> Iterator[None]:
    yield
    shutdown_lifespans()
    shutil.rmtree(WORKDIR, ignore_errors=True)


def test_the_schema_is_the_served_document() -> None:
    with get_client(app) as client:
        assert client.get("/openapi.json").json() == app.openapi()


def only_the_unstated_rule_rejects(
    ctx: schemathesis.CheckContext, response: schemathesis.Response, case: schemathesis.Case
) -> None:
    """Stands in for `positive_data_acceptance` on generate: a schema-valid body may be refused
    only for the rules JSON Schema cannot state (crossfade shorter than clip_duration; a
    reference names an uploaded image, each name once; the music an uploaded bed; a model is one
    the catalog has, for its role, not shut down, of a known provider)."""
    unstated = (
        "shorter than the clip duration",
        "no uploaded reference",
        "no uploaded music",
        "duplicate reference",
        " model ",
        "provider",
    )
    if case.meta is not None and case.meta.generation.mode.is_positive:
        if response.status_code == 422:
            messages = [error["msg"] for error in response.json()["detail"]]
            assert all(any(rule in m for rule in unstated) for m in messages), messages
        else:
            assert response.status_code == 202, response.text


@schema.parametrize()
# 30 cases per operation, valid and invalid ones mixed: every operation and its answers are still
# met; 100 cost a minute of CPU more for the same routes
@settings(max_examples=30, deadline=None, database=None, suppress_health_check=list(HealthCheck))
def test_every_operation_conforms_to_the_openapi_description(case: schemathesis.Case) -> None:
    if case.operation.label == "POST /api/generate":
        case.call_and_validate(
            excluded_checks=[positive_data_acceptance],
            additional_checks=[only_the_unstated_rule_rejects],
        )
    elif case.operation.label == "POST /api/references":
        case.call_and_validate(
            excluded_checks=[positive_data_acceptance],
            additional_checks=[only_images_are_accepted],
        )
    elif case.operation.label == "POST /api/music":
        case.call_and_validate(
            excluded_checks=[positive_data_acceptance],
            additional_checks=[only_audio_is_accepted],
        )
    else:
        case.call_and_validate()


def only_images_are_accepted(
    ctx: schemathesis.CheckContext, response: schemathesis.Response, case: schemathesis.Case
) -> None:
    """An upload's bytes must be an image (which JSON Schema cannot say): any other file is
    one 422 saying so; nothing else is refused."""
    if case.meta is not None and case.meta.generation.mode.is_positive:
        assert response.status_code in (201, 422), response.text
        if response.status_code == 422:
            (error,) = response.json()["detail"]
            assert error["loc"] == ["body", "file"] and "image" in error["msg"], error


def only_audio_is_accepted(
    ctx: schemathesis.CheckContext, response: schemathesis.Response, case: schemathesis.Case
) -> None:
    """A music upload's bytes must be audio (which JSON Schema cannot say): any other file is
    one 422 saying so, without naming where the server kept it; nothing else is refused."""
    if case.meta is not None and case.meta.generation.mode.is_positive:
        assert response.status_code in (201, 422), response.text
        if response.status_code == 422:
            (error,) = response.json()["detail"]
            assert error["loc"] == ["body", "file"] and "audio" in error["msg"], error
            assert "/" not in error["msg"], error


@guarded.parametrize()
@settings(max_examples=15, deadline=None, database=None, suppress_health_check=list(HealthCheck))
def test_with_a_token_set_requests_without_it_get_the_described_401(
    case: schemathesis.Case,
) -> None:
    response = case.call_and_validate()
    if case.operation.path != "/api/health":
        assert response.status_code == 401
