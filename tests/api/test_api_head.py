"""HEAD on every file route answers exactly as GET (download tools and media players ask it
first): same status and headers, no body; a missing file and a missing token alike."""

from __future__ import annotations

import io

import httpx
from api_helpers import TINY, serving
from api_helpers import complete as run_to_complete
from PIL import Image
from pydantic import SecretStr

from vidpipe.config import Settings

TOKEN = "s3cret-token"
# one URL per file route (and per kind of file behind it)
FILES = [
    "download", "keyframes/1/start", "keyframes/1/end", "clips/1", "references/Mara",
    "scenes/1/takes/clip/1/file", "scenes/1/takes/start/1/file", "lines/1/0",
    "subtitles.vtt", "subtitles.srt",
]  # fmt: skip
MISSING = [
    "clips/9", "keyframes/9/start", "references/Nobody", "scenes/1/takes/clip/9/file",
    "lines/1/99",
]  # fmt: skip


async def same_as_get(client: httpx.AsyncClient, url: str, **kwargs: dict) -> httpx.Response:
    """HEAD and GET of `url`: equal status and headers, HEAD without a body; the GET."""
    got, head = await client.get(url, **kwargs), await client.head(url, **kwargs)
    assert head.status_code == got.status_code, (url, head.status_code, got.status_code)
    assert dict(head.headers) == dict(got.headers), url
    assert head.content == b"", url
    return got


async def test_head_answers_like_get(sqlite_settings: Settings) -> None:
    # enough attempts that the refusals below are not throttled
    update = {"api_token": SecretStr(TOKEN), "login_attempts": 10_000}
    guarded = sqlite_settings.model_copy(update=update)
    async with serving(guarded, token=TOKEN) as (_, client):
        picture = io.BytesIO()
        Image.new("RGB", (40, 30), "red").save(picture, "PNG")
        files = {"file": ("mara.png", picture.getvalue())}
        reference = (await client.post("/api/references", files=files)).json()
        options = {**TINY, "narration": True}
        options["references"] = [{"name": "Mara", "id": reference["id"]}]
        base = f"/api/projects/{await run_to_complete(client, options=options)}"
        for name in FILES:
            got = await same_as_get(client, f"{base}/{name}")
            assert got.status_code == 200 and got.content, name
            assert int(got.headers["content-length"]) == len(got.content), name
            assert got.headers["accept-ranges"] == "bytes", name
            assert got.headers["etag"] and got.headers["last-modified"], name
            assert got.headers["x-content-type-options"] == "nosniff", name
        for name in MISSING:
            assert (await same_as_get(client, f"{base}/{name}")).status_code == 404, name
        # without the token both are refused alike, before anything is looked up
        for name in FILES:
            refused = await same_as_get(client, f"{base}/{name}", headers={"Authorization": ""})
            assert refused.status_code == 401, name
            assert refused.headers["www-authenticate"] == "Bearer", name
