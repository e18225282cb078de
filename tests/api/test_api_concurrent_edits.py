"""Edits under If-Match from many clients at once (`vidpipe serve` as a real process, real HTTP
requests sent in parallel from threads): of the edits made against one storyboard version exactly
one wins; the others get 412 and nothing of theirs is written. On SQLite and on PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from processes import user_env, vidpipe_serve, wait_for

pytestmark = pytest.mark.slow


@contextmanager
def serve(env: dict[str, str], log: Path) -> Iterator[str]:
    with vidpipe_serve(env, log) as (_, base):
        yield base


def at_once(requests: list[tuple[str, str, dict[str, Any], str]]) -> list[httpx.Response]:
    """Send the requests in parallel threads, released together by a barrier."""
    barrier = threading.Barrier(len(requests))
    answers: list[httpx.Response | None] = [None] * len(requests)

    def send(index: int, method: str, url: str, body: dict[str, Any], etag: str) -> None:
        with httpx.Client(timeout=60) as client:
            barrier.wait()
            answers[index] = client.request(method, url, json=body, headers={"If-Match": etag})

    threads = [
        threading.Thread(target=send, args=(i, *request)) for i, request in enumerate(requests)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert all(answer is not None for answer in answers)
    return answers  # type: ignore[return-value]


def test_concurrent_patches_on_one_version_exactly_one_wins(
    tmp_path: Path, database_url: str
) -> None:
    env = user_env(tmp_path / "data", VIDPIPE_DATABASE_URL=database_url)
    with serve(env, tmp_path / "server.log") as base:
        accepted = httpx.post(
            f"{base}/api/generate",
            json={
                "prompt": "a lighthouse keeper at dusk",
                "scenes": 2,
                "clip_duration": 1,
                "resolution": "480p",
                "pause_after": "storyboard",
            },
            timeout=30,
        )
        assert accepted.status_code == 202, accepted.text
        project = f"{base}/api/projects/{accepted.json()['project_id']}"
        wait_for(lambda: httpx.get(f"{project}/status").json()["status"] == "paused", timeout=90)

        for trial in range(3):
            got = httpx.get(f"{project}/storyboard")
            etag, version = got.headers["etag"], got.json()["version"]
            texts = [f"trial {trial}: the camera drifts, variant {n}" for n in range(6)]
            answers = at_once(
                [
                    ("PATCH", f"{project}/scenes/1", {"video_motion_prompt": text}, etag)
                    for text in texts
                ]
            )
            codes = sorted(answer.status_code for answer in answers)
            assert codes == [200] + [412] * 5, [a.text for a in answers]
            winner = next(a for a in answers if a.status_code == 200)
            assert winner.headers["etag"] == f'"{version + 1}"'
            for loser in (a for a in answers if a.status_code == 412):
                assert "changed elsewhere" in loser.json()["detail"]
            board = httpx.get(f"{project}/storyboard").json()
            assert board["version"] == version + 1
            won = texts[answers.index(winner)]
            assert board["scenes"][0]["video_motion_prompt"] == won  # the winner's text, kept

        # a project, a scene and a storyboard edit on one version: one wins
        got = httpx.get(f"{project}/storyboard")
        etag, board = got.headers["etag"], got.json()
        board["scenes"][1]["scene_description"] = "the whole storyboard, replaced"
        answers = at_once(
            [
                ("PATCH", project, {"crossfade": 0.25}, etag),
                ("PATCH", f"{project}/scenes/2", {"transition_notes": "cut"}, etag),
                ("PATCH", f"{project}/storyboard", board, etag),
            ]
        )
        assert sorted(a.status_code for a in answers) == [200, 412, 412], [a.text for a in answers]
        assert httpx.get(f"{project}/storyboard").json()["version"] == board["version"] + 1
