"""ComfyUI as it really behaves (issue 14): client-chosen prompt ids and look-ups, partial
validation, restarts, completion from the websocket, output formats, checks against
/object_info, and the model-free templates of docs/comfyui/ — against the fake server."""

from __future__ import annotations

import asyncio
import copy
import json
import logging
import time
from pathlib import Path
from typing import Any

import pytest
from artifacts import decode_png, png_from_prompt
from fake_comfyui import FakeComfyUI
from loopback import serve
from provider_env import comfyui_settings

from vidpipe.config import Settings
from vidpipe.errors import OperationFailedError
from vidpipe.media.clipcheck import check_clip
from vidpipe.media.probe import probe
from vidpipe.providers.base import ImageRequest, StyleGuide, VideoRequest
from vidpipe.providers.calls import LATENCY, TransientError
from vidpipe.providers.comfyui import ComfyUIImageProvider, ComfyUIVideoProvider
from vidpipe.providers.comfyui.client import PromptRejected

Fake = tuple[FakeComfyUI, str]
STYLE = StyleGuide(visual_style="ink wash", color_palette=["#000000"], camera_style="locked off")
ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = ROOT / "vidpipe/providers/comfyui/workflows"
EXAMPLES = ROOT / "docs/comfyui"


def clip_request(tmp_path: Path, *, duration: float = 1.0, scene: int = 0) -> VideoRequest:
    start, end = tmp_path / f"start{scene}.png", tmp_path / f"end{scene}.png"
    start.write_bytes(png_from_prompt(f"start {scene}", 640, 360))
    end.write_bytes(png_from_prompt(f"end {scene}", 640, 360))
    return VideoRequest("the boat drifts", start, end, duration, 640, 360, "16:9", 24, scene, STYLE)


def shipped(name: str) -> dict[str, Any]:
    return json.loads((WORKFLOWS / name).read_text())


def write(tmp_path: Path, template: dict[str, Any], name: str = "mine.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(template))
    return path


# ---------------------------------------------------------------- client-chosen prompt ids


async def test_the_prompt_carries_vidpipes_id(
    comfyui_fake: Fake, base_settings: Settings, tmp_path: Path
) -> None:
    fake, url = comfyui_fake
    provider = ComfyUIVideoProvider(comfyui_settings(base_settings, url))
    operation_id = provider.new_operation_id()
    assert operation_id and operation_id != provider.new_operation_id()
    request = clip_request(tmp_path)
    assert await provider.submit(request, operation_id) == operation_id
    (sent,) = [r.body for r in fake.requests if r.kind == "prompt"]
    assert sent["prompt_id"] == operation_id and sent["client_id"] == operation_id
    await provider.wait(operation_id, request, tmp_path / "clip.mp4")
    assert fake.accepted == fake.executed == [operation_id]


@pytest.mark.parametrize("lost", [1.0, 502, "garbage"], ids=["read-timeout", "502", "cut-off"])
async def test_a_lost_answer_is_looked_up_not_sent_again(
    comfyui_fake: Fake, base_settings: Settings, tmp_path: Path, lost: object
) -> None:
    fake, url = comfyui_fake
    fake.inject("prompt", ("after", lost))  # queued, then the answer is lost
    settings = comfyui_settings(base_settings, url, provider_timeout_seconds=0.3)
    provider = ComfyUIVideoProvider(settings)
    request = clip_request(tmp_path)
    operation_id = await provider.submit(request, provider.new_operation_id())
    await provider.wait(operation_id, request, tmp_path / "clip.mp4")
    assert fake.count("prompt") == 1  # looked up (/queue, /history), never re-sent
    assert fake.accepted == fake.executed == [operation_id]


async def test_a_lost_last_answer_is_still_looked_up(
    comfyui_fake: Fake, base_settings: Settings, tmp_path: Path
) -> None:
    fake, url = comfyui_fake
    fake.inject("prompt", ("after", 502))
    provider = ComfyUIVideoProvider(comfyui_settings(base_settings, url, provider_retries=0))
    request = clip_request(tmp_path)
    operation_id = await provider.submit(request, provider.new_operation_id())
    await provider.wait(operation_id, request, tmp_path / "clip.mp4")
    assert fake.accepted == fake.executed == [operation_id]


async def test_a_last_answer_lost_before_queuing_is_certainly_unsent(
    comfyui_fake: Fake, base_settings: Settings, tmp_path: Path
) -> None:
    fake, url = comfyui_fake
    fake.inject("prompt", 500)  # the server failed before queuing anything
    provider = ComfyUIVideoProvider(comfyui_settings(base_settings, url, provider_retries=0))
    with pytest.raises(TransientError, match="ComfyUI has no record of prompt") as caught:
        await provider.submit(clip_request(tmp_path), provider.new_operation_id())
    assert caught.value.certainly_unsent  # the ledger counts it refused: resent freely
    assert fake.accepted == []


@pytest.mark.parametrize("fault", [429, 503, 500])
async def test_a_prompt_that_was_not_taken_is_sent_again_with_the_same_id(
    comfyui_fake: Fake, base_settings: Settings, tmp_path: Path, fault: int
) -> None:
    fake, url = comfyui_fake
    fake.inject("prompt", fault)  # refused before anything was queued
    provider = ComfyUIVideoProvider(comfyui_settings(base_settings, url))
    request = clip_request(tmp_path)
    operation_id = await provider.submit(request, provider.new_operation_id())
    looked_up = fake.count("queue") > 0
    await provider.wait(operation_id, request, tmp_path / "clip.mp4")
    assert fake.count("prompt") == 2
    assert {r.body["prompt_id"] for r in fake.requests if r.kind == "prompt"} == {operation_id}
    assert fake.accepted == [operation_id]
    assert looked_up == (fault == 500)  # 429/503: sent again at once; 500: looked up first


async def test_a_keyframe_survives_a_lost_answer_with_one_prompt(
    comfyui_fake: Fake, base_settings: Settings
) -> None:
    fake, url = comfyui_fake
    fake.inject("prompt", ("after", 1.0))
    settings = comfyui_settings(base_settings, url, provider_timeout_seconds=0.3)
    png = await ComfyUIImageProvider(settings).generate_image(
        ImageRequest("a boat at night", STYLE, 640, 360, "16:9", 0)
    )
    assert decode_png(png).size == (640, 360)
    assert fake.count("prompt") == 1 and len(fake.accepted) == len(fake.executed) == 1


async def test_a_keyframe_prompt_of_a_killed_run_is_collected_by_its_id(
    comfyui_fake: Fake, base_settings: Settings
) -> None:
    fake, url = comfyui_fake
    settings = comfyui_settings(base_settings, url)
    request = ImageRequest("a boat at night", STYLE, 640, 360, "16:9", 0)
    killed = ComfyUIImageProvider(settings)
    prompt_id = killed.new_operation_id()
    assert prompt_id is not None
    fake.hold.set()
    run = asyncio.create_task(killed.generate_image(request, prompt_id))
    await asyncio.to_thread(fake.wait_until, lambda: prompt_id in fake.accepted)
    run.cancel()  # the process dies while its keyframe prompt runs on ComfyUI
    fake.hold.clear()
    png = await ComfyUIImageProvider(settings).generate_image(request, prompt_id)  # resume
    assert decode_png(png).size == (640, 360)
    assert fake.accepted == fake.executed == [prompt_id]
    # an id the server does not know is queued under that id
    fresh = ComfyUIImageProvider(settings).new_operation_id()
    assert fresh is not None
    await ComfyUIImageProvider(settings).generate_image(request, fresh)
    assert fake.accepted == [prompt_id, fresh]


async def test_operation_state_follows_the_prompt_and_a_restart_forgets_it(
    comfyui_fake: Fake, base_settings: Settings, tmp_path: Path
) -> None:
    fake, url = comfyui_fake
    provider = ComfyUIVideoProvider(comfyui_settings(base_settings, url))
    request = clip_request(tmp_path)
    never_sent = provider.new_operation_id()
    assert never_sent is not None and await provider.operation_state(never_sent) == "unknown"
    fake.hold.set()
    first = await provider.submit(request, provider.new_operation_id())
    second = await provider.submit(request, provider.new_operation_id())
    assert await provider.operation_state(first) == "pending"  # running
    assert await provider.operation_state(second) == "pending"  # queued behind it
    fake.restart()
    fake.hold.clear()
    assert await provider.operation_state(first) == "unknown"
    assert await provider.operation_state(second) == "unknown"
    with pytest.raises(OperationFailedError, match="no record of prompt"):
        await provider.wait(first, request, tmp_path / "clip.mp4")
    # the pipeline resubmits under the same id; the server runs it once
    assert await provider.submit(request, first) == first
    await provider.wait(first, request, tmp_path / "clip.mp4")
    assert await provider.operation_state(first) == "done"
    assert fake.executed == [first]


async def test_a_restart_while_waiting_fails_the_wait(
    comfyui_fake: Fake, base_settings: Settings, tmp_path: Path
) -> None:
    fake, url = comfyui_fake
    provider = ComfyUIVideoProvider(comfyui_settings(base_settings, url))
    request = clip_request(tmp_path)
    fake.hold.set()
    operation_id = await provider.submit(request, provider.new_operation_id())
    waiting = asyncio.create_task(provider.wait(operation_id, request, tmp_path / "clip.mp4"))
    # restart only once the wait listens on the websocket (its client id is the prompt id)
    await asyncio.to_thread(fake.wait_until, lambda: operation_id in fake.websockets)
    fake.restart()
    with pytest.raises(OperationFailedError, match="no record of prompt"):
        await asyncio.wait_for(waiting, 10)
    fake.hold.clear()
    assert fake.executed == []


# ---------------------------------------------------------------- partial validation


def text_to_image_with(extra: dict[str, Any]) -> dict[str, Any]:
    template = shipped("text_to_image.json")
    template["workflow"].update(extra)
    return template


async def test_a_failed_side_output_is_a_warning_and_the_prompt_runs(
    comfyui_fake: Fake, base_settings: Settings, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    fake, url = comfyui_fake
    template = text_to_image_with(
        {
            "90": {"class_type": "LoadImage", "inputs": {"image": "not-uploaded.png"}},
            "91": {
                "class_type": "SaveImage",
                "inputs": {"filename_prefix": "side", "images": ["90", 0]},
            },
        }
    )
    settings = comfyui_settings(
        base_settings, url, comfyui_text_to_image_workflow=write(tmp_path, template)
    )
    with caplog.at_level(logging.WARNING):
        png = await ComfyUIImageProvider(settings).generate_image(
            ImageRequest("a boat", STYLE, 320, 192, "16:9", 0)
        )
    assert decode_png(png).size == (320, 192)
    assert len(fake.executed) == 1
    (record,) = [r for r in caplog.records if "ignores some nodes" in r.getMessage()]
    assert "node 90 (LoadImage)" in record.getMessage() and "outputs 91" in record.getMessage()


async def test_a_failed_output_vidpipe_reads_is_refused_and_dropped_from_the_queue(
    base_settings: Settings, tmp_path: Path
) -> None:
    fake = FakeComfyUI(tmp_path / "comfy", models={})  # no checkpoint: node 4 fails
    template = text_to_image_with(
        {
            "90": {
                "class_type": "EmptyImage",
                "inputs": {"width": 64, "height": 64, "batch_size": 1, "color": 0},
            },
            "91": {
                "class_type": "SaveImage",
                "inputs": {"filename_prefix": "side", "images": ["90", 0]},
            },
        }
    )
    with serve(fake.app()) as server:
        settings = comfyui_settings(
            base_settings, server.url, comfyui_text_to_image_workflow=write(tmp_path, template)
        )
        fake.hold.set()
        with pytest.raises(PromptRejected, match=r"node 4 \(CheckpointLoaderSimple\)"):
            await ComfyUIImageProvider(settings).generate_image(
                ImageRequest("a boat", STYLE, 320, 192, "16:9", 0)
            )
        (prompt_id,) = fake.accepted  # ComfyUI did queue it (output 91 validated)...
        assert fake.pending == [] and fake.running in (None, prompt_id)
        assert [r.body for r in fake.requests if r.kind == "queue_edit"] == [
            {"delete": [prompt_id]}
        ]
        fake.hold.clear()
        # settled: deleted before it ran, or ran (interrupted) and has its history entry
        await asyncio.to_thread(fake.wait_until, lambda: fake.running is None)
        assert (
            prompt_id not in fake.history
            or fake.history[prompt_id]["status"]["status_str"] == "error"
        )  # ...and vidpipe took it out (deleted, or interrupted if it ran)


async def test_no_valid_output_is_a_400_naming_the_model(
    base_settings: Settings, tmp_path: Path
) -> None:
    fake = FakeComfyUI(tmp_path / "comfy", models={})
    with serve(fake.app()) as server:
        settings = comfyui_settings(base_settings, server.url)
        with pytest.raises(PromptRejected, match="sd_xl_base_1.0.safetensors"):
            await ComfyUIImageProvider(settings).generate_image(
                ImageRequest("a boat", STYLE, 320, 192, "16:9", 0)
            )
        assert fake.accepted == []


# ---------------------------------------------------------------- completion


async def test_a_clip_is_collected_within_2s_of_the_websockets_success(
    comfyui_fake: Fake, base_settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake, url = comfyui_fake
    fake.video_seconds = 0.5
    fake.history_delay = 0.3  # execution_success comes before /history has the entry
    # the first /history poll is scheduled 60 s after submission: only the websocket can win
    settings = comfyui_settings(base_settings, url, poll_first_seconds=60.0)
    provider = ComfyUIVideoProvider(settings)
    request = clip_request(tmp_path)
    monkeypatch.setattr(LATENCY, "_seconds", {})  # learn from this operation alone
    submitted = time.monotonic()
    operation_id = await provider.submit(request, provider.new_operation_id())
    await provider.wait(operation_id, request, tmp_path / "clip.mp4")
    collected = time.monotonic()
    assert collected - fake.sent_at("execution_success", operation_id) < 2.0
    assert fake.count("history") <= 8  # one look on connecting, then every 0.1 s of the lag
    # latency learned by ComfyUI's clock (create_time → execution_success), not when noticed
    entry = fake.history[operation_id]
    success = next(d for k, d in entry["status"]["messages"] if k == "execution_success")
    ran = (success["timestamp"] - entry["prompt"][3]["create_time"]) / 1000
    assert LATENCY.typical("comfyui:video", 0.0) == pytest.approx(ran, abs=0.002)
    assert ran < collected - submitted - 0.25  # the history lagged 0.3 s behind the success


async def test_a_resumed_wait_hears_the_websocket_of_an_earlier_process(
    comfyui_fake: Fake, base_settings: Settings, tmp_path: Path
) -> None:
    fake, url = comfyui_fake
    settings = comfyui_settings(base_settings, url)
    request = clip_request(tmp_path)
    fake.hold.set()
    first = ComfyUIVideoProvider(settings)
    operation_id = await first.submit(request, first.new_operation_id())
    progress: list[float] = []
    fresh = ComfyUIVideoProvider(settings)  # a new process: listens by the prompt id
    waiting = asyncio.create_task(
        fresh.wait(operation_id, request, tmp_path / "clip.mp4", progress.append)
    )
    await asyncio.to_thread(fake.wait_until, lambda: operation_id in fake.websockets)
    fake.hold.clear()
    await asyncio.wait_for(waiting, 10)
    assert progress and progress[-1] == pytest.approx(0.95)
    assert fake.count("prompt") == 1


# ---------------------------------------------------------------- output formats


def video_saved_by(kind: str) -> dict[str, Any]:
    template = shipped("first_last_frame_to_video.json")
    inputs: dict[str, Any] = {"images": ["8", 0], "filename_prefix": "vidpipe/clip", "fps": 16.0}
    inputs |= {
        "SaveWEBM": {"codec": "vp9", "crf": 32.0},
        "SaveAnimatedWEBP": {"lossless": False, "quality": 80, "method": "default"},
        "SaveAnimatedPNG": {"compress_level": 4},
        "SaveImage": {},
    }[kind]
    if kind == "SaveImage":
        del inputs["fps"]
    template["workflow"]["85"] = {"class_type": kind, "inputs": inputs}
    del template["workflow"]["84"]
    template["inputs"].pop("fps")
    return template


@pytest.mark.parametrize("kind", ["SaveWEBM", "SaveAnimatedWEBP", "SaveAnimatedPNG"])
async def test_other_video_formats_become_h264_mp4(
    comfyui_fake: Fake, base_settings: Settings, tmp_path: Path, kind: str
) -> None:
    fake, url = comfyui_fake
    settings = comfyui_settings(
        base_settings, url, comfyui_video_workflow=write(tmp_path, video_saved_by(kind))
    )
    provider = ComfyUIVideoProvider(settings)
    request = clip_request(tmp_path, duration=2.0)
    operation_id = await provider.submit(request, provider.new_operation_id())
    await provider.wait(operation_id, request, tmp_path / "clip.mp4")
    info = check_clip(tmp_path / "clip.mp4", 2.0)
    assert (info.video_codec, info.pix_fmt, info.fps) == ("h264", "yuv420p", 16)
    assert info.frame_count == 33 and (info.width, info.height) == (640, 352)
    assert not list(tmp_path.glob("clip.comfyui*"))  # the raw download is cleaned up


@pytest.mark.parametrize("kind", ["SaveAnimatedWEBP", "SaveAnimatedPNG"])
async def test_animated_images_are_read_with_pillow_when_ffmpeg_cannot(
    comfyui_fake: Fake, base_settings: Settings, tmp_path: Path, kind: str
) -> None:
    fake, url = comfyui_fake
    old_ffmpeg = tmp_path / "ffmpeg-6"
    old_ffmpeg.write_text("#!/bin/sh\necho 'codec webp_anim not supported' >&2\nexit 1\n")
    old_ffmpeg.chmod(0o755)
    settings = comfyui_settings(
        base_settings,
        url,
        comfyui_video_workflow=write(tmp_path, video_saved_by(kind)),
        ffmpeg=str(old_ffmpeg),
    )
    provider = ComfyUIVideoProvider(settings)
    request = clip_request(tmp_path, duration=2.0)
    operation_id = await provider.submit(request, provider.new_operation_id())
    await provider.wait(operation_id, request, tmp_path / "clip.mp4")
    info = check_clip(tmp_path / "clip.mp4", 2.0)
    assert (info.video_codec, info.fps, info.frame_count) == ("h264", 16, 33)


async def test_a_still_image_is_not_a_clip(
    comfyui_fake: Fake, base_settings: Settings, tmp_path: Path
) -> None:
    fake, url = comfyui_fake
    settings = comfyui_settings(
        base_settings, url, comfyui_video_workflow=write(tmp_path, video_saved_by("SaveImage"))
    )
    provider = ComfyUIVideoProvider(settings)
    request = clip_request(tmp_path, duration=2.0)
    operation_id = await provider.submit(request, provider.new_operation_id())
    with pytest.raises(
        OperationFailedError, match=r"output scene_00_\d+_\.png cannot be used as a clip"
    ):
        await provider.wait(operation_id, request, tmp_path / "clip.mp4")
    assert not (tmp_path / "clip.mp4").exists()


async def test_a_clip_of_the_wrong_length_fails_with_the_reason(
    comfyui_fake: Fake, base_settings: Settings, tmp_path: Path
) -> None:
    fake, url = comfyui_fake
    template = shipped("first_last_frame_to_video.json")
    template["inputs"].pop("length")  # the template's own 81 frames, whatever was asked
    settings = comfyui_settings(
        base_settings, url, comfyui_video_workflow=write(tmp_path, template)
    )
    provider = ComfyUIVideoProvider(settings)
    request = clip_request(tmp_path, duration=2.0)
    operation_id = await provider.submit(request, provider.new_operation_id())
    with pytest.raises(OperationFailedError, match=r"lasts 5\.062 s, not the requested 2 s"):
        await provider.wait(operation_id, request, tmp_path / "clip.mp4")


async def test_each_image_is_uploaded_once(
    comfyui_fake: Fake, base_settings: Settings, tmp_path: Path
) -> None:
    fake, url = comfyui_fake
    settings = comfyui_settings(base_settings, url)
    provider = ComfyUIVideoProvider(settings)
    first = clip_request(tmp_path, scene=0)
    after = clip_request(tmp_path, scene=1)
    second = VideoRequest(**{**after.__dict__, "start_image": first.end_image})
    for request in (first, second):
        operation_id = await provider.submit(request, provider.new_operation_id())
        await provider.wait(operation_id, request, tmp_path / f"clip{request.scene_index}.mp4")
    await ComfyUIImageProvider(settings).generate_image(
        ImageRequest("end", STYLE, 640, 360, "16:9", 0, reference_image=first.start_image)
    )
    assert fake.count("upload") == 3  # start 0, shared keyframe, end 1


# ---------------------------------------------------------------- /object_info checks


async def test_shipped_templates_pass_against_a_server_with_their_models(
    comfyui_fake: Fake, base_settings: Settings
) -> None:
    fake, url = comfyui_fake
    settings = comfyui_settings(base_settings, url)
    assert await ComfyUIImageProvider(settings).check_templates() == []
    assert await ComfyUIVideoProvider(settings).check_templates() == []
    assert fake.count("object_info") == 2 and fake.count("prompt") == 0


async def test_every_missing_model_of_the_shipped_templates_is_named(
    base_settings: Settings, tmp_path: Path
) -> None:
    fake = FakeComfyUI(tmp_path / "comfy", models={})
    with serve(fake.app()) as server:
        settings = comfyui_settings(base_settings, server.url)
        problems = [
            *await ComfyUIImageProvider(settings).check_templates(),
            *await ComfyUIVideoProvider(settings).check_templates(),
        ]
    assert len(problems) == 6
    for template, node, model in [
        ("text_to_image.json", "4", "sd_xl_base_1.0.safetensors"),
        ("image_to_image.json", "4", "sd_xl_base_1.0.safetensors"),
        ("first_last_frame_to_video.json", "37", "wan2.1_flf2v_720p_14B_fp16.safetensors"),
        ("first_last_frame_to_video.json", "38", "umt5_xxl_fp8_e4m3fn_scaled.safetensors"),
        ("first_last_frame_to_video.json", "39", "wan_2.1_vae.safetensors"),
        ("first_last_frame_to_video.json", "49", "clip_vision_h.safetensors"),
    ]:
        assert any(
            template in line and f"node {node} (" in line and f"model file '{model}'" in line
            for line in problems
        ), (template, node, problems)


async def test_unknown_nodes_inputs_and_options_are_named(
    comfyui_fake: Fake, base_settings: Settings, tmp_path: Path
) -> None:
    fake, url = comfyui_fake
    template = copy.deepcopy(shipped("text_to_image.json"))
    template["workflow"]["3"]["inputs"]["sampler_name"] = "warp_drive"
    template["workflow"]["3"]["inputs"]["cfg_scale"] = 7
    template["workflow"]["50"] = {"class_type": "VHS_VideoCombine", "inputs": {}}
    settings = comfyui_settings(
        base_settings, url, comfyui_text_to_image_workflow=write(tmp_path, template)
    )
    problems = await ComfyUIImageProvider(settings).check_templates()
    assert len(problems) == 3, problems
    assert any("node 3 (KSampler): sampler_name='warp_drive' is not offered" in p for p in problems)
    assert any("node 3 (KSampler): input 'cfg_scale' is not an input" in p for p in problems)
    assert any(
        "node 50 (VHS_VideoCombine): node type VHS_VideoCombine is not" in p for p in problems
    )
    assert all("VIDPIPE_COMFYUI_TEXT_TO_IMAGE_WORKFLOW" in p for p in problems)


# ---------------------------------------------------------------- the documented CPU templates


async def test_the_model_free_templates_of_the_docs_run(
    base_settings: Settings, tmp_path: Path
) -> None:
    fake = FakeComfyUI(tmp_path / "comfy", models={})  # no model files at all
    with serve(fake.app()) as server:
        settings = comfyui_settings(
            base_settings,
            server.url,
            comfyui_text_to_image_workflow=EXAMPLES / "cpu_text_to_image.json",
            comfyui_image_to_image_workflow=EXAMPLES / "cpu_image_to_image.json",
            comfyui_video_workflow=EXAMPLES / "cpu_first_last_frame.json",
        )
        images, video = ComfyUIImageProvider(settings), ComfyUIVideoProvider(settings)
        assert await images.check_templates() == [] and await video.check_templates() == []
        start = tmp_path / "start.png"
        start.write_bytes(
            await images.generate_image(ImageRequest("a lighthouse", STYLE, 640, 360, "16:9", 0))
        )
        end = tmp_path / "end.png"
        end.write_bytes(
            await images.generate_image(
                ImageRequest("the storm", STYLE, 640, 360, "16:9", 0, reference_image=start)
            )
        )
        request = VideoRequest("waves", start, end, 2.0, 640, 360, "16:9", 24, 0, STYLE)
        operation_id = await video.submit(request, video.new_operation_id())
        await video.wait(operation_id, request, tmp_path / "clip.mp4")
    info = probe(tmp_path / "clip.mp4")
    assert (info.video_codec, info.fps, info.frame_count) == ("h264", 16, 32)
    assert info.duration == pytest.approx(2.0)


def test_the_clip_template_shown_in_the_docs_is_the_tested_file() -> None:
    docs = (ROOT / "docs/providers.md").read_text()
    section = docs[docs.index("The clip template, in full") :]
    block = section[section.index("```json") + len("```json") :]
    shown = json.loads(block[: block.index("```")])
    tested = json.loads((EXAMPLES / "cpu_first_last_frame.json").read_text())
    tested.pop("description")
    assert shown == tested
