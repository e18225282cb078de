"""Bad input: 422 with field errors, and nothing written or run (the CLI's rules)."""

from __future__ import annotations

import html
import re
from pathlib import Path

import httpx
import pytest
from api_helpers import Recorder, serving
from fastapi import FastAPI
from pydantic import SecretStr
from sqlalchemy import func, select

from vidpipe.config import Settings
from vidpipe.db.models import Project

BAD_BODIES = [
    ({"prompt": ""}, "prompt", "must not be empty"),
    ({"prompt": "   "}, "prompt", "must not be empty"),
    ({"prompt": "x" * 4001}, "prompt", "at most 4000 characters"),
    ({}, "prompt", "Field required"),
    ({"prompt": "a fox", "aspect_ratio": "7:3"}, "aspect_ratio", "'16:9', '9:16' or '1:1'"),
    ({"prompt": "a fox", "resolution": "4k"}, "resolution", "'480p', '720p' or '1080p'"),
    ({"prompt": "a fox", "scenes": 0}, "scenes", "greater than or equal to 1"),
    ({"prompt": "a fox", "scenes": 21}, "scenes", "less than or equal to 20"),
    ({"prompt": "a fox", "scenes": "many"}, "scenes", "valid integer"),
    ({"prompt": "a fox", "clip_duration": 0}, "clip_duration", "greater than 0"),
    # within the schema, beyond the local video provider's capabilities
    ({"prompt": "a fox", "clip_duration": 11}, "clip_duration", "takes 1 to 10 seconds"),
    ({"prompt": "a fox", "clip_duration": 0.5}, "clip_duration", "takes 1 to 10 seconds"),
    ({"prompt": "a fox", "crossfade": -1}, "crossfade", "greater than or equal to 0"),
    ({"prompt": "a fox", "max_cost": -0.01}, "max_cost", "greater than or equal to 0"),
    ({"prompt": "a fox", "colour": "red"}, "colour", "Extra inputs are not permitted"),
]


@pytest.mark.parametrize(("body", "field", "message"), BAD_BODIES)
async def test_bad_generate_bodies_get_422_naming_the_field(
    sqlite_settings: Settings, recorder: Recorder, tmp_path: Path, body: dict, field: str,
    message: str,
) -> None:  # fmt: skip
    async with serving(sqlite_settings, execute=recorder) as (app, client):
        response = await client.post("/api/generate", json=body)
        assert response.status_code == 422, response.text
        errors = response.json()["detail"]
        assert errors[0]["loc"] == ["body", field]
        assert message in errors[0]["msg"]
        await _assert_nothing_written(app, recorder, tmp_path)


async def test_cross_field_rule_and_malformed_bodies(
    sqlite_settings: Settings, recorder: Recorder, tmp_path: Path
) -> None:
    async with serving(sqlite_settings, execute=recorder) as (app, client):
        crossfade = await client.post(
            "/api/generate", json={"prompt": "a fox", "clip_duration": 2, "crossfade": 2}
        )
        assert crossfade.status_code == 422
        (error,) = crossfade.json()["detail"]
        assert "shorter than the clip duration" in error["msg"]
        assert error["loc"] == ["body", "crossfade"]  # the rule's field, as the page shows it
        for content in (b"{not json", b"[]", b'"a fox"', b""):
            response = await client.post(
                "/api/generate", content=content, headers={"Content-Type": "application/json"}
            )
            assert response.status_code == 422, content
        form = await client.post("/api/generate", data={"prompt": "a fox"})
        assert form.status_code == 422
        stitch = await client.post(
            "/api/projects/00000000-0000-0000-0000-000000000000/stitch", json={"crossfade": 99}
        )
        assert stitch.status_code == 404  # an unknown project is reported before its options
        unknown = "/api/projects/00000000-0000-0000-0000-000000000000"
        for path in (f"{unknown}/storyboard", f"{unknown}/scenes/1", unknown):  # so are edits
            edit = await client.patch(path, json={"bogus": 1}, headers={"If-Match": '"1"'})
            assert edit.status_code == 404, (path, edit.text)
        await _assert_nothing_written(app, recorder, tmp_path)


async def _assert_nothing_written(app: FastAPI, recorder: Recorder, tmp_path: Path) -> None:
    async with app.state.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Project)) == 0
    assert recorder.calls == [] and app.state.runner.active_count == 0
    assert not (tmp_path / "data").exists(), "a project folder was created"


UNMADE_MODELS = [
    # no provider has this name: the line names the providers there are, not a setting
    ("nope:some-model", "unknown video provider 'nope' (known: comfyui, fal, google, local, sim)"),
    # a provider that needs a key nobody set
    ("fal:fal-ai/wan-flf2v", "the fal provider needs an API key: set FAL_KEY (or VIDPIPE_FAL_KEY)"),
]


@pytest.mark.parametrize(("model", "message"), UNMADE_MODELS)
async def test_a_chosen_model_whose_provider_cannot_be_made_is_refused_at_its_field(
    sqlite_settings: Settings,
    recorder: Recorder,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    model: str,
    message: str,
) -> None:
    monkeypatch.delenv("FAL_KEY", raising=False)
    async with serving(sqlite_settings, execute=recorder) as (app, client):
        body = {"prompt": "a fox", "scenes": 1, "clip_duration": 1, "video_model": model}
        response = await client.post("/api/generate", json=body)
        assert response.status_code == 422, response.text
        (error,) = response.json()["detail"]
        assert error["loc"] == ["body", "video_model"]
        assert error["msg"] == f"invalid video_model: {message}"  # whole, not cut at 120
        estimate = await client.get("/api/estimate", params={"video_model": model})
        # first the model's own refusal (the model's limits may follow: it is priced still)
        problem = estimate.json()["problems"][0]
        assert problem["loc"] == ["query", "video_model"], problem
        assert not estimate.json()["free"]
        # the page's form: the message next to the Clip model, not next to another field
        token = csrf_of(await client.get("/new"))
        form = {"prompt": "a fox", "scenes": "1", "clip_duration": "1", "csrf_token": token}
        page = await client.post("/new", data={**form, "video_model": model})
        assert page.status_code == 422
        shown = html.escape(message).replace("&#x27;", "&#39;")  # as Jinja writes it
        assert f'id="err-video_model">{shown}</p>' in page.text
        assert 'id="err-crossfade" hidden>' in page.text
        await _assert_nothing_written(app, recorder, tmp_path)


async def test_a_nul_character_is_refused_before_anything_is_written(
    sqlite_settings: Settings, recorder: Recorder, tmp_path: Path
) -> None:
    """PostgreSQL cannot store a NUL in text (the insert failed with a 500): it is no text."""
    async with serving(sqlite_settings, execute=recorder) as (app, client):
        for body in ({"prompt": "a fox\u0000"}, {"prompt": "a fox", "style": "\u0000"}):
            response = await client.post("/api/generate", json=body)
            assert response.status_code == 422, response.text
            (error,) = response.json()["detail"]
            assert error["loc"] == ["body"] and "NUL character" in error["msg"]
        token = csrf_of(await client.get("/new"))
        form = {"prompt": "a fox\u0000", "scenes": "1", "clip_duration": "1", "csrf_token": token}
        page = await client.post("/new", data=form)
        assert page.status_code == 400 and "NUL character" in page.text
        await _assert_nothing_written(app, recorder, tmp_path)
    # with a token, a client without it learns nothing from its body but 401
    locked = sqlite_settings.model_copy(update={"api_token": SecretStr("t0ken-for-this-test")})
    async with serving(locked, execute=recorder) as (app, client):
        for body in ('{"prompt": "a fox\\u0000"}', '{"prompt": "a fox", "max_cost": NaN}'):
            headers = {"Content-Type": "application/json"}
            refused = await client.post("/api/generate", content=body, headers=headers)
            assert refused.status_code == 401, (body, refused.text)
            headers["Authorization"] = "Bearer t0ken-for-this-test"
            refused = await client.post("/api/generate", content=body, headers=headers)
            assert refused.status_code == 422, (body, refused.text)
        await _assert_nothing_written(app, recorder, tmp_path)


def csrf_of(page: httpx.Response) -> str:
    match = re.search(r'name="csrf-token" content="([^"]+)"', page.text)
    assert match, page.text[:300]
    return match.group(1)
