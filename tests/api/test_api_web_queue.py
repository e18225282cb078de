"""Queue mode on the page, in process: a project waiting in the queue says so (and is followed
live, not offered Resume), one held by a worker names its host and pid, and the projects list
badges both. The rows are set by hand, as a worker's `mark_queued` and lease would set them."""

from __future__ import annotations

import json
import re
from datetime import timedelta

from api_helpers import Recorder, serving

from vidpipe.api.events import project_events
from vidpipe.config import Settings
from vidpipe.db.models import Project, utcnow
from vidpipe.orchestrator.projects import GenerateOptions, create_project


async def test_queued_and_worker_held_projects_say_so_on_every_screen(
    sqlite_settings: Settings,
) -> None:
    async with serving(sqlite_settings, execute=Recorder()) as (app, client):
        async with app.state.sessions() as session:
            waiting = await create_project(session, sqlite_settings, GenerateOptions(prompt="w"))
            held = await create_project(session, sqlite_settings, GenerateOptions(prompt="h"))
            idle = await create_project(session, sqlite_settings, GenerateOptions(prompt="i"))
            waiting.queued_at = utcnow()
            held.status = "keyframing"
            held.lease_owner = "worker-7.example:4242:ab12"
            held.lease_expires_at = utcnow() + timedelta(minutes=5)
            await session.commit()
        # the API server in queue mode words it as "waiting for a worker"
        app.state.settings = sqlite_settings.model_copy(update={"execution": "queue"})

        page = (await client.get(f"/projects/{waiting.id}")).text
        line = re.search(r'<p id="runner-line"[^>]*>(.*?)</p>', page)
        assert line and re.sub(r"<[^>]+>", "", line.group(1)) == "queued waiting for a worker"
        # followed live (the stream stays open while it waits), no Resume; Stop takes it out
        assert f'data-events="/api/projects/{waiting.id}/events"' in page
        assert 'id="resume"' not in page and 'id="stop"' in page  # Stop withdraws it
        review = (await client.get(f"/projects/{waiting.id}/review")).text
        assert "Queued: it waits for a worker" in review and 'id="resume"' not in review

        page = (await client.get(f"/projects/{held.id}")).text
        line = re.search(r'<p id="runner-line"[^>]*>(.*?)</p>', page)
        assert line and "run by worker-7.example (pid 4242)" in line.group(1)
        assert 'id="stop"' in page and 'id="resume"' not in page

        page = (await client.get(f"/projects/{idle.id}")).text
        assert re.search(r'<p id="runner-line"[^>]*></p>', page)  # nobody, and not waiting
        assert 'id="resume"' in page

        listing = (await client.get("/")).text
        cards = {
            prompt: card
            for card, prompt in re.findall(
                r'(<li class="card">.*?<span class="prompt">(\w)</span>.*?</li>)', listing, re.S
            )
        }
        assert 'class="badge s-queued"' in cards["w"] and "s-running" not in cards["w"]
        assert 'title="run by worker-7.example (pid 4242)">running<' in cards["h"]
        assert "s-queued" not in cards["i"] and "s-running" not in cards["i"]

        # the stream: a status event that says queued, and no end while it waits; once a
        # worker takes it (queued cleared, lease held) it says who; it ends when the lease goes
        events = project_events(
            app.state.sessions, sqlite_settings, app.state.runner, waiting.id, poll=0.05
        )
        first = await anext(events)
        assert first.event == "status" and json.loads(first.data)["queued"] is True
        async with app.state.sessions() as session:
            row = await session.get(Project, waiting.id)
            assert row is not None
            row.queued_at = None
            row.lease_owner = "worker-7.example:4243:cd34"
            row.lease_expires_at = utcnow() + timedelta(minutes=5)
            await session.commit()
        taken = await anext(events)
        assert taken.event == "status"
        assert json.loads(taken.data)["runner"] == {"host": "worker-7.example", "pid": 4243}
        async with app.state.sessions() as session:
            row = await session.get(Project, waiting.id)
            assert row is not None
            row.lease_owner = row.lease_expires_at = None
            await session.commit()
        assert [(await anext(events)).event for _ in range(2)] == ["status", "end"]
        await events.aclose()
