"""Sound end to end with the local providers: narration spoken offline, a music bed ducked under
it, the mix at -14 LUFS, a subtitle track whose cues are the lines' placements; editing one line
speaks that line again and re-mixes, and no clip or keyframe is rewritten."""

from __future__ import annotations

import asyncio
import hashlib
import json
import sqlite3
import subprocess
from pathlib import Path

import pytest
from cli_helpers import document

from vidpipe.media.ffmpeg import find_ffmpeg
from vidpipe.media.probe import probe
from vidpipe.media.sound.mix import LineInput, MixSettings, measure_loudness, premix
from vidpipe.media.sound.subtitles import parse_srt

pytestmark = pytest.mark.slow

MUSIC = Path(__file__).resolve().parents[1] / "data" / "music_bed.mp3"
LINES = ["The keeper wakes.", "He climbs the stairs.", "The light turns."]


def sql(db: Path, statement: str, *args: object) -> list[tuple]:
    with sqlite3.connect(db) as connection:
        rows = connection.execute(statement, args).fetchall()
        connection.commit()
    return rows


def artifacts(folder: Path) -> dict[str, tuple[int, str]]:
    """Every keyframe and clip file: (inode, content hash)."""
    found = {}
    for kind in ("keyframes", "clips"):
        for path in sorted((folder / kind).glob("*")):
            found[f"{kind}/{path.name}"] = (path.stat().st_ino, _hash(path))
    return found


def _hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def subtitle_cues(final: Path, dest: Path):  # type: ignore[no-untyped-def]
    ffmpeg = find_ffmpeg(None)
    subprocess.run(
        [ffmpeg, "-v", "error", "-y", "-i", str(final), "-map", "0:s:0", str(dest)], check=True
    )
    return parse_srt(dest.read_text())


def test_narration_music_and_soft_subtitles(vidpipe, cli_env, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    made = vidpipe(
        "generate", "a lighthouse on a stormy coast at dawn", "--scenes", "3",
        "--clip-duration", "3", "--crossfade", "0.5", "--pause-after", "storyboard",
        "--resolution", "360p",  # the sound is the subject: the smallest picture
        "--subtitles", "soft", "--music", str(MUSIC), "--yes", "--json",
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    project = document(made)["id"]
    db = Path(cli_env["VIDPIPE_DATA_DIR"]) / "vidpipe.db"
    for index, line in enumerate(LINES):
        sql(db, "update scenes set narration = ? where scene_index = ?", line, index)

    plan = vidpipe("plan", project, "--json")
    assert plan.returncode == 0, plan.stderr
    narration = [item for item in json.loads(plan.stdout)["items"] if item["kind"] == "narration"]
    assert [item["scene"] for item in narration] == [1, 2, 3]

    done = vidpipe("resume", project, "--json")
    assert done.returncode == 0, done.stderr
    doc = document(done)
    assert doc["status"] == "complete"
    assert doc["sound"]["music_name"] == "music_bed.mp3"  # the name given, not the stored one
    final = Path(doc["output_path"])
    info = probe(final)
    assert info.has_audio and info.duration == pytest.approx(8.0, abs=0.1)

    ffmpeg = find_ffmpeg(None)
    loudness = asyncio.run(measure_loudness(ffmpeg, final))
    assert loudness.integrated == pytest.approx(-14.0, abs=1.0)
    assert loudness.true_peak <= -1.0

    # cue times are the lines' placements (scene starts: 0, 2.5, 5.0 with 0.5 s crossfades)
    rows = sql(
        db,
        "select scene_index, start_seconds, duration_seconds, file_path from audio_artifacts "
        "where kind = 'line' order by scene_index",
    )
    assert [row[1] for row in rows] == pytest.approx([0.0, 2.5, 5.0], abs=0.05)
    cues = subtitle_cues(final, tmp_path / "back.srt")
    assert [cue.text for cue in cues] == LINES
    for cue, (_, start, duration, _) in zip(cues, rows, strict=True):
        assert cue.start == pytest.approx(start, abs=0.05)
        assert cue.end == pytest.approx(start + duration, abs=0.05)
    folder = final.parent.parent
    assert (folder / "output" / "final.vtt").read_text().startswith("WEBVTT")
    assert len(parse_srt((folder / "output" / "final.srt").read_text())) == 3

    # ducking, measured on the ducked music of this very mix (the same lines and places)
    stem = tmp_path / "music.wav"
    lines = [LineInput(folder / path, start) for _, start, _, path in rows]
    asyncio.run(
        premix(
            ffmpeg,
            stem,
            duration=info.duration,
            picture=None,
            lines=lines,
            music=MUSIC,
            settings=MixSettings(),
            stem="music",
        )  # fmt: skip
    )
    second_end = rows[1][1] + rows[1][2]
    gap = (second_end + 0.6, rows[2][1] - 0.05)  # between lines 2 and 3, after the release
    assert gap[1] - gap[0] > 0.15
    under, between = _levels(stem, [(rows[1][1] + 0.3, second_end - 0.2), gap])
    assert between - under >= 8.0, (under, between)

    # status lists the audio artifacts with the measured loudness
    status = json.loads(vidpipe("status", project, "--json").stdout)
    kinds = [a["kind"] for a in status["audio"]]
    assert kinds.count("line") == 3 and kinds.count("mix") == 1
    mix = next(a for a in status["audio"] if a["kind"] == "mix")
    assert mix["details"]["integrated_lufs"] == pytest.approx(-14.0, abs=1.0)

    asyncio.run(_check_served(Path(cli_env["VIDPIPE_DATA_DIR"]), project))

    # one line edited: one narration call, one new mix; clips and keyframes untouched
    before = artifacts(folder)
    pictures = {p.name: p.stat().st_ino for p in (folder / "output").glob("picture-*")}
    calls = len(sql(db, "select id from provider_calls where role = 'narration'"))
    edited = vidpipe("edit", project, "--scene", "2", "--narration", "He climbs, lamp in hand.")
    assert edited.returncode == 0, edited.stderr
    again = vidpipe("resume", project, "--json")
    assert again.returncode == 0, again.stderr
    assert len(sql(db, "select id from provider_calls where role = 'narration'")) == calls + 1
    assert artifacts(folder) == before
    assert {p.name: p.stat().st_ino for p in (folder / "output").glob("picture-*")} == pictures
    assert len(list((folder / "audio").glob("mix-*"))) == 2
    cues = subtitle_cues(Path(document(again)["output_path"]), tmp_path / "again.srt")
    assert cues[1].text == "He climbs, lamp in hand."

    # another music bed: a re-mix only (no line spoken, no clip or keyframe touched)
    other = tmp_path / "other.wav"
    subprocess.run(
        [ffmpeg, "-v", "error", "-y", "-f", "lavfi", "-i", "sine=f=330:d=3", str(other)],
        check=True,
    )
    assert vidpipe("edit", project, "--music", "no-such.mp3").returncode == 2
    edited = vidpipe("edit", project, "--music", str(other), "--json")
    assert edited.returncode == 0, edited.stderr
    (mix,) = json.loads(edited.stdout)["items"]  # the mix alone: no stitch, no clip
    assert mix["kind"] == "mix" and mix["reason"].startswith("mix the sound")
    remixed = vidpipe("resume", project, "--json")
    assert remixed.returncode == 0, remixed.stderr
    assert document(remixed)["sound"]["music_name"] == "other.wav"
    assert len(sql(db, "select id from provider_calls where role = 'narration'")) == calls + 1
    assert artifacts(folder) == before
    assert {p.name: p.stat().st_ino for p in (folder / "output").glob("picture-*")} == pictures
    assert len(list((folder / "audio").glob("mix-*"))) == 3


def _levels(path: Path, windows: list[tuple[float, float]]) -> list[float]:
    import wave

    import numpy as np

    with wave.open(str(path)) as audio:
        rate, channels = audio.getframerate(), audio.getnchannels()
        samples = np.frombuffer(audio.readframes(audio.getnframes()), "<i2") / 32768.0
    mono = samples.reshape(-1, channels).mean(axis=1)
    levels = []
    for start, end in windows:
        chunk = mono[int(start * rate) : int(end * rate)]
        levels.append(float(20 * np.log10(np.sqrt(np.mean(chunk**2)) + 1e-12)))
    return levels


LONG = "Far out at sea, the keeper watches the waves roll in, one after another, until dawn."


def _narrated_project(vidpipe, db: Path, *flags: str) -> str:  # type: ignore[no-untyped-def]
    made = vidpipe(
        "generate", "a lighthouse at night", "--scenes", "2", "--resolution", "360p",
        "--pause-after", "storyboard", "--yes", "--json", *flags,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    project = document(made)["id"]
    sql(db, "update scenes set narration = ? where scene_index = 0", LONG)
    done = vidpipe("resume", project, "--json")
    assert done.returncode == 0, done.stderr
    return project


def test_a_line_longer_than_its_scene_is_reported_and_auto_sizes_the_scene(
    vidpipe,  # type: ignore[no-untyped-def]
    cli_env,
) -> None:
    db = Path(cli_env["VIDPIPE_DATA_DIR"]) / "vidpipe.db"
    fixed = _narrated_project(vidpipe, db, "--clip-duration", "2")
    (line,) = sql(db, "select duration_seconds from audio_artifacts where kind = 'line'")
    assert line[0] > 3.0
    plan = json.loads(vidpipe("plan", fixed, "--json").stdout)
    (warning,) = plan["warnings"]
    assert warning.startswith("scene 1: its spoken lines run")
    assert float(warning.split("run ")[1].split(" s")[0]) == pytest.approx(line[0] - 2.0, abs=0.05)

    auto = _narrated_project(vidpipe, db, "--clip-duration", "auto")
    durations = sql(
        db,
        "select s.scene_index, s.clip_duration from scenes s where s.project_id = ? "
        "order by s.scene_index",
        auto.replace("-", ""),
    )
    (spoken,) = sql(
        db,
        "select duration_seconds from audio_artifacts where kind = 'line' and project_id = ?",
        auto.replace("-", ""),
    )
    assert durations[0][1] >= spoken[0] and durations[0][1] == int(durations[0][1])
    assert durations[1][1] == 4.0  # no lines: the shortest scene
    clips = Path(cli_env["VIDPIPE_DATA_DIR"]) / "projects" / auto / "clips"
    assert probe(clips / "scene_00.mp4").duration == pytest.approx(durations[0][1], abs=0.05)
    assert json.loads(vidpipe("plan", auto, "--json").stdout)["warnings"] == []


async def _check_served(data_dir: Path, project: str) -> None:
    """The API serves the lines and the subtitles; the page plays the lines and gives the
    player the subtitles as a <track>."""
    import httpx

    from vidpipe.api.main import create_app
    from vidpipe.config import Settings

    app = create_app(Settings(data_dir=data_dir))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app)
        async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as client:
            vtt = await client.get(f"/api/projects/{project}/subtitles.vtt")
            assert vtt.status_code == 200 and vtt.headers["content-type"].startswith("text/vtt")
            assert vtt.text.startswith("WEBVTT") and LINES[0] in vtt.text
            line = await client.get(f"/api/projects/{project}/lines/1/0")
            assert line.status_code == 200 and line.content[:4] == b"RIFF"
            missing = await client.get(f"/api/projects/{project}/lines/1/7")
            assert missing.status_code == 404
            detail = (await client.get(f"/api/projects/{project}")).json()
            assert detail["subtitles_url"].endswith("/subtitles.vtt")
            page = await client.get(f"/projects/{project}")
            assert page.status_code == 200
            assert '<track kind="subtitles"' in page.text
            assert page.text.count("<audio controls") == 3
