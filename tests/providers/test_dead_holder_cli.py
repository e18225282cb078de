"""A foreground `vidpipe generate` killed with SIGKILL while a Veo submission is in flight: its
lease is unexpired but its holder is dead, so the project is not running for anyone — `status`
names no runner, `stop` says there is nothing to stop, and `resume --yes` approves the unknown
submission and finishes the project (it used to say "is running; stop it first")."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from fake_google import FakeGoogle
from processes import query, user_env, wait_for
from provider_env import FAST
from test_provider_cli import google_env, vidpipe

pytestmark = pytest.mark.slow


def test_a_killed_holder_does_not_hold_the_project(
    google_fake: tuple[FakeGoogle, str], tmp_path: Path
) -> None:
    fake, url = google_fake
    env = user_env(tmp_path / "data")
    env.update({f"VIDPIPE_{k.upper()}": str(v) for k, v in FAST.items()})
    env |= google_env(url) | {
        "VIDPIPE_STORYBOARD_PROVIDER": "local",
        "VIDPIPE_IMAGE_PROVIDER": "local",
        "VIDPIPE_LEASE_SECONDS": "600",  # the dead holder's lease outlives the test
        "VIDPIPE_PROVIDER_SUBMIT_TIMEOUT_SECONDS": "300",
    }
    fake.hang_seconds = 300.0  # the submission is carried out; its answer never comes in time
    fake.inject("predictLongRunning", "slow_answer")
    db = tmp_path / "data" / "vidpipe.db"
    run = subprocess.Popen(
        [sys.executable, "-m", "vidpipe", "generate", "a fox in the snow", "--scenes", "1",
         "--clip-duration", "4", "--yes", "--json"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        wait_for(lambda: fake.count("predictLongRunning") == 1)
        wait_for(lambda: query(db, "SELECT status FROM video_clips") == [("submitting",)])
    finally:
        run.send_signal(signal.SIGKILL)
        run.communicate()
    ((owner, expires),) = query(db, "SELECT lease_owner, lease_expires_at FROM projects")
    assert f":{run.pid}:" in owner and expires  # the lease is still there, unexpired
    (project_id,) = [p["id"] for p in json.loads(vidpipe("list", "--json", env=env).stdout)]

    status = vidpipe("status", project_id, "--json", env=env)
    document = json.loads(status.stdout)
    assert document["running"] is False and document["runner"] is None, document
    shown = vidpipe("status", project_id, env=env)
    assert f"pid {run.pid}" not in shown.stdout and str(run.pid) not in shown.stdout

    stop = vidpipe("stop", project_id, env=env)
    assert stop.returncode == 2 and "not running" in stop.stderr, stop.stderr

    resumed = vidpipe("resume", project_id, "--yes", "--json", env=env)
    assert resumed.returncode == 0, resumed.stderr
    assert json.loads(resumed.stdout)["status"] == "complete"
    assert fake.count("predictLongRunning") == 2  # sent again once, with consent
