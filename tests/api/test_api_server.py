"""`vidpipe serve` as a real uvicorn process on loopback: download with Range, SIGTERM, and a
SIGKILL during video generation followed by a restart that finishes the project."""

from __future__ import annotations

import signal
import socket
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from processes import artifacts, query, user_env, vidpipe_serve, wait_for

from vidpipe.media.probe import probe

pytestmark = pytest.mark.slow


@pytest.fixture
def server_env(tmp_path: Path) -> dict[str, str]:
    return user_env(tmp_path / "data")


@contextmanager
def server(env: dict[str, str], log: Path) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """`python -m vidpipe serve` on a free loopback port, up and answering /api/health."""
    with vidpipe_serve(env, log) as served:
        yield served


def test_generate_poll_download_with_range_then_sigterm(
    server_env: dict[str, str], tmp_path: Path
) -> None:
    log = tmp_path / "server.log"
    with server(server_env, log) as (process, base), httpx.Client(base_url=base) as client:
        accepted = client.post(
            "/api/generate",
            json={"prompt": "a lighthouse at dawn", "scenes": 1, "clip_duration": 1,
                  "resolution": "480p"},
        )  # fmt: skip
        assert accepted.status_code == 202, accepted.text
        status_url = accepted.json()["status_url"]
        document = wait_for(
            lambda: (d := client.get(status_url).json())["status"] in ("complete", "failed") and d,
            timeout=60,
        )
        assert document["status"] == "complete", document
        final = Path(document["output_path"])
        whole = client.get(document["download_url"])
        assert whole.status_code == 200 and whole.content == final.read_bytes()
        assert whole.headers["accept-ranges"] == "bytes"
        part = client.get(document["download_url"], headers={"Range": "bytes=0-99"})
        assert part.status_code == 206 and len(part.content) == 100
        assert part.content == final.read_bytes()[:100]
        assert part.headers["content-range"] == f"bytes 0-99/{final.stat().st_size}"
        beyond = client.get(document["download_url"], headers={"Range": "bytes=99999999-"})
        assert beyond.status_code == 416

        # a dot-dot path sent verbatim over the socket gets nothing
        project_id = document["id"]
        with socket.create_connection(("127.0.0.1", int(base.rsplit(":", 1)[1]))) as raw:
            raw.sendall(
                f"GET /api/projects/{project_id}/../../../../../../etc/passwd HTTP/1.1\r\n"
                "Host: 127.0.0.1\r\nConnection: close\r\n\r\n".encode()
            )
            reply = b"".join(iter(lambda: raw.recv(65536), b""))
        assert reply.startswith(b"HTTP/1.1 404") and b"root:" not in reply

        # SIGTERM while a run is in progress: it stops at a safe point, resumable
        running = client.post(
            "/api/generate",
            json={"prompt": "waves", "scenes": 2, "clip_duration": 3, "resolution": "480p"},
        ).json()
        working = ("keyframing", "video_gen")
        wait_for(lambda: client.get(running["status_url"]).json()["status"] in working)
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
    db = tmp_path / "data" / "vidpipe.db"
    status, error, lease = query(
        db, f"SELECT status, error_message, lease_owner FROM projects "
            f"WHERE id = '{uuid.UUID(running['project_id']).hex}'",
    )[0]  # fmt: skip
    assert (status, lease) == ("failed", None) and "interrupted" in error
    assert "Shutting down" in log.read_text()


def test_sigkill_during_video_gen_then_restart_finishes_without_regenerating(
    server_env: dict[str, str], tmp_path: Path
) -> None:
    env = {**server_env, "VIDPIPE_VIDEO_CONCURRENCY": "1"}
    db = tmp_path / "data" / "vidpipe.db"
    log = tmp_path / "server.log"
    with server(env, log) as (process, base):
        accepted = httpx.post(
            f"{base}/api/generate",
            json={"prompt": "a hot air balloon over red canyons", "scenes": 4,
                  "clip_duration": 3, "resolution": "480p"},
        )  # fmt: skip
        assert accepted.status_code == 202, accepted.text
        project_id = accepted.json()["project_id"]

        def in_video_gen_with_a_clip_done() -> bool:
            states = query(db, "SELECT status FROM projects")
            clips = query(db, "SELECT status FROM video_clips")
            return states == [("video_gen",)] and ("complete",) in clips

        wait_for(in_video_gen_with_a_clip_done)
        process.send_signal(signal.SIGKILL)
        process.wait()

    assert query(db, "SELECT status FROM projects") == [("video_gen",)]
    root = tmp_path / "data" / "projects" / project_id
    done = {f"clips/scene_{i:02d}.mp4" for (i,) in query(
        db, "SELECT s.scene_index FROM video_clips c JOIN scenes s ON s.id = c.scene_id "
            "WHERE c.status = 'complete'"
    )}  # fmt: skip
    before = {k: v for k, v in artifacts(root).items() if k.startswith("keyframes") or k in done}
    assert len([k for k in before if k.startswith("keyframes")]) == 5 and 1 <= len(done) < 4

    # a new server takes the dead one's project over on start and finishes it
    with server(env, log) as (_, base), httpx.Client(base_url=base) as client:
        status_url = f"/api/projects/{project_id}/status"
        document = wait_for(
            lambda: (d := client.get(status_url).json())["status"] in ("complete", "failed") and d,
            timeout=120,
        )
        assert document["status"] == "complete", document
        detail = client.get(f"/api/projects/{project_id}").json()
        download = client.get(detail["download_url"])
    after = artifacts(root)
    for name, identity in before.items():
        assert after[name] == identity, f"{name} was rewritten"
    assert len([k for k in after if k.startswith("clips")]) == 4
    assert not list(root.rglob("*.part-*")), "a temporary file was left behind"
    assert [r["status"] for r in detail["runs"]] == ["abandoned", "complete"]
    final = Path(detail["output_path"])
    assert download.content == final.read_bytes()
    assert probe(final).duration == pytest.approx(12.0, abs=0.25)
    assert "taking over 1 project" in log.read_text()
