"""The CLI starts fast: importing it, or asking for help, loads no SDK, web or media stack.

Each check runs a fresh interpreter (this test process has imported everything already) under
`-X importtime`, which names every module the process imported.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from processes import user_env

SDKS_WEB_MEDIA = ("google.genai", "openai", "fastapi", "uvicorn", "cv2", "av", "numpy")
DATABASE = ("sqlalchemy", "aiosqlite", "alembic", "pydantic_settings")


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


def test_importtime_parsing_sees_what_was_imported(tmp_path: Path) -> None:
    modules = imported_modules(["-c", "import numpy, vidpipe.cli"], tmp_path)
    assert "vidpipe.cli.app" in modules
    assert "numpy" in heavy(modules, SDKS_WEB_MEDIA)  # the checks below can fail


def test_import_vidpipe_cli_pulls_in_no_sdk_web_or_media_stack(tmp_path: Path) -> None:
    modules = imported_modules(["-c", "import vidpipe.cli"], tmp_path)
    assert heavy(modules, SDKS_WEB_MEDIA + DATABASE) == []


def test_help_opens_no_database(tmp_path: Path) -> None:
    modules = imported_modules(["-m", "vidpipe", "--help"], tmp_path)
    assert heavy(modules, SDKS_WEB_MEDIA + DATABASE) == []
    assert not (tmp_path / "vidpipe.db").exists()


def test_building_local_providers_imports_no_sdk_and_no_painter(tmp_path: Path) -> None:
    code = (
        "from vidpipe.config import Settings; from vidpipe.providers.registry import load_registry;"
        "load_registry().build(Settings(), 'local', 'local', 'local')"
    )
    modules = imported_modules(["-c", code], tmp_path)
    assert "vidpipe.providers.local.providers" in modules
    assert heavy(modules, SDKS_WEB_MEDIA) == []
    assert "vidpipe.providers.local.painting" not in modules
