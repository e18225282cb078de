"""What a demanding new user met at the command line: bad values that slipped past the checks
(a `nan` crossfade, blank prompts), state that said something untrue (a killed run's project
reading as a run in progress, a scene about to be swapped not marked stale) and scene numbers
counted from 0 in the ledger while everything else counts from 1."""

from __future__ import annotations

import json
import signal
import sqlite3
import uuid
from pathlib import Path

import pytest
from cli_helpers import Vidpipe, document, spawn
from processes import query, sim_env, wait_for

pytestmark = pytest.mark.slow

SMALL = ["--scenes", "2", "--clip-duration", "1", "--resolution", "480p", "--yes", "--json"]


def made(vidpipe: Vidpipe, prompt: str, *extra: str) -> dict:
    return document(vidpipe("generate", prompt, *SMALL, *extra, env=sim_env()))


def written(data: Path) -> tuple[dict[str, int], list[tuple]]:
    """Every file's size under the data directory but the database, and the database's rows
    that a refused command could have written."""
    files = {
        str(p.relative_to(data)): p.stat().st_mtime_ns
        for p in sorted(data.rglob("*"))
        if p.is_file() and not p.name.startswith("vidpipe.db")
    }
    db = data / "vidpipe.db"
    rows = query(db, "SELECT id, status, storyboard_version, crossfade, updated_at FROM projects")
    rows += query(db, "SELECT id, status FROM pipeline_runs")
    rows += query(db, "SELECT scene_index, video_motion_prompt, end_frame_prompt FROM scenes")
    return files, rows


def refused(result, flag: str) -> None:
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: invalid {flag}:"), result.stderr


def test_stitch_refuses_a_crossfade_that_is_not_a_number_of_seconds(
    vidpipe: Vidpipe, tmp_path: Path
) -> None:
    project = made(vidpipe, "a paper boat on a pond")["id"]
    before = written(tmp_path / "data")
    for value in ("nan", "-1"):
        result = vidpipe("stitch", project[:8], "--crossfade", value)
        refused(result, "--crossfade")  # was exit 1, "stitch failed: ValueError", a failed run
        assert "0 (hard cuts) or more" in result.stderr
    assert written(tmp_path / "data") == before


def test_blank_scene_texts_are_refused_by_flag_and_by_storyboard_file(
    vidpipe: Vidpipe, tmp_path: Path
) -> None:
    project = made(vidpipe, "a heron over a marsh")["id"]
    board = json.loads(vidpipe("storyboard", project).stdout)
    before = written(tmp_path / "data")
    for flag in ("--motion", "--end-prompt", "--description"):
        for blank in ("", "   "):
            result = vidpipe("edit", project, "--scene", "1", flag, blank)
            refused(result, flag)  # was accepted as "   ", or named `video_motion_prompt`
    for field, scene in [("end_frame_prompt", 1), ("video_motion_prompt", 0),
                         ("start_frame_prompt", 0)]:  # fmt: skip
        changed = json.loads(json.dumps(board))
        changed["scenes"][scene][field] = "  "
        path = tmp_path / f"{field}.json"
        path.write_text(json.dumps(changed))
        result = vidpipe("edit", project, "--storyboard-file", str(path))
        assert result.returncode == 2, result.stderr
        assert len(result.stderr.strip().splitlines()) == 1 and field in result.stderr
    assert written(tmp_path / "data") == before


def test_style_guide_file_problems_name_the_file(vidpipe: Vidpipe, tmp_path: Path) -> None:
    project = made(vidpipe, "a lantern in fog")["id"]
    path = tmp_path / "style.json"
    path.write_text(json.dumps({"color_palette": []}))
    before = written(tmp_path / "data")
    result = vidpipe("edit", project, "--style-guide-file", str(path))
    refused(result, "--style-guide-file")  # was "invalid visual_style: Field required"
    assert "visual_style" in result.stderr
    assert written(tmp_path / "data") == before


def test_ledger_rows_count_scenes_from_1_as_everything_else_does(vidpipe: Vidpipe) -> None:
    shown = made(vidpipe, "a kite on a beach")
    project = shown["id"]
    details = {a["detail"] for a in document(vidpipe("status", project, "--json"))["ledger"][
        "attempts"]}  # fmt: skip
    assert {"scene 1 start frame", "scene 1 end frame", "scene 2 end frame"} <= details
    assert {"scene 1 clip", "scene 2 clip"} <= details
    assert not any(detail.startswith("scene 0") for detail in details), details


def test_a_clip_take_about_to_be_swapped_marks_its_scene_stale(vidpipe: Vidpipe) -> None:
    project = made(vidpipe, "a red tram in the rain")["id"]
    assert vidpipe("edit", project, "--clip-duration", "2").returncode == 0
    assert vidpipe("resume", project, "--yes", env=sim_env()).returncode == 0
    forced = vidpipe("select", project, "--scene", "1", "--take", "1", "--force")
    assert forced.returncode == 0, forced.stderr
    plan = document(vidpipe("plan", project, "--json"))
    assert plan["reuse"] == [{"scene": 1, "slot": "clip", "take": 2}]
    shown = document(vidpipe("status", project, "--json"))
    assert shown["status"] == "out_of_date"
    # scene 1 shows a 1 s clip in a 2 s project and resume swaps it: it was not marked
    assert [s["stale"] for s in shown["scenes"]] == [True, False]
    text = vidpipe("status", project).stdout
    assert [line.split()[:3] for line in text.splitlines() if "stale" in line.split()] == [
        ["1", "complete", "stale"]
    ]


def keyframing(db: Path) -> bool:
    try:
        rows = query(db, "SELECT status, lease_owner FROM projects") if db.exists() else []
    except sqlite3.OperationalError:
        return False
    return bool(rows) and rows[0][0] == "keyframing" and rows[0][1] is not None


def test_ctrl_c_is_told_as_an_interruption_not_as_an_error_class(
    vidpipe: Vidpipe, cli_env: dict[str, str], tmp_path: Path
) -> None:
    db = tmp_path / "data" / "vidpipe.db"
    run = spawn(["generate", "lanterns over a river", *SMALL], {**cli_env, **sim_env(image=600)})
    wait_for(lambda: keyframing(db))
    run.send_signal(signal.SIGINT)
    _, err = run.communicate(timeout=60)
    assert run.returncode == 130, err
    (error,) = query(db, "SELECT error_message FROM projects")[0]
    # was "keyframes failed: CancelledError: interrupted (Ctrl+C or SIGTERM); ..."
    assert error == "keyframes interrupted (Ctrl+C or SIGTERM); resume to continue"
    assert "CancelledError" not in err


def test_a_killed_runs_project_says_so_and_how_to_continue(
    vidpipe: Vidpipe, cli_env: dict[str, str], tmp_path: Path
) -> None:
    db = tmp_path / "data" / "vidpipe.db"
    run = spawn(["generate", "lanterns over a river", *SMALL], {**cli_env, **sim_env(image=600)})
    wait_for(lambda: keyframing(db))
    run.send_signal(signal.SIGKILL)
    run.wait()
    project = str(uuid.UUID(query(db, "SELECT id FROM projects")[0][0]))
    shown = document(vidpipe("status", project, "--json"))
    assert (shown["status"], shown["running"]) == ("keyframing", False)
    assert "killed or crashed" in shown["note"], shown  # was None: it read as a run going on
    told = vidpipe("status", project).stdout
    assert f"killed or crashed); resume it: vidpipe resume {project}" in told, told
    resumed = vidpipe("resume", project, "--json", env=sim_env())
    assert resumed.returncode == 0, resumed.stderr
    assert document(resumed)["note"] is None


def test_an_unknown_provider_in_a_model_option_is_that_options_problem(
    vidpipe: Vidpipe, tmp_path: Path
) -> None:
    project = made(vidpipe, "a fox in the snow")["id"]
    before = written(tmp_path / "data")
    for command, flag in [(["edit", project, "--video-model", "foo"], "--video-model"),
                          (["edit", project, "--image-model", "nope:x"], "--image-model"),
                          (["redo", project, "--scene", "1", "--clip", "--model", "nope:x"],
                           "--model")]:  # fmt: skip
        result = vidpipe(*command)
        refused(result, flag)  # was "...; check VIDPIPE_VIDEO_PROVIDER", a setting never set
        assert "unknown" in result.stderr and "VIDPIPE_" not in result.stderr
    assert written(tmp_path / "data") == before


def test_a_storyboard_file_older_than_the_storyboard_is_refused(
    vidpipe: Vidpipe, tmp_path: Path
) -> None:
    project = made(vidpipe, "a lighthouse at dawn")["id"]
    path = tmp_path / "board.json"
    path.write_text(vidpipe("storyboard", project).stdout)
    edited = vidpipe("edit", project, "--scene", "2", "--motion", "a slow orbit")
    assert edited.returncode == 0, edited.stderr
    before = written(tmp_path / "data")
    for extra in (["edit"], ["fork", "--yes"]):
        stale = vidpipe(extra[0], project, "--storyboard-file", str(path), *extra[1:])
        assert stale.returncode == 2, stale.stderr  # was written, undoing the motion edit
        assert "changed elsewhere" in stale.stderr and len(stale.stderr.splitlines()) == 1
        assert f"print it again (vidpipe storyboard {project})" in stale.stderr
    assert written(tmp_path / "data") == before
    board = json.loads(path.read_text())
    assert board["scenes"][1]["video_motion_prompt"] != "a slow orbit"
    del board["version"]  # a file without a version is applied to the version there is
    path.write_text(json.dumps(board))
    assert vidpipe("edit", project, "--storyboard-file", str(path)).returncode == 0
    now = json.loads(vidpipe("storyboard", project).stdout)
    assert now["scenes"][1]["video_motion_prompt"] == board["scenes"][1]["video_motion_prompt"]


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (
            ["status", "abcd", "--bogus"],
            "No such option: --bogus (see `python -m vidpipe status --help`)",
        ),
        (["takes", "abcd"], "Missing option '--scene' (see `python -m vidpipe takes"),
        (["generate"], "Missing argument 'prompt'"),
        (["bogus"], "No such command 'bogus' (see `python -m vidpipe --help`)"),
        (["stitch", "abcd", "--crossfade", "abc"], "Invalid value for '--crossfade'"),
        (["generate", "x", "--scenes"], "Option '--scenes' requires an argument"),
    ],
)
def test_a_usage_error_is_one_line_too(
    vidpipe_process: Vidpipe, tmp_path: Path, args: list[str], said: str
) -> None:
    result = vidpipe_process(*args)  # a process: its usage line names how it was started
    assert result.returncode == 2, result.stderr
    # was Typer's usage line, a "Try ..." hint and a boxed panel: five lines
    assert result.stderr.splitlines() == [f"error: {result.stderr[7:].strip()}"], result.stderr
    assert said in result.stderr and result.stdout == ""
    assert not (tmp_path / "data").exists()


def test_help_is_still_help(vidpipe: Vidpipe) -> None:
    bare = vidpipe()  # no command: the help, as before
    assert "Usage:" in bare.stdout and "generate" in bare.stdout
    assert vidpipe("takes", "--help").returncode == 0


def test_a_blank_or_huge_direction_and_a_folder_as_music_are_refused(
    vidpipe: Vidpipe, tmp_path: Path
) -> None:
    project = made(vidpipe, "a windmill on a hill")["id"]
    before = written(tmp_path / "data")
    cases = [
        (["--clip", "--direction", "  "], "must not be empty"),  # was a paid take, no direction
        (["--end-frame", "--direction", ""], "must not be empty"),
        (["--clip", "--direction", "x" * 5000], "the limit is 4000"),  # the API's limit too
    ]
    for flags, said in cases:
        result = vidpipe("redo", project, "--scene", "1", *flags, "--yes", env=sim_env())
        refused(result, "--direction")
        assert said in result.stderr
    result = vidpipe("edit", project, "--music", str(tmp_path))
    refused(result, "--music")
    assert "not a file" in result.stderr  # was "no such file" for a folder that exists
    assert written(tmp_path / "data") == before


def test_plan_calls_a_frame_or_clip_never_made_missing(vidpipe: Vidpipe) -> None:
    shown = made(vidpipe, "a quiet harbor", "--pause-after", "storyboard")
    plan = document(vidpipe("plan", shown["id"], "--json"))
    reasons = [(i["kind"], i["scene"], i["reason"]) for i in plan["items"] if i["kind"] != "stitch"]
    # was "drawn from a redrawn frame" and "new keyframes": nothing had been drawn yet
    assert reasons == [
        ("keyframe", 1, "missing"),
        ("keyframe", 1, "missing"),
        ("keyframe", 2, "missing"),
        ("clip", 1, "missing"),
        ("clip", 2, "missing"),
    ]
    assert vidpipe("resume", shown["id"], "--yes", env=sim_env()).returncode == 0
    edited = vidpipe("edit", shown["id"], "--scene", "1", "--end-prompt", "a new end", "--json")
    later = [(i["scene"], i["reason"]) for i in document(edited)["items"]]
    assert (2, "drawn from a redrawn frame") in later and (1, "new keyframes") in later


def test_the_clips_line_counts_the_scenes_there_are(vidpipe: Vidpipe) -> None:
    made_ = vidpipe("generate", "a paper lantern", *SMALL, env=sim_env())
    assert made_.returncode == 0, made_.stderr
    # was "Animating up to 256 scenes at once" (the sim provider's cap) for 2 scenes
    assert "[Clips] Animating up to 2 scenes at once" in made_.stderr, made_.stderr
    redo = vidpipe("redo", document(made_)["id"], "--scene", "1", "--clip", "--yes", env=sim_env())
    assert "[Clips] Animating one scene at a time" in redo.stderr, redo.stderr


def test_a_data_directory_that_cannot_be_one_is_one_line(vidpipe: Vidpipe, tmp_path: Path) -> None:
    afile = tmp_path / "afile"
    afile.write_text("not a folder")
    for command in (["list"], ["generate", "x", "--yes"]):
        result = vidpipe(*command, env={"VIDPIPE_DATA_DIR": str(afile)})
        # was "no projects yet" (list) and a FileExistsError traceback (generate)
        assert result.returncode == 2, result.stderr
        assert result.stderr.strip().splitlines() == [
            f"error: configuration: invalid data_dir: {afile} is a file, not a folder"
        ]
    under = afile / "data"
    result = vidpipe("generate", "x", "--yes", env={"VIDPIPE_DATA_DIR": str(under)})
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
    assert result.stderr.startswith(f"error: cannot make the database's folder {under}")
    assert afile.read_text() == "not a folder"


def test_a_project_has_at_most_12_reference_images(vidpipe: Vidpipe, tmp_path: Path) -> None:
    from PIL import Image

    image = tmp_path / "red.png"
    Image.new("RGB", (32, 32), (200, 30, 30)).save(image)
    many = [flag for i in range(13) for flag in ("--reference", f"R{i}={image}")]
    result = vidpipe("generate", "a parade", *many, *SMALL, env=sim_env())
    # was accepted, and the storyboard it made (13 names in a scene) no edit would take back
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip().splitlines() == [
        "error: 13 reference images; a project may have at most 12"
    ]
    assert not (tmp_path / "data").exists()
    project = made(vidpipe, "a parade", *many[2:])["id"]  # 12: the most there may be
    before = written(tmp_path / "data")
    more = vidpipe("edit", project, "--add-reference", f"R99={image}")
    assert more.returncode == 2 and "at most 12" in more.stderr, more.stderr
    assert written(tmp_path / "data") == before
    board = tmp_path / "board.json"
    board.write_text(vidpipe("storyboard", project).stdout)
    assert vidpipe("edit", project, "--storyboard-file", str(board)).returncode == 0


def test_redoing_a_frame_at_the_keyframes_gate_stops_there_again(
    vidpipe: Vidpipe, tmp_path: Path
) -> None:
    project = made(vidpipe, "a red kite over dunes", "--pause-after", "keyframes")["id"]
    redo = vidpipe("redo", project, "--scene", "1", "--end-frame", "--yes", env=sim_env())
    assert redo.returncode == 0, redo.stderr
    assert redo.stderr.strip().splitlines()[-1].endswith(f"then run: vidpipe resume {project}")
    shown = document(vidpipe("status", project, "--json"))
    # was `complete`: the redo went through the gate and made every clip, unreviewed
    assert (shown["status"], shown["paused_before"]) == ("paused", "video_gen")
    assert [(s["end_keyframe_take"], s["clip_status"]) for s in shown["scenes"]] == [
        (2, None),
        (2, None),
    ]
    assert query(tmp_path / "data" / "vidpipe.db", "SELECT count(*) FROM video_clips") == [(0,)]
    resumed = vidpipe("resume", project, "--yes", "--json", env=sim_env())
    assert document(resumed)["status"] == "complete"


def test_a_prompt_with_a_terminal_escape_is_refused(vidpipe: Vidpipe, tmp_path: Path) -> None:
    result = vidpipe("generate", "a fox \x1b[31min red\x1b[0m", "--yes")
    # was accepted, and `list` / `status` then sent the escape to the terminal
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip().splitlines() == [
        "error: invalid prompt: holds a control character (U+001B); write plain text"
    ]
    assert not (tmp_path / "data").exists()
    lines = vidpipe("generate", "a fox\nin the snow", *SMALL, env=sim_env())
    assert lines.returncode == 0, lines.stderr  # a line break is text
    project = document(lines)["id"]
    before = written(tmp_path / "data")
    result = vidpipe("edit", project, "--scene", "1", "--description", "a fox\x1b[2J")
    refused(result, "--description")  # a scene's texts show in `status` too
    assert "holds a control character (U+001B)" in result.stderr
    assert written(tmp_path / "data") == before
