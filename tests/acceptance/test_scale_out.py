"""Scale-out as a user deploys it: real PostgreSQL, `vidpipe worker` processes,
`vidpipe serve` enqueueing, the sim providers or the google fake on loopback."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from processes import free_port, user_env, wait_for
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fakes"))

from fake_google import FakeGoogle  # noqa: E402
from loopback import serve  # noqa: E402
from provider_env import FAST, GOOGLE_KEY  # noqa: E402

from vidpipe.runners.queue import conninfo  # noqa: E402

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

GLOBAL_CAP = 2  # clips at once across every worker (VIDPIPE_VIDEO_CONCURRENCY)


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A new PostgreSQL database for the test's processes, dropped afterwards."""
    import psycopg

    admin = conninfo(os.environ["VIDPIPE_TEST_POSTGRES_URL"])
    name = f"vidpipe_scale_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        url = make_url(os.environ["VIDPIPE_TEST_POSTGRES_URL"]).set(database=name)
        yield url.render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def rows(url: str, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    import psycopg

    try:
        with psycopg.connect(conninfo(url)) as connection:
            return connection.execute(sql, params).fetchall()
    except psycopg.errors.UndefinedTable:  # not migrated yet
        return []


def queue_env(tmp_path: Path, url: str, **extra: str) -> dict[str, str]:
    settings = {
        "VIDPIPE_DATABASE_URL": url,
        "VIDPIPE_EXECUTION": "queue",
        "VIDPIPE_STORYBOARD_PROVIDER": "sim",
        "VIDPIPE_IMAGE_PROVIDER": "sim",
        "VIDPIPE_VIDEO_PROVIDER": "sim",
        "VIDPIPE_SIM_LATENCY": '{"storyboard": 0.1, "image": 0.05, "video": 0.6}',
        "VIDPIPE_SIM_POLL_INTERVAL": "0.1",
        "VIDPIPE_VIDEO_CONCURRENCY": str(GLOBAL_CAP),
        "VIDPIPE_WORKER_HEARTBEAT_SECONDS": "0.5",
        # a worker silent this long is taken for dead (its jobs go back to the queue): far
        # above the heartbeat, as a loaded machine can delay one by seconds; the test of a
        # killed worker shortens it
        "VIDPIPE_WORKER_STALLED_SECONDS": "30",
        "VIDPIPE_SLOT_LEASE_SECONDS": "6",
    }
    return user_env(tmp_path / "data", **(settings | extra))


def vidpipe(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "vidpipe", *args],
        env=env, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL,
    )  # fmt: skip


@contextmanager
def process(args: list[str], env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("ab") as output:
        child = subprocess.Popen(
            [sys.executable, "-m", "vidpipe", *args],
            env=env, stdout=output, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )  # fmt: skip
    try:
        yield child
    finally:
        if child.poll() is None:
            child.kill()
        child.wait(timeout=30)


def worker(stack: ExitStack, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return stack.enter_context(process(["worker", "--concurrency", "2"], env, log))


def registered(url: str, *workers: subprocess.Popen[bytes]) -> bool:
    pids = {pid for (pid,) in rows(url, "SELECT pid FROM workers")}
    return {w.pid for w in workers} <= pids


def running_first(
    url: str, project_id: uuid.UUID, pair: list[subprocess.Popen[bytes]]
) -> tuple[subprocess.Popen[bytes], subprocess.Popen[bytes]]:
    """(the worker running the project, the other one), from the project's lease."""
    ((owner,),) = rows(url, "SELECT lease_owner FROM projects WHERE id = %s", project_id)
    pid = int(owner.split(":")[1])
    runner = next(w for w in pair if w.pid == pid)
    return runner, next(w for w in pair if w is not runner)


def runs_overlap(runs: list[tuple[Any, Any]]) -> bool:
    """Two runs of one project at once: one started before another had ended."""
    ordered = sorted(runs, key=lambda run: run[0])
    return any(
        later[0] < (earlier[1] or later[0] + timedelta(days=1))
        for earlier, later in zip(ordered, ordered[1:], strict=False)
    )


def test_three_workers_run_six_projects_from_the_api_under_the_global_cap(
    tmp_path: Path, pg_url: str
) -> None:
    env = queue_env(tmp_path, pg_url)
    port = free_port()
    with ExitStack() as stack:
        api = stack.enter_context(process(["serve", "--port", str(port)], env, tmp_path / "api"))
        base = f"http://127.0.0.1:{port}"

        def healthy() -> bool:
            assert api.poll() is None, (tmp_path / "api").read_text()
            try:
                return httpx.get(f"{base}/api/health", timeout=1).status_code == 200
            except httpx.TransportError:
                return False

        wait_for(healthy, timeout=60)
        client = stack.enter_context(httpx.Client(base_url=base, timeout=10))
        ids = []
        for number in range(6):
            accepted = client.post(
                "/api/generate",
                json={"prompt": f"harbour scene {number}", "scenes": 1 + number % 2,
                      "clip_duration": 1, "resolution": "480p"},
            )  # fmt: skip
            assert accepted.status_code == 202, accepted.text
            ids.append(accepted.json()["project_id"])
        first = client.get(f"/api/projects/{ids[0]}/status").json()
        assert first["queued"] and not first["running"]  # no worker yet: it waits in the queue

        workers = [worker(stack, env, tmp_path / f"worker-{n}") for n in range(3)]
        wait_for(lambda: registered(pg_url, *workers), timeout=60)
        health = client.get("/api/health").json()
        assert health["execution"] == "queue"
        assert {w["pid"] for w in health["workers"]} == {w.pid for w in workers}

        def all_done() -> bool:
            done = rows(pg_url, "SELECT count(*) FROM projects WHERE status = 'complete'")
            return done[0][0] == 6

        wait_for(all_done, timeout=120)
        listed = json.loads(vidpipe("workers", "--json", env=env).stdout)
        assert {w["pid"] for w in listed} == {w.pid for w in workers}

    for project_id in ids:
        runs = rows(
            pg_url,
            "SELECT started_at, completed_at, status FROM pipeline_runs WHERE project_id = %s",
            uuid.UUID(project_id),
        )
        assert [status for *_, status in runs] == ["complete"]
        assert not runs_overlap([(start, end) for start, end, _ in runs])
    runners = rows(pg_url, "SELECT DISTINCT split_part(runner, ':', 2) FROM pipeline_runs")
    assert len(runners) >= 2  # the work was shared
    ((running, peak),) = rows(pg_url, "SELECT running, peak FROM sim_concurrency")
    assert running == 0
    assert 1 <= peak <= GLOBAL_CAP  # never more clips at once than the cap, across all workers
    jobs = rows(pg_url, "SELECT status, count(*) FROM procrastinate_jobs GROUP BY status")
    assert jobs == [("succeeded", 6)]


@pytest.fixture
def google(tmp_path: Path) -> Iterator[tuple[FakeGoogle, str]]:
    workdir = tmp_path / "fake-google"
    workdir.mkdir()
    fake = FakeGoogle(workdir, api_key=GOOGLE_KEY)
    with serve(fake.app()) as server:
        yield fake, server.url


def test_a_worker_killed_while_polling_veo_is_replaced_and_nothing_is_submitted_twice(
    tmp_path: Path, pg_url: str, google: tuple[FakeGoogle, str]
) -> None:
    fake, url = google
    env = queue_env(
        tmp_path,
        pg_url,
        VIDPIPE_STORYBOARD_PROVIDER="google",
        VIDPIPE_IMAGE_PROVIDER="google",
        VIDPIPE_VIDEO_PROVIDER="google",
        VIDPIPE_GOOGLE_VERTEXAI="1",
        VIDPIPE_GOOGLE_BASE_URL=url,
        VIDPIPE_GOOGLE_API_KEY=GOOGLE_KEY,
        VIDPIPE_WORKER_STALLED_SECONDS="3",  # the killed worker's job is handed on soon
        **{f"VIDPIPE_{k.upper()}": str(v) for k, v in FAST.items()},
    )
    fake.hold.set()  # operations stay pending until released
    queued = vidpipe(
        "generate", "a fox in the snow", "--scenes", "2", "--clip-duration", "4", "--yes",
        "--detach", env=env,
    )  # fmt: skip
    assert queued.returncode == 0, queued.stderr
    project_id = uuid.UUID(queued.stdout.strip())
    with ExitStack() as stack:
        pair = [worker(stack, env, tmp_path / f"worker-{n}") for n in range(2)]
        polled = lambda: {r.body["operationName"] for r in fake.of_kind("fetchPredictOperation")}  # noqa: E731
        wait_for(lambda: len(polled()) == 2, timeout=90)  # both ids committed, being polled
        doomed, spare = running_first(pg_url, project_id, pair)
        doomed.send_signal(signal.SIGKILL)
        doomed.wait(timeout=10)
        fake.hold.clear()

        def finished() -> str | None:
            found = rows(pg_url, "SELECT status FROM projects WHERE id = %s", project_id)
            return found[0][0] if found and found[0][0] in ("complete", "failed") else None

        assert wait_for(finished, timeout=90) == "complete"

    assert fake.count("predictLongRunning") == 2  # one submission per clip, never re-sent
    runs = rows(
        pg_url,
        "SELECT status, split_part(runner, ':', 2) FROM pipeline_runs WHERE project_id = %s "
        "ORDER BY started_at",
        project_id,
    )
    assert runs == [("abandoned", str(doomed.pid)), ("complete", str(spare.pid))]
    clips = rows(
        pg_url,
        "SELECT count(*) FROM video_clips c JOIN scenes s ON s.id = c.scene_id "
        "WHERE s.project_id = %s AND c.status = 'complete'",
        project_id,
    )
    assert clips == [(2,)]


def test_a_worker_stopped_with_sigterm_leaves_a_resumable_project_another_finishes(
    tmp_path: Path, pg_url: str
) -> None:
    # the first worker draws each keyframe in 10 minutes: it is surely mid-run when stopped; the
    # second, started once the first holds the project, is quick
    held = queue_env(
        tmp_path, pg_url, VIDPIPE_SIM_LATENCY='{"storyboard": 0.1, "image": 600, "video": 0.6}'
    )
    env = queue_env(tmp_path, pg_url)
    queued = vidpipe(
        "generate", "a quiet pier", "--scenes", "1", "--clip-duration", "1",
        "--resolution", "480p", "--detach", "--json", env=env,
    )  # fmt: skip
    assert queued.returncode == 0, queued.stderr
    document = json.loads(queued.stdout)
    assert document["queued"] and document["status"] == "pending"
    project_id = uuid.UUID(document["id"])
    with ExitStack() as stack:
        first = worker(stack, held, tmp_path / "worker-0")

        def in_keyframing() -> bool:
            found = rows(pg_url, "SELECT status FROM projects WHERE id = %s", project_id)
            return bool(found) and found[0][0] == "keyframing"

        wait_for(in_keyframing, timeout=60)
        second = worker(stack, env, tmp_path / "worker-1")
        wait_for(lambda: registered(pg_url, second), timeout=60)
        assert running_first(pg_url, project_id, [first, second]) == (first, second)
        status = json.loads(vidpipe("status", str(project_id), "--json", env=env).stdout)
        assert status["runner"]["pid"] == first.pid and not status["queued"]
        first.send_signal(signal.SIGTERM)
        assert first.wait(timeout=30) == 0  # stopped at a safe point; its job is queued again

        def finished() -> bool:
            found = rows(pg_url, "SELECT status FROM projects WHERE id = %s", project_id)
            return found[0][0] == "complete"

        wait_for(finished, timeout=60)
    runs = rows(
        pg_url,
        "SELECT status, split_part(runner, ':', 2) FROM pipeline_runs WHERE project_id = %s "
        "ORDER BY started_at",
        project_id,
    )
    assert runs == [("interrupted", str(first.pid)), ("complete", str(second.pid))]


def test_stop_takes_a_project_no_worker_has_taken_out_of_the_queue(
    tmp_path: Path, pg_url: str
) -> None:
    env = queue_env(tmp_path, pg_url)
    queued = vidpipe(
        "generate", "a quiet pier", "--scenes", "1", "--clip-duration", "1",
        "--resolution", "480p", "--detach", "--json", env=env,
    )  # fmt: skip
    assert queued.returncode == 0, queued.stderr
    project_id = json.loads(queued.stdout)["id"]
    stopped = vidpipe("stop", project_id, env=env)  # no worker runs: the job waits
    assert stopped.returncode == 0, stopped.stderr
    assert "taken out of the queue before it started" in stopped.stdout
    status = json.loads(vidpipe("status", project_id, "--json", env=env).stdout)
    assert status["status"] == "stopped" and not status["queued"]
    jobs = rows(pg_url, "SELECT status FROM procrastinate_jobs")
    assert jobs == [("cancelled",)]
    assert vidpipe("stop", project_id, env=env).returncode == 2  # nothing waits or runs now


def test_queue_mode_on_sqlite_is_refused_with_one_line(tmp_path: Path) -> None:
    env = user_env(tmp_path / "data")
    for args, extra in (
        (["worker"], {}),
        (["generate", "a fox", "--detach"], {"VIDPIPE_EXECUTION": "queue"}),
        (["generate", "a fox", "--detach"], {}),  # inline mode: nobody would run it
    ):
        result = vidpipe(*args, env=env | extra)
        assert result.returncode == 2, (args, result.stderr)
        assert result.stderr.count("\n") == 1 and "PostgreSQL" in result.stderr
    assert not (tmp_path / "data").exists()  # nothing written


def sse(client: httpx.Client, url: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """(event, data) of a Server-Sent Events stream, until it closes."""
    with client.stream("GET", url, timeout=httpx.Timeout(10, read=60)) as response:
        assert response.status_code == 200, response.read()
        name = ""
        for line in response.iter_lines():
            if line.startswith("event:"):
                name = line.split(":", 1)[1].strip()
            elif line.startswith("data:"):
                yield name, json.loads(line.split(":", 1)[1])


def test_the_api_relays_a_workers_live_progress_over_its_event_stream(
    tmp_path: Path, pg_url: str
) -> None:
    env = queue_env(
        tmp_path, pg_url, VIDPIPE_SIM_LATENCY='{"storyboard": 0.1, "image": 0.05, "video": 2.0}'
    )
    port = free_port()
    with ExitStack() as stack:
        api = stack.enter_context(process(["serve", "--port", str(port)], env, tmp_path / "api"))
        one = worker(stack, env, tmp_path / "worker")
        base = f"http://127.0.0.1:{port}"

        def healthy() -> bool:
            assert api.poll() is None, (tmp_path / "api").read_text()
            try:
                return httpx.get(f"{base}/api/health", timeout=1).status_code == 200
            except httpx.TransportError:
                return False

        wait_for(healthy, timeout=60)
        wait_for(lambda: registered(pg_url, one), timeout=60)
        client = stack.enter_context(httpx.Client(base_url=base, timeout=10))
        accepted = client.post(
            "/api/generate",
            json={"prompt": "lanterns on a canal", "scenes": 2, "clip_duration": 1,
                  "resolution": "480p"},
        )  # fmt: skip
        assert accepted.status_code == 202, accepted.text
        events_url = f"/api/projects/{accepted.json()['project_id']}/events"
        seen: list[tuple[str, dict[str, Any]]] = []
        late: list[tuple[str, dict[str, Any]]] = []
        mid_run_status: dict[str, Any] = {}
        for name, data in sse(client, events_url):
            seen.append((name, data))
            if (
                not late
                and name == "progress"
                and (data["kind"], data["stage"])
                == (
                    "stage",
                    "video_gen",
                )
            ):
                # keyframes drawn, clips (2 s each) under way: a client arriving now is given the
                # stages it missed, then where the run stands
                late = [event for event, _ in zip(sse(client, events_url), range(4), strict=False)]
                mid_run_status = client.get(events_url.replace("/events", "/status")).json()
    names = [name for name, _ in seen]
    assert names[0] == "status" and names[-1] == "end"
    assert seen[-1][1]["status"] == "complete"
    progress = [data for name, data in seen if name == "progress"]
    stages = [data["stage"] for data in progress if data["kind"] == "stage"]
    assert stages == ["storyboarding", "keyframing", "video_gen", "stitching", "complete"]
    clips = [d for d in progress if d["stage"] == "video_gen" and d["scene"] is not None]
    assert {data["scene"] for data in clips} == {0, 1}  # per-scene progress from the worker
    assert any(0 < data["fraction"] < 1 for data in clips)
    assert any(data["eta_seconds"] is not None for data in clips)
    assert progress[-1]["overall_fraction"] == 1.0
    assert names.index("end") > max(i for i, name in enumerate(names) if name == "progress")
    assert [name for name, _ in late] == ["status", "progress", "progress", "progress"]
    assert [(d["kind"], d["stage"]) for _, d in late[1:]] == [
        ("stage", "storyboarding"),
        ("stage", "keyframing"),
        ("stage", "video_gen"),
    ]
    assert mid_run_status["progress"] is not None  # the status document has it too
    assert mid_run_status["progress"]["stage"] in ("video_gen", "stitching", "complete")
