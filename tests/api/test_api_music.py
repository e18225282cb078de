"""A music bed over HTTP, as the CLI's `--music`: a multipart upload checked by decoding it, its
id named in `POST /api/generate` and in a project's PATCH; bad input is one 422 and stores
nothing; a new bed re-mixes the sound without making any clip or keyframe again."""

from __future__ import annotations

import io
import math
import struct
import wave
from pathlib import Path

from api_helpers import SMALL, finished, serving
from PIL import Image

from vidpipe.config import Settings
from vidpipe.storage import ProjectStorage

MUSIC = Path(__file__).resolve().parents[1] / "data" / "music_bed.mp3"


def sine_wav(hertz: float, seconds: float = 2.0, rate: int = 16_000) -> bytes:
    frames = b"".join(
        struct.pack("<h", int(8000 * math.sin(2 * math.pi * hertz * n / rate)))
        for n in range(int(seconds * rate))
    )
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(frames)
    return buffer.getvalue()


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buffer, format="PNG")
    return buffer.getvalue()


def one_line(response) -> str:  # type: ignore[no-untyped-def]
    (error,) = response.json()["detail"]
    assert "\n" not in error["msg"]
    return str(error["msg"])


def made_files(settings: Settings, project_id: str) -> dict[str, int]:
    """The keyframe and clip files of a project, by name, with their inode (unchanged = kept)."""
    root = ProjectStorage(settings.projects_dir, project_id).root
    return {
        str(p.relative_to(root)): p.stat().st_ino
        for p in root.rglob("*")
        if p.is_file() and p.suffix in (".png", ".mp4") and "output" not in p.parts
    }


async def test_bad_music_is_refused_and_nothing_is_stored(sqlite_settings: Settings) -> None:
    pool = Path(sqlite_settings.data_dir) / "uploads" / "music"
    async with serving(sqlite_settings) as (_, client):
        bad = {
            "text named .mp3": ("song.mp3", b"la la la, not audio\n" * 20, "audio/mpeg"),
            "empty": ("song.mp3", b"", "audio/mpeg"),
            "an image": ("song.wav", png(), "audio/wav"),
            "over 50 MiB": ("big.wav", sine_wav(440)[:44] + b"\0" * (51 << 20), "audio/wav"),
        }
        for case, file in bad.items():
            refused = await client.post("/api/music", files={"file": file})
            assert refused.status_code == 422, (case, refused.text)
            assert refused.json()["detail"][0]["loc"] == ["body", "file"], case
            one_line(refused)
        assert not pool.exists() or not any(pool.iterdir())  # no file, no leftover part

        unknown = {"prompt": "a lighthouse", "music": "0" * 40, **SMALL}
        refused = await client.post("/api/generate", json=unknown)
        assert refused.status_code == 422, refused.text
        assert refused.json()["detail"][0]["loc"] == ["body", "music"]
        assert "no uploaded music" in one_line(refused)
        assert (await client.get("/api/projects")).json()["total"] == 0


async def test_generate_with_music_then_a_new_bed_remixes_only(sqlite_settings: Settings) -> None:
    async with serving(sqlite_settings) as (_, client):
        first = await client.post(
            "/api/music", files={"file": ("bed.mp3", MUSIC.read_bytes(), "audio/mpeg")}
        )
        assert first.status_code == 201, first.text
        again = await client.post("/api/music", files={"file": ("x.mp3", MUSIC.read_bytes())})
        assert again.json()["id"] == first.json()["id"]  # one file per content
        assert first.json()["duration_seconds"] > 1
        assert (first.json()["name"], again.json()["name"]) == ("bed.mp3", "x.mp3")
        named = await client.post(
            "/api/music", files={"file": ("C:\\Music\\bed.mp3", MUSIC.read_bytes())}
        )
        assert named.json()["name"] == "bed.mp3"  # the latest upload of this content names it

        body = {"prompt": "a lighthouse at dawn", "music": first.json()["id"], **SMALL}
        accepted = await client.post("/api/generate", json=body)
        assert accepted.status_code == 202, accepted.text
        project_id = accepted.json()["project_id"]
        assert (await finished(client, project_id))["status"] == "complete"
        base = f"/api/projects/{project_id}"
        sound = (await client.get(base)).json()["sound"]
        assert sound["music_hash"] == first.json()["id"]
        # the name the user gave, while the stored copy stays named by its content
        assert sound["music_name"] == "bed.mp3"
        assert sound["music"] == f"audio/music-{first.json()['id'][:16]}.mp3"
        made = made_files(sqlite_settings, project_id)
        assert made

        other = await client.post("/api/music", files={"file": ("b.wav", sine_wav(330))})
        assert other.status_code == 201, other.text
        bad = await client.patch(base, json={"music": "f" * 40}, headers={"If-Match": "*"})
        assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["body", "music"]
        edited = await client.patch(
            base, json={"music": other.json()["id"]}, headers={"If-Match": "*"}
        )
        assert edited.status_code == 200, edited.text
        (item,) = edited.json()["plan"]["items"]
        assert item["kind"] == "mix" and item["reason"].startswith("mix the sound")
        assert (edited.json()["plan"]["mix"], edited.json()["plan"]["stitch"]) == (True, False)

        resumed = await client.post(f"{base}/resume")
        assert resumed.status_code == 202, resumed.text
        assert (await finished(client, project_id))["status"] == "complete"
        document = (await client.get(base)).json()
        assert document["sound"]["music_hash"] == other.json()["id"]
        assert document["sound"]["music_name"] == "b.wav"
        (mix,) = [audio for audio in document["audio"] if audio["kind"] == "mix"]
        assert mix["details"]["music"] == "b.wav"
        page = await client.get(f"/projects/{project_id}")  # last: its cookie asks for CSRF
        assert '<span id="music-name">music b.wav</span>' in page.text
        assert made_files(sqlite_settings, project_id) == made  # no clip or keyframe made again
        mixes = ProjectStorage(sqlite_settings.projects_dir, project_id).root.glob("audio/mix-*")
        assert len(list(mixes)) == 2
