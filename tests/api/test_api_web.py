"""The page's HTTP rules in process: the estimate endpoint, CSRF on every write
from a browser, the session cookie standing in for the bearer token, and forms that write
nothing on bad input."""

from __future__ import annotations

import re
import uuid

import httpx
import pytest
from api_helpers import TINY, Recorder, serving
from pydantic import SecretStr
from sqlalchemy import func, select

from vidpipe.api.auth import SESSION_COOKIE
from vidpipe.config import Settings
from vidpipe.db.models import Project
from vidpipe.orchestrator.projects import GenerateOptions, estimate_cost
from vidpipe.providers.registry import load_registry
from vidpipe.web.routes import safe_next
from vidpipe.web.security import CSRF_COOKIE

TOKEN = "page-token-123"


async def count(app) -> int:  # type: ignore[no-untyped-def]
    async with app.state.sessions() as session:
        return await session.scalar(select(func.count()).select_from(Project)) or 0


def csrf_of(response: httpx.Response) -> str:
    match = re.search(r'name="csrf-token" content="([^"]+)"', response.text)
    assert match, response.text[:500]
    return match.group(1)


async def test_the_estimate_is_generates_own_figure_and_names_what_generate_would_refuse(
    sqlite_settings: Settings, recorder: Recorder
) -> None:
    priced = sqlite_settings.model_copy(
        update={
            "video_provider": "google",
            "google_api_key": SecretStr("key"),
            "google_vertexai": True,
            "prices": {"google:video": 0.5, "local:image": 0.0},
        }
    )
    providers = load_registry().build(priced, "local", "local", "google")
    async with serving(priced, execute=recorder) as (app, client):
        response = await client.get("/api/estimate", params={"scenes": 3, "clip_duration": 6})
        assert response.status_code == 200, response.text
        body = response.json()
        expected = estimate_cost(GenerateOptions(prompt="x", scenes=3, clip_duration=6), providers)
        assert body["estimated_cost"] == pytest.approx(expected) == pytest.approx(9.0)
        assert body["providers"] == {"storyboard": "local", "image": "local", "video": "google"}
        assert body["accepted"] and body["problems"] == [] and not body["free"]
        # no scene count: priced at the writer's maximum, as generate does
        assert (await client.get("/api/estimate", params={"clip_duration": 4})).json()[
            "scenes"
        ] == 5
        # what generate refuses comes back as its field errors, with the figure
        body = (
            await client.get(
                "/api/estimate",
                params={"scenes": 2, "clip_duration": 5, "max_cost": 1, "crossfade": 6},
            )
        ).json()
        fields = {problem["loc"][-1]: problem["msg"] for problem in body["problems"]}
        assert set(fields) == {"clip_duration", "crossfade", "max_cost"}, fields
        assert "takes 4, 6, 8 seconds" in fields["clip_duration"]
        assert "budget exceeded" in fields["max_cost"]
        assert not body["accepted"] and body["estimated_cost"] == pytest.approx(5.0)
        # outside the schema: 422 like any endpoint
        assert (await client.get("/api/estimate", params={"scenes": 0})).status_code == 422
        # the form offers what the provider takes and shows the same figure before any typing
        page = (await client.get("/new")).text
        assert re.search(r'<select id="clip_duration"', page)
        durations = re.search(r'<select id="clip_duration".*?</select>', page, re.S)
        assert re.findall(r'<option value="(\d+)"', durations.group(0)) == ["4", "6", "8"]
        assert '<output id="estimate" form="generate" aria-live="polite">$10.00</output>' in page
        assert "<dt>Clips</dt><dd>google</dd>" in page
        # and it wrote nothing
        assert await count(app) == 0 and recorder.calls == []


async def test_page_forms_refuse_writes_without_the_csrf_token_and_write_nothing(
    sqlite_settings: Settings, recorder: Recorder
) -> None:
    async with serving(sqlite_settings, execute=recorder) as (app, client):
        form = {"prompt": "a fox", "scenes": "1", "clip_duration": "1", "resolution": "480p"}
        # no cookie, no field
        assert (await client.post("/new", data=form)).status_code == 403
        page = await client.get("/new")
        token = csrf_of(page)
        assert client.cookies[CSRF_COOKIE] == token
        # cookie but no field; field but another cookie
        assert (await client.post("/new", data=form)).status_code == 403
        wrong = {**form, "csrf_token": "x" * 43}
        assert (await client.post("/new", data=wrong)).status_code == 403
        assert await count(app) == 0
        # bad input with the token: 422, the message next to the field, nothing written
        bad = {**form, "csrf_token": token, "clip_duration": "0.5", "crossfade": "0"}
        response = await client.post("/new", data=bad)
        assert response.status_code == 422
        assert re.search(r'id="err-clip_duration">[^<]*takes 1 to 10 seconds', response.text)
        assert await count(app) == 0
        # good input: 303 to the new project's page, queued like POST /api/generate
        response = await client.post("/new", data={**form, "csrf_token": token})
        assert response.status_code == 303
        assert re.fullmatch(r"/projects/[0-9a-f-]{36}", response.headers["location"])
        assert await count(app) == 1 and len(recorder.calls) == 1


async def test_writes_from_another_site_or_by_cookie_without_the_token_are_refused(
    sqlite_settings: Settings, recorder: Recorder
) -> None:
    async with serving(sqlite_settings, execute=recorder) as (app, client):
        body = {"prompt": "a fox", **TINY}
        # another site's page posting to this loopback server: refused before anything is read
        for headers in ({"Origin": "https://evil.example"}, {"Sec-Fetch-Site": "cross-site"}):
            response = await client.post("/api/generate", json=body, headers=headers)
            assert response.status_code == 403, headers
        # same origin is fine; API clients (no cookie, no Origin) are as before
        own = {"Origin": "http://localhost"}
        assert (await client.post("/api/generate", json=body, headers=own)).status_code == 202
        # a browser carrying the page's cookie must send the page's token with it
        token = csrf_of(await client.get("/"))
        assert (await client.post("/api/generate", json=body)).status_code == 403
        headers = {"X-CSRF-Token": token}
        assert (await client.post("/api/generate", json=body, headers=headers)).status_code == 202
        assert await count(app) == 2


async def test_with_a_token_the_session_cookie_stands_in_for_the_bearer(
    sqlite_settings: Settings, recorder: Recorder
) -> None:
    guarded = sqlite_settings.model_copy(update={"api_token": SecretStr(TOKEN)})
    async with serving(guarded, execute=recorder) as (app, client):
        # pages send the browser to /login; the API and files answer 401
        response = await client.get("/projects/0b5e8f6a-6f0e-4a55-9a3c-2a7a3cf0e001")
        assert response.status_code == 303
        assert response.headers["location"].startswith("/login?next=/projects/")
        assert (await client.get("/api/projects")).status_code == 401
        assert (await client.get("/api/estimate")).status_code == 401
        assert (await client.get("/static/app.css")).status_code == 200  # no project data
        login = await client.get("/login")
        token = csrf_of(login)
        # a wrong token: 401, no session
        wrong = {"token": "nope", "csrf_token": token, "next": "/"}
        response = await client.post("/login", data=wrong)
        assert response.status_code == 401 and SESSION_COOKIE not in client.cookies
        # the login form itself needs the CSRF token (no login CSRF)
        assert (await client.post("/login", data={"token": TOKEN})).status_code == 403
        # the right one: a session cookie that is not the token, HttpOnly, SameSite=Strict
        good = {"token": TOKEN, "csrf_token": token, "next": "//evil.example/"}
        response = await client.post("/login", data=good)
        assert response.status_code == 303 and response.headers["location"] == "/"
        cookie = response.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=strict" in cookie.replace("Strict", "strict")
        session = client.cookies[SESSION_COOKIE]
        assert len(session) >= 40 and TOKEN not in session  # a random id, not the token
        assert (await client.get("/api/projects")).status_code == 200
        assert (await client.get("/")).status_code == 200
        # a write by cookie needs the CSRF token too
        body = {"prompt": "a fox", **TINY}
        assert (await client.post("/api/generate", json=body)).status_code == 403
        headers = {"X-CSRF-Token": token}
        assert (await client.post("/api/generate", json=body, headers=headers)).status_code == 202
        # a session id the server did not hand out is no session
        client.cookies.set(SESSION_COOKIE, "x" * 43)
        assert (await client.get("/api/projects")).status_code == 401


@pytest.mark.parametrize(
    ("target", "expected"),
    [("/projects/x", "/projects/x"), ("//evil.example", "/"), ("https://evil.example", "/"),
     ("/\\evil.example", "/"), ("", "/"), (None, "/")],
)  # fmt: skip
def test_login_only_returns_to_a_path_on_this_server(target: str | None, expected: str) -> None:
    assert safe_next(target) == expected


async def test_the_project_screen_offers_resume_only_when_nothing_works_on_the_project(
    sqlite_settings: Settings,
) -> None:
    from vidpipe.orchestrator.projects import create_project

    held = Recorder(hold=True)
    async with serving(sqlite_settings, execute=held) as (app, client):
        async with app.state.sessions() as session:
            left = await create_project(session, sqlite_settings, GenerateOptions(prompt="x"))
            left.status = "keyframing"  # a runner died mid-way: no lease, not queued here
            await session.commit()
        page = (await client.get(f"/projects/{left.id}")).text
        assert 'id="resume"' in page and "data-events" not in page
        assert re.search(r'class="step current" data-stage="keyframing"', page)
        # resumed from the page: now it runs here, the page follows it and offers no Resume
        token = csrf_of(await client.get("/"))
        response = await client.post(f"/projects/{left.id}/resume", data={"csrf_token": token})
        assert response.status_code == 303 and held.calls == [left.id]
        page = (await client.get(f"/projects/{left.id}")).text
        assert 'id="resume"' not in page
        assert f'data-events="/api/projects/{left.id}/events"' in page
        # a second resume while it runs: 409, said on the page
        response = await client.post(f"/projects/{left.id}/resume", data={"csrf_token": token})
        assert response.status_code == 409 and "already running" in response.text
        held.release()


async def test_resume_from_the_page_can_send_unanswered_clips_again(
    sqlite_settings: Settings,
) -> None:
    from vidpipe.db.models import Scene, VideoClip
    from vidpipe.orchestrator.projects import create_project

    held = Recorder(hold=True)
    async with serving(sqlite_settings, execute=held) as (app, client):
        async with app.state.sessions() as session:
            project = await create_project(session, sqlite_settings, GenerateOptions(prompt="x"))
            scene = Scene(
                project_id=project.id, scene_index=0, scene_description="d",
                start_frame_prompt="s", end_frame_prompt="e", video_motion_prompt="m",
            )  # fmt: skip
            scene.clip = VideoClip(status="submit_unknown", provider="local")
            session.add(scene)
            project.status = "failed"
            await session.commit()
        page = (await client.get(f"/projects/{project.id}")).text
        assert 'name="resubmit_unknown"' in page and "scene 1, whose submission" in page
        token = csrf_of(await client.get("/"))
        form = {"csrf_token": token, "resubmit_unknown": "1"}
        response = await client.post(f"/projects/{project.id}/resume", data=form)
        assert response.status_code == 303 and held.calls == [project.id]
        async with app.state.sessions() as session:
            clip = await session.scalar(select(VideoClip).where(VideoClip.scene_id == scene.id))
            assert clip is not None and clip.status == "pending"
        held.release()


async def test_the_form_takes_takes_and_forks_say_what_they_were_forked_from(
    sqlite_settings: Settings, recorder: Recorder
) -> None:
    async with serving(sqlite_settings, execute=recorder) as (app, client):
        page = await client.get("/new")
        assert re.search(r'<select id="takes" name="takes"', page.text)
        form = {"prompt": "a fox on ice", "scenes": "1", "clip_duration": "1", "takes": "3"}
        form |= {"resolution": "480p", "csrf_token": csrf_of(page)}
        made = await client.post("/new", data=form)
        assert made.status_code == 303
        original = made.headers["location"].removeprefix("/projects/")
        async with app.state.sessions() as session:
            project = await session.get(Project, uuid.UUID(original))
            assert project is not None and project.takes_per_clip == 3
        too_many = await client.post("/new", data={**form, "takes": "9"})
        assert too_many.status_code == 422 and 'id="err-takes">' in too_many.text
        assert 'id="takes"' in too_many.text and "autofocus" in too_many.text

        async with app.state.sessions() as session:  # a fork's row, as `fork` writes it
            twin_row = Project(
                prompt="a fox on thin ice", style="cinematic", aspect_ratio="16:9",
                resolution="480p", clip_duration=1.0, storyboard_provider="local",
                image_provider="local", video_provider="local",
                forked_from=uuid.UUID(original),
            )  # fmt: skip
            session.add(twin_row)
            await session.commit()
            twin = str(twin_row.id)
        listing = (await client.get("/")).text
        assert re.search(rf'fork of <a href="/projects/{original}">a fox on ice</a>', listing), (
            listing
        )
        assert listing.count("fork of") == 1  # the original is not a fork
        screen = (await client.get(f"/projects/{twin}")).text
        assert re.search(rf'id="fork-of">fork of <a href="/projects/{original}">', screen)
        assert 'id="fork-of"' not in (await client.get(f"/projects/{original}")).text


async def test_a_malformed_page_address_is_a_page_and_the_apis_stays_json(
    sqlite_settings: Settings, recorder: Recorder
) -> None:
    async with serving(sqlite_settings, execute=recorder) as (_, client):
        for address, problem in (
            ("/projects/not-an-id", "project_id: Input should be a valid UUID"),
            ("/projects/not-an-id/review", "project_id: Input should be a valid UUID"),
            ("/?page=abc", "page: must be a whole number"),
        ):
            page = await client.get(address)
            assert page.status_code == 422, address
            assert page.headers["content-type"].startswith("text/html"), page.text[:200]
            assert "<h1>Not a valid address</h1>" in page.text and problem in page.text
        api = await client.get("/api/projects/not-an-id")
        assert api.status_code == 422 and api.headers["content-type"] == "application/json"
        assert api.json()["detail"][0]["loc"] == ["path", "project_id"]


async def test_a_chosen_model_that_cannot_run_yet_is_priced_from_the_catalog_never_free(
    sqlite_settings: Settings, recorder: Recorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No FAL_KEY: the fal model cannot be made here, but its estimate is its catalog price
    (per clip, each scene) and says why generate would refuse, at the field chosen."""
    monkeypatch.delenv("FAL_KEY", raising=False)
    monkeypatch.delenv("VIDPIPE_FAL_KEY", raising=False)
    model = "fal:fal-ai/wan-flf2v"  # $0.40 a clip in the catalog
    async with serving(sqlite_settings, execute=recorder) as (app, client):
        query = {"scenes": 3, "clip_duration": 5, "resolution": "720p", "video_model": model}
        body = (await client.get("/api/estimate", params=query)).json()
        assert body["estimated_cost"] == pytest.approx(3 * 0.40)
        assert not body["free"] and not body["accepted"]
        assert body["providers"]["video"] == "fal"
        (problem,) = body["problems"]
        assert problem["loc"] == ["query", "video_model"]
        assert "FAL_KEY" in problem["msg"]
        # and the model's own limits still count: it makes 5 s clips only
        body = (await client.get("/api/estimate", params={**query, "clip_duration": 4})).json()
        assert {p["loc"][-1] for p in body["problems"]} == {"video_model", "clip_duration"}
        # the page's estimate box, as the form comes back refused: the figure, never "free"
        token = csrf_of(await client.get("/new"))
        form = {"prompt": "a fox", "scenes": "3", "clip_duration": "5", "resolution": "720p"}
        page = await client.post("/new", data={**form, "video_model": model, "csrf_token": token})
        assert page.status_code == 422
        box = '<output id="estimate" form="generate" aria-live="polite">$1.20</output>'
        assert box in page.text
        assert "these providers cost nothing" not in page.text
        assert "FAL_KEY" in page.text  # next to the Clip model
        assert await count(app) == 0
