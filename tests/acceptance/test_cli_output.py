"""Output without a terminal (a pipe, a CI log) at 40 columns: ids and paths come out whole.

Also what the commands import as whole processes: `status` runs no Alembic and no media stack,
re-stitching a local project loads neither the painter nor a provider SDK; and shell completion
of ids works from a real database.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from processes import user_env

pytestmark = pytest.mark.slow

SDKS_WEB = ("google.genai", "openai", "fastapi", "uvicorn")


class Project:
    def __init__(self, data_dir: Path, generated: subprocess.CompletedProcess[str]) -> None:
        self.data_dir = data_dir
        self.generated = generated
        self.id = generated.stderr.split("project ", 1)[1].split()[0]
        self.output = data_dir / "projects" / self.id / "output" / "final.mp4"


def run(data_dir: Path, *args: str, importtime: bool = False) -> subprocess.CompletedProcess[str]:
    """`vidpipe ARGS` with stdout and stderr piped (no TTY) and COLUMNS=40."""
    flags = ["-X", "importtime"] if importtime else []
    return subprocess.run(
        [sys.executable, *flags, "-m", "vidpipe", *args],
        env={**user_env(data_dir), "COLUMNS": "40"},
        capture_output=True,
        text=True,
        timeout=240,
        stdin=subprocess.DEVNULL,
    )


def imported(result: subprocess.CompletedProcess[str]) -> set[str]:
    return {
        line.rsplit("|", 1)[1].strip()
        for line in result.stderr.splitlines()
        if line.startswith("import time:")
    }


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Project:
    data_dir = tmp_path_factory.mktemp("a-data-directory-whose-paths-are-wider-than-40-columns")
    generated = run(
        data_dir, "generate", "a lighthouse on a stormy coast at dawn, waves crashing below",
        "--scenes", "2", "--clip-duration", "1", "--resolution", "480p", "--yes",
    )  # fmt: skip
    assert generated.returncode == 0, generated.stderr
    return Project(data_dir, generated)


def assert_whole(text: str, *values: str) -> None:
    lines = text.splitlines()
    for value in values:
        assert any(value in line for line in lines), f"{value} is not whole on one line:\n{text}"


def test_generate_prints_the_id_and_the_output_path_whole(project: Project) -> None:
    assert project.output.is_file() and len(str(project.output)) > 80
    assert_whole(project.generated.stdout, project.id, str(project.output))
    assert_whole(project.generated.stderr, f"project {project.id}")


def test_status_and_stitch_print_the_output_path_whole(project: Project) -> None:
    for command in ("status", "stitch"):
        result = run(project.data_dir, command, project.id[:8])
        assert result.returncode == 0, result.stderr
        assert_whole(result.stdout, project.id, str(project.output))


def test_list_is_one_line_per_project(project: Project) -> None:
    result = run(project.data_dir, "list")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 2 and lines[1].split()[0] == project.id[:8]
    assert "a lighthouse on a stormy coast at dawn, waves crashing below" in lines[1]


def test_status_skips_alembic_and_the_media_stack(project: Project) -> None:
    result = run(project.data_dir, "status", project.id, importtime=True)
    assert result.returncode == 0, result.stderr
    modules = imported(result)
    assert "vidpipe.db.models" in modules
    assert not {"alembic", "av", "numpy", "cv2", *SDKS_WEB} & modules


def test_stitching_a_local_project_loads_no_painter_and_no_sdk(project: Project) -> None:
    result = run(project.data_dir, "stitch", project.id, importtime=True)
    assert result.returncode == 0, result.stderr
    modules = imported(result)
    assert "vidpipe.providers.local.providers" in modules and "av" in modules
    assert not {"numpy", "cv2", "vidpipe.providers.local.painting", *SDKS_WEB} & modules


def test_completion_offers_ids_by_prefix(project: Project, tmp_path: Path) -> None:
    def complete(data_dir: Path, typed: str) -> subprocess.CompletedProcess[str]:
        env = user_env(data_dir, _VIDPIPE_COMPLETE="complete_bash")
        env.update(COMP_WORDS=f"vidpipe status {typed}", COMP_CWORD="2")
        script = Path(sys.executable).with_name("vidpipe")  # completion hooks call the script
        return subprocess.run([script], env=env, capture_output=True, text=True, timeout=60)

    found = complete(project.data_dir, project.id[:4])
    assert found.returncode == 0 and found.stdout.split() == [project.id], found.stderr
    assert complete(project.data_dir, "ffff-no").stdout.split() == []
    empty = complete(tmp_path / "no-data", "")
    assert empty.returncode == 0 and empty.stdout.strip() == "" and empty.stderr == ""
    assert not (tmp_path / "no-data").exists()
