"""The CLI starts fast: each command imports what it uses and nothing more (issue 9).

Each check runs a fresh interpreter (this test process has imported everything already) under
`-X importtime`, which names every module the process imported. The database commands run
against one real project, made once by `vidpipe generate` (1 scene of 1 s at 480p).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from processes import user_env

SDKS_WEB_MEDIA = (
    *("google.genai", "openai", "fastapi", "uvicorn", "starlette", "httpx"),
    *("cv2", "av", "numpy"),
)
DATABASE = ("sqlalchemy", "aiosqlite", "asyncpg", "alembic", "pydantic_settings")
# what reading a project never needs: migrations when the schema is current, image decoding,
# lease-holder checks, the pipeline's steps and the providers
NOT_FOR_READING = ("alembic", "PIL", "psutil", "vidpipe.pipeline", "vidpipe.providers.local")
BUILD_APP = "from vidpipe.cli.main import build_app; build_app()"  # every command module loaded


def imported_modules(args: list[str], data_dir: Path) -> set[str]:
    """Every module a `python -X importtime ARGS` process imported."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", *args],
        env=user_env(data_dir),
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return {
        line.rsplit("|", 1)[1].strip()
        for line in done.stderr.splitlines()
        if line.startswith("import time:") and "|" in line
    }


def heavy(modules: set[str], roots: tuple[str, ...]) -> list[str]:
    return sorted(m for m in modules if any(m == r or m.startswith(r + ".") for r in roots))


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """(data directory, id) of a complete one-scene local project."""
    data_dir = tmp_path_factory.mktemp("imports")
    done = subprocess.run(
        [sys.executable, "-m", "vidpipe", "generate", "a lighthouse at dawn", "--scenes", "1",
         "--clip-duration", "1", "--resolution", "480p", "--yes", "--json"],
        env=user_env(data_dir), capture_output=True, text=True, timeout=240,
        stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    document = json.loads(done.stdout)
    assert document["status"] == "complete"
    return data_dir, document["id"]


def test_importtime_parsing_sees_what_was_imported(tmp_path: Path) -> None:
    modules = imported_modules(["-c", f"import numpy; {BUILD_APP}"], tmp_path)
    assert "vidpipe.cli.commands.generate" in modules
    assert "numpy" in heavy(modules, SDKS_WEB_MEDIA)  # the checks below can fail


def test_the_command_table_pulls_in_no_sdk_web_media_or_database(tmp_path: Path) -> None:
    modules = imported_modules(["-c", BUILD_APP], tmp_path)
    assert heavy(modules, SDKS_WEB_MEDIA + DATABASE) == []


def test_help_opens_no_database_and_starts_no_event_loop(tmp_path: Path) -> None:
    modules = imported_modules(["-m", "vidpipe", "--help"], tmp_path)
    assert heavy(modules, SDKS_WEB_MEDIA + DATABASE + ("asyncio", "vidpipe.config")) == []
    assert not (tmp_path / "vidpipe.db").exists()


def test_list_and_status_read_the_database_and_nothing_else(project: tuple[Path, str]) -> None:
    data_dir, project_id = project
    for command in (["list"], ["status", project_id], ["status", project_id[:8], "--json"]):
        modules = imported_modules(["-m", "vidpipe", *command], data_dir)
        assert "sqlalchemy.ext.asyncio" in modules and "vidpipe.db.models" in modules  # it read
        assert heavy(modules, SDKS_WEB_MEDIA + NOT_FOR_READING) == [], command


def test_stitch_loads_pyav_to_probe_and_no_sdk_painter_or_web_stack(
    project: tuple[Path, str],
) -> None:
    data_dir, project_id = project
    modules = imported_modules(["-m", "vidpipe", "stitch", project_id], data_dir)
    assert "av" in modules  # the clips are probed (stream parameters, extradata)
    allowed_media = ("av",)
    unwanted = tuple(m for m in SDKS_WEB_MEDIA if m not in allowed_media)
    assert heavy(modules, unwanted + ("alembic", "PIL", "vidpipe.providers.local.painting")) == []


def test_building_local_providers_imports_no_sdk_and_no_painter(tmp_path: Path) -> None:
    code = (
        "from vidpipe.config import Settings; from vidpipe.providers.registry import load_registry;"
        "load_registry().build(Settings(), 'local', 'local', 'local')"
    )
    modules = imported_modules(["-c", code], tmp_path)
    assert "vidpipe.providers.local.providers" in modules
    assert heavy(modules, SDKS_WEB_MEDIA) == []
    assert "vidpipe.providers.local.painting" not in modules
