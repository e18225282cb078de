"""Reference images are checked by their bytes: type by content, fully decoded, limits."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from vidpipe.errors import BadInputError
from vidpipe.orchestrator.references import check_image, parse_option


def encoded(kind: str, size: tuple[int, int] = (32, 48)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, "teal").save(buf, format=kind)
    return buf.getvalue()


def test_the_type_comes_from_the_bytes_not_the_name(tmp_path: Path) -> None:
    for kind, media in (("PNG", "image/png"), ("JPEG", "image/jpeg"), ("WEBP", "image/webp")):
        path = tmp_path / "named.png"
        path.write_bytes(encoded(kind))
        spec = parse_option(f"Mara={path}")
        assert (spec.image.media_type, spec.image.width, spec.image.height) == (media, 32, 48)


@pytest.mark.parametrize(
    ("data", "says"),
    [
        (encoded("PNG")[:60], "not a readable"),  # truncated: decoding fails
        (encoded("GIF"), "a GIF image; use PNG, JPEG or WebP"),
        (b"%PDF-1.7\n" * 50, "not a readable"),
        (encoded("PNG", (4097, 2)), "at most 4096 px"),
        (b"", "empty"),
    ],
)
def test_what_is_refused(data: bytes, says: str) -> None:
    with pytest.raises(BadInputError, match=says):
        check_image(data, "--reference Mara")


def test_the_option_splits_name_path_and_description(tmp_path: Path) -> None:
    path = tmp_path / "a=b.png"
    path.write_bytes(encoded("PNG"))
    spec = parse_option(f"Old Tom = {path}::a grey cat, one ear torn::twice")
    assert (spec.name, spec.description) == ("Old Tom", "a grey cat, one ear torn::twice")
    for bad in ("=x.png", "Mara", f"9lives={path}", f"{'x' * 41}={path}"):
        with pytest.raises(BadInputError):
            parse_option(bad)
