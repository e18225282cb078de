"""The music bed on the page: the New video form takes a music file (through POST /api/music's
own function), refuses one that is not audio next to the field and creates nothing, keeps an
accepted upload across a form refused for another field, and generates with it."""

from __future__ import annotations

from pathlib import Path

from api_helpers import Recorder, serving
from sqlalchemy import select
from test_api_web_references import BASE, csrf_of, field_error

from vidpipe.config import Settings
from vidpipe.db.models import Project

MUSIC = Path(__file__).resolve().parents[1] / "data" / "music_bed.mp3"


async def test_the_form_takes_a_music_bed_refuses_bad_audio_and_keeps_a_good_one(
    sqlite_settings: Settings,
) -> None:
    pool = Path(sqlite_settings.data_dir) / "uploads" / "music"
    async with serving(sqlite_settings, execute=Recorder()) as (app, client):

        async def projects() -> list[Project]:
            async with app.state.sessions() as session:
                return list(await session.scalars(select(Project)))

        form = (await client.get("/new")).text
        assert 'id="music_file"' in form and 'accept="audio/*"' in form
        fields = {**BASE, "csrf_token": csrf_of(form)}

        bad = await client.post(
            "/new", data=fields, files={"music_file": ("song.mp3", b"not audio\n" * 30)}
        )
        assert bad.status_code == 422
        assert "not audio ffmpeg can read" in (field_error(bad.text, "music") or "")
        assert await projects() == [] and (not pool.exists() or not any(pool.iterdir()))

        # a good file with a bad prompt: refused, the music kept for the next try
        kept = await client.post(
            "/new",
            data={**fields, "prompt": " "},
            files={"music_file": ("bed.mp3", MUSIC.read_bytes(), "audio/mpeg")},
        )
        assert kept.status_code == 422 and field_error(kept.text, "music") is None
        (stored,) = (path for path in pool.iterdir() if path.suffix == ".mp3")
        music_id = stored.stem  # stored by its content; the name given is kept beside it
        assert f'name="music" value="{music_id}"' in kept.text
        assert "(kept: bed.mp3)" in kept.text
        assert await projects() == []

        made = await client.post("/new", data={**fields, "music": music_id})
        assert made.status_code == 303, made.text
        (project,) = await projects()
        assert (project.sound_options or {})["music_hash"] == music_id
        assert (project.sound_options or {})["music_name"] == "bed.mp3"
