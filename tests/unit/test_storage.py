"""Atomic artifact writes and path containment."""

import uuid
from pathlib import Path

import pytest

from vidpipe.storage import ProjectStorage, image_is_usable


def storage(tmp_path: Path) -> ProjectStorage:
    store = ProjectStorage(tmp_path / "projects", uuid.uuid4())
    store.ensure_dirs()
    return store


def test_layout(tmp_path: Path) -> None:
    store = storage(tmp_path)
    assert {p.name for p in store.root.iterdir()} == {"keyframes", "clips", "output"}
    assert store.resolve(store.final_name()) == store.root.resolve() / "output" / "final.mp4"


def test_a_failed_write_leaves_neither_target_nor_temporary(tmp_path: Path) -> None:
    store = storage(tmp_path)
    with pytest.raises(RuntimeError), store.atomic_path("clips/scene_00.mp4") as tmp:
        tmp.write_bytes(b"half a clip")
        raise RuntimeError("crash mid-write")
    assert list((store.root / "clips").iterdir()) == []


def test_the_target_appears_only_complete(tmp_path: Path) -> None:
    store = storage(tmp_path)
    target = store.resolve("clips/scene_00.mp4")
    with store.atomic_path("clips/scene_00.mp4") as tmp:
        tmp.write_bytes(b"abc")
        assert not target.exists()
    assert target.read_bytes() == b"abc"
    assert list((store.root / "clips").iterdir()) == [target]


def test_leftover_temporaries_are_removed(tmp_path: Path) -> None:
    store = storage(tmp_path)
    store.temporary_path("clips/scene_01.mp4").write_bytes(b"x")
    store.write_bytes("clips/scene_00.mp4", b"kept")
    assert store.remove_temporaries() == 1
    assert [p.name for p in (store.root / "clips").iterdir()] == ["scene_00.mp4"]


@pytest.mark.parametrize("bad", ["../other/x.png", "/etc/passwd", "keyframes/../../x"])
def test_paths_outside_the_project_are_refused(tmp_path: Path, bad: str) -> None:
    with pytest.raises(ValueError, match="leaves the project folder"):
        storage(tmp_path).resolve(bad)


def test_image_check(tmp_path: Path) -> None:
    from PIL import Image

    good, bad = tmp_path / "good.png", tmp_path / "bad.png"
    Image.new("RGB", (8, 8), "red").save(good)
    bad.write_bytes(good.read_bytes()[:20])
    assert image_is_usable(good)
    assert not image_is_usable(bad)
    assert not image_is_usable(tmp_path / "missing.png")


def test_a_document_never_shows_a_path_outside_the_project(tmp_path: Path) -> None:
    from vidpipe.orchestrator.report import _path

    store = storage(tmp_path)
    assert _path(store, "../../etc/passwd") is None
    assert _path(store, "output/final.mp4") == str(store.root.resolve() / "output" / "final.mp4")
