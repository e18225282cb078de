"""Reference images over HTTP: multipart upload checked by content, its id named
in `POST /api/generate` and in `PATCH .../storyboard`; bad input is one 422 and writes nothing;
the detail document lists the references and, per scene, which appear; the image is served."""

from __future__ import annotations

import io
from pathlib import Path

from api_helpers import finished, serving
from PIL import Image

from vidpipe.config import Settings

PAUSED = {"scenes": 2, "clip_duration": 1, "resolution": "480p", "pause_after": "storyboard"}


def png(colour: str, size: tuple[int, int] = (60, 80)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, colour).save(buf, format="PNG")
    return buf.getvalue()


def one_line(response) -> str:  # type: ignore[no-untyped-def]
    detail = response.json()["detail"]
    assert isinstance(detail, list) and len(detail) == 1, detail
    message = detail[0]["msg"]
    assert "\n" not in message
    return message


async def test_upload_then_generate_and_patch_with_the_id(sqlite_settings: Settings) -> None:
    uploads = Path(sqlite_settings.data_dir) / "uploads" / "references"
    async with serving(sqlite_settings) as (_, client):
        bad = {
            "text named .png": ("mara.png", b"hello, not an image\n" * 10, "image/png"),
            "empty": ("mara.png", b"", "image/png"),
            "over 20 MB": ("big.png", png("red")[:40] + b"\0" * (21 * 1024 * 1024), "image/png"),
            "5000 px wide": ("wide.png", png("red", (5000, 4)), "image/png"),
        }
        for case, file in bad.items():
            refused = await client.post("/api/references", files={"file": file})
            assert refused.status_code == 422, (case, refused.text)
            one_line(refused)
        assert not uploads.exists() or not any(uploads.iterdir())

        webp = io.BytesIO()
        Image.new("RGB", (60, 80), "red").save(webp, format="WEBP")
        named_wrong = await client.post(  # a WebP named .png is stored as what it is
            "/api/references", files={"file": ("mara.png", webp.getvalue(), "image/png")}
        )
        assert named_wrong.status_code == 201, named_wrong.text
        assert named_wrong.json()["media_type"] == "image/webp"
        first = (await client.post("/api/references", files={"file": ("m.png", png("red"))})).json()
        again = (await client.post("/api/references", files={"file": ("x.png", png("red"))})).json()
        assert first["id"] == again["id"] and (first["width"], first["height"]) == (60, 80)

        refusals = {
            "unknown id": [{"name": "Mara", "id": "0" * 40}],
            "duplicate name": [{"name": "Mara", "id": first["id"]}] * 2,
            "bad name": [{"name": "9lives", "id": first["id"]}],
        }
        for case, references in refusals.items():
            body = {"prompt": "Mara rides", "references": references, **PAUSED}
            refused = await client.post("/api/generate", json=body)
            assert refused.status_code == 422, (case, refused.text)
            one_line(refused)
        assert (await client.get("/api/projects")).json()["total"] == 0

        body = {
            "prompt": "Mara rides through the city",
            "references": [{"name": "Mara", "id": first["id"], "description": "a courier"}],
            **PAUSED,
        }
        accepted = await client.post("/api/generate", json=body)
        assert accepted.status_code == 202, accepted.text
        project_id = accepted.json()["project_id"]
        assert (await finished(client, project_id))["status"] == "paused"
        base = f"/api/projects/{project_id}"
        detail = (await client.get(base)).json()
        (reference,) = detail["references"]
        assert (reference["name"], reference["description"]) == ("Mara", "a courier")
        assert [s["references"] for s in detail["scenes"]] == [["Mara"], ["Mara"]]
        page = await client.get(f"/projects/{project_id}")  # the web page's references block
        assert page.status_code == 200
        assert f'src="{reference["url"]}" alt="Reference Mara"' in page.text
        assert "in scenes 1, 2" in page.text and "References: Mara" in page.text
        client.cookies.clear()  # the page's session cookie would make writes need its CSRF token
        served = await client.get(reference["url"])
        assert served.status_code == 200 and served.content == png("red")
        assert served.headers["content-type"] == "image/png"

        got = await client.get(f"{base}/storyboard")
        board, etag = got.json(), got.headers["etag"]
        assert board["references"] == [
            {"name": "Mara", "id": first["id"], "description": "a courier"}
        ]
        board["scenes"][1]["references"] = ["Mara", "Zed"]
        unknown = await client.patch(f"{base}/storyboard", json=board, headers={"If-Match": etag})
        assert unknown.status_code == 422, unknown.text
        assert "Zed" in unknown.text
        assert (await client.get(f"{base}/storyboard")).headers["etag"] == etag  # unchanged

        blue = (await client.post("/api/references", files={"file": ("b.png", png("blue"))})).json()
        board["scenes"][1]["references"] = ["Zed"]
        board["scenes"][0]["references"] = []
        board["references"] = [{"name": "Zed", "id": blue["id"]}]
        patched = await client.patch(f"{base}/storyboard", json=board, headers={"If-Match": etag})
        assert patched.status_code == 200, patched.text
        detail = (await client.get(base)).json()
        assert [r["name"] for r in detail["references"]] == ["Zed"]  # Mara left out: removed
        assert [s["references"] for s in detail["scenes"]] == [[], ["Zed"]]
        assert (await client.get(detail["references"][0]["url"])).content == png("blue")
        assert (await client.get(f"{base}/references/Mara")).status_code == 404
