"""The comfyui provider over ComfyUI's real HTTP + websocket protocol, against the fake server."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from artifacts import decode_png, png_from_prompt
from fake_comfyui import FakeComfyUI
from loopback import serve
from provider_env import comfyui_settings
from pydantic import SecretStr

from vidpipe.config import Settings
from vidpipe.errors import BadInputError, OperationFailedError, ProviderTimeoutError
from vidpipe.media.probe import probe
from vidpipe.providers.base import ImageRequest, StyleGuide, VideoRequest
from vidpipe.providers.calls import ProviderAuthError
from vidpipe.providers.comfyui import ComfyUIImageProvider, ComfyUIVideoProvider
from vidpipe.providers.comfyui.workflows import FrameRule, load_template

Fake = tuple[FakeComfyUI, str]
STYLE = StyleGuide(visual_style="ink wash", color_palette=["#000000"], camera_style="locked off")


def clip_request(tmp_path: Path, *, duration: float = 1.0, scene: int = 0) -> VideoRequest:
    start, end = tmp_path / "start.png", tmp_path / "end.png"
    start.write_bytes(png_from_prompt("start", 854, 480))
    end.write_bytes(png_from_prompt("end", 854, 480))
    return VideoRequest("the boat drifts", start, end, duration, 854, 480, "16:9", 24, scene, STYLE)


async def test_text_to_image_fills_the_template(
    comfyui_fake: Fake, base_settings: Settings
) -> None:
    fake, url = comfyui_fake
    provider = ComfyUIImageProvider(comfyui_settings(base_settings, url))
    png = await provider.generate_image(ImageRequest("a boat at night", STYLE, 854, 480, "16:9", 2))
    assert decode_png(png).size == (854, 480)
    (graph,) = fake.graphs()
    assert (
        "a boat at night" in graph["6"]["inputs"]["text"]
        and "ink wash" in graph["6"]["inputs"]["text"]
    )
    assert graph["7"]["inputs"]["text"]  # negative prompt
    assert (graph["5"]["inputs"]["width"], graph["5"]["inputs"]["height"]) == (848, 480)
    assert graph["9"]["inputs"]["filename_prefix"] == "vidpipe/scene_02"
    assert fake.count("upload") == 0 and fake.count("view") == 1


async def test_image_to_image_uploads_the_start_frame(
    comfyui_fake: Fake, base_settings: Settings, tmp_path: Path
) -> None:
    fake, url = comfyui_fake
    start = tmp_path / "start.png"
    start.write_bytes(png_from_prompt("start", 854, 480))
    provider = ComfyUIImageProvider(comfyui_settings(base_settings, url))
    await provider.generate_image(
        ImageRequest("the boat sinks", STYLE, 854, 480, "16:9", 0, reference_image=start)
    )
    (graph,) = fake.graphs()
    name = graph["10"]["inputs"]["image"]
    assert name.startswith("vidpipe/") and fake.uploads[name] == start.read_bytes()
    assert graph["11"]["inputs"]["width"] == 848


async def test_first_last_frame_video(
    comfyui_fake: Fake, base_settings: Settings, tmp_path: Path
) -> None:
    fake, url = comfyui_fake
    provider = ComfyUIVideoProvider(comfyui_settings(base_settings, url))
    request = clip_request(tmp_path, duration=2.0)
    prompt_id = await provider.submit(request)
    result = await provider.wait(prompt_id, request, tmp_path / "clip.mp4")
    assert result.outcome.value == "complete"
    info = probe(tmp_path / "clip.mp4")
    assert (info.width, info.height, info.fps) == (848, 480, 16)
    assert info.duration == pytest.approx(33 / 16, abs=0.1)
    (graph,) = fake.graphs()
    wan = graph["83"]["inputs"]
    assert (wan["width"], wan["height"], wan["length"]) == (848, 480, 33)  # 4n+1 frames at 16 fps
    assert fake.uploads[graph["52"]["inputs"]["image"]] == request.start_image.read_bytes()
    assert fake.uploads[graph["72"]["inputs"]["image"]] == request.end_image.read_bytes()
    assert graph["84"]["inputs"]["fps"] == 16
    assert "the boat drifts" in graph["6"]["inputs"]["text"]


async def test_websocket_progress(
    comfyui_fake: Fake, base_settings: Settings, tmp_path: Path
) -> None:
    fake, url = comfyui_fake
    provider = ComfyUIVideoProvider(comfyui_settings(base_settings, url))
    request = clip_request(tmp_path)
    fake.hold.set()
    prompt_id = await provider.submit(request)
    progress: list[float] = []
    waiting = asyncio.create_task(
        provider.wait(prompt_id, request, tmp_path / "clip.mp4", progress.append)
    )
    # the prompt is held until the provider's websocket (client id = prompt id) is connected
    await asyncio.to_thread(fake.wait_until, lambda: prompt_id in fake.websockets)
    fake.hold.clear()
    await asyncio.wait_for(waiting, 10)
    assert progress == pytest.approx([0.95 / 3, 0.95 * 2 / 3, 0.95])  # from "progress" messages


async def test_resume_polls_history_and_never_queues_again(
    comfyui_fake: Fake, base_settings: Settings, tmp_path: Path
) -> None:
    fake, url = comfyui_fake
    settings = comfyui_settings(base_settings, url)
    request = clip_request(tmp_path)
    prompt_id = await ComfyUIVideoProvider(settings).submit(request)
    fresh = ComfyUIVideoProvider(settings)  # a new process
    await fresh.wait(prompt_id, request, tmp_path / "clip.mp4")
    assert fake.count("prompt") == 1
    assert all(r.path == f"/history/{prompt_id}" for r in fake.requests if r.kind == "history")


async def test_an_execution_error_fails_the_operation(
    comfyui_fake: Fake, base_settings: Settings, tmp_path: Path
) -> None:
    fake, url = comfyui_fake
    fake.fail_executions.append("CUDA out of memory")
    provider = ComfyUIVideoProvider(comfyui_settings(base_settings, url))
    request = clip_request(tmp_path)
    prompt_id = await provider.submit(request)
    with pytest.raises(OperationFailedError, match="KSampler: CUDA out of memory"):
        await provider.wait(prompt_id, request, tmp_path / "clip.mp4")


async def test_a_prompt_the_server_forgot_is_reported(
    comfyui_fake: Fake, base_settings: Settings, tmp_path: Path
) -> None:
    fake, url = comfyui_fake
    fake.hold.set()
    provider = ComfyUIVideoProvider(comfyui_settings(base_settings, url))
    request = clip_request(tmp_path)
    first = await provider.submit(request)
    second = await provider.submit(request)
    fake.forget(second)
    with pytest.raises(OperationFailedError, match="no record of prompt"):
        await provider.wait(second, request, tmp_path / "clip.mp4")
    fake.hold.clear()
    await provider.wait(first, request, tmp_path / "clip.mp4")


async def test_a_queue_that_never_finishes_times_out(
    comfyui_fake: Fake, base_settings: Settings, tmp_path: Path
) -> None:
    fake, url = comfyui_fake
    fake.hold.set()
    settings = comfyui_settings(base_settings, url, operation_timeout_seconds=0.3)
    provider = ComfyUIVideoProvider(settings)
    request = clip_request(tmp_path)
    with pytest.raises(ProviderTimeoutError):
        await provider.wait(await provider.submit(request), request, tmp_path / "clip.mp4")
    fake.hold.clear()


async def test_server_errors_are_retried(comfyui_fake: Fake, base_settings: Settings) -> None:
    fake, url = comfyui_fake
    fake.inject("prompt", 500, "garbage")
    fake.inject("view", 429)
    fake.inject("history", 502, "garbage")
    provider = ComfyUIImageProvider(comfyui_settings(base_settings, url))
    await provider.generate_image(ImageRequest("x", STYLE, 256, 256, "1:1", 0))
    assert fake.count("prompt") == 3 and fake.count("view") == 2


async def test_a_bad_token_fails_once_naming_the_setting(
    base_settings: Settings, tmp_path: Path
) -> None:
    fake = FakeComfyUI(tmp_path / "comfy", api_key="right-token")
    with serve(fake.app()) as server:
        settings = comfyui_settings(
            base_settings, server.url, comfyui_api_key=SecretStr("wrong-token")
        )
        with pytest.raises(ProviderAuthError) as caught:
            await ComfyUIImageProvider(settings).generate_image(
                ImageRequest("x", STYLE, 256, 256, "1:1", 0)
            )
        assert "VIDPIPE_COMFYUI_API_KEY" in str(caught.value)
        assert len(fake.requests) == 1
        good = settings.model_copy(update={"comfyui_api_key": SecretStr("right-token")})
        await ComfyUIImageProvider(good).generate_image(ImageRequest("x", STYLE, 64, 64, "1:1", 0))


async def test_a_users_own_template_with_other_node_ids(
    comfyui_fake: Fake, base_settings: Settings, tmp_path: Path
) -> None:
    fake, url = comfyui_fake
    shipped = json.loads(
        (Path(__file__).resolve().parents[2] / "vidpipe/providers/comfyui/workflows"
         / "text_to_image.json").read_text()
    )  # fmt: skip
    renumber = {node: str(100 + int(node)) for node in shipped["workflow"]}

    def relink(value: object) -> object:
        if isinstance(value, list) and len(value) == 2 and isinstance(value[1], int):
            return [renumber[str(value[0])], value[1]]
        return value

    own = {
        "inputs": {"prompt": [renumber["6"], "text"], "seed": [[renumber["3"], "seed"]]},
        "output": renumber["9"],
        "workflow": {
            renumber[node]: {
                "class_type": spec["class_type"],
                "inputs": {k: relink(v) for k, v in spec["inputs"].items()},
            }
            for node, spec in shipped["workflow"].items()
        },
    }
    own["workflow"][renumber["5"]]["inputs"].update(width=320, height=192)
    path = tmp_path / "mine.json"
    path.write_text(json.dumps(own))
    settings = comfyui_settings(base_settings, url, comfyui_text_to_image_workflow=path)
    png = await ComfyUIImageProvider(settings).generate_image(
        ImageRequest("my prompt", STYLE, 640, 360, "16:9", 0)
    )
    assert decode_png(png).size == (640, 360)  # resized to the frame
    (graph,) = fake.graphs()
    assert "my prompt" in graph["106"]["inputs"]["text"]
    assert graph["105"]["inputs"]["width"] == 320  # not mapped: the template's own value


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ({"inputs": {}, "output": "1", "workflow": {}}, "no mapping for prompt"),
        (
            {
                "inputs": {"prompt": ["9", "text"]},
                "output": "1",
                "workflow": {"1": {"class_type": "X", "inputs": {}}},
            },
            "node '9', which is not in the graph",
        ),
        (
            {
                "inputs": {"prompt": ["1", "txt"]},
                "output": "1",
                "workflow": {"1": {"class_type": "X", "inputs": {"text": ""}}},
            },
            "1.txt, which the node lacks",
        ),
        ({"workflow": {"1": {"inputs": {}}}}, "API-format graph"),
    ],
)
def test_malformed_templates_are_refused_with_the_setting(
    base_settings: Settings, tmp_path: Path, template: dict[str, object], message: str
) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(template))
    settings = comfyui_settings(
        base_settings, "http://127.0.0.1:9", comfyui_text_to_image_workflow=path
    )
    with pytest.raises(BadInputError, match="VIDPIPE_COMFYUI_TEXT_TO_IMAGE_WORKFLOW") as caught:
        ComfyUIImageProvider(settings)
    assert message in str(caught.value)


def test_shipped_templates_load_and_wan_lengths_are_4n_plus_1() -> None:
    video = load_template("video", None)
    assert video.frames == FrameRule(fps=16, step=4, offset=1)
    assert [video.frames.length(s) for s in (1, 2, 5)] == [17, 33, 81]
    for kind in ("text_to_image", "image_to_image"):
        assert load_template(kind, None).output == "9"


def test_no_url_is_refused(base_settings: Settings) -> None:
    with pytest.raises(BadInputError, match="set VIDPIPE_COMFYUI_URL"):
        ComfyUIVideoProvider(base_settings)


async def test_reference_images_go_into_the_templates_reference_slot(
    comfyui_fake: Fake, base_settings: Settings, tmp_path: Path
) -> None:
    """Templates that map `reference_image` (docs/comfyui/cpu_reference_*.json) make the
    provider take references: the scene's reference is uploaded and loaded there; the shipped
    templates have no such slot, so that provider says it takes none."""
    fake, url = comfyui_fake
    from vidpipe.providers.base import ReferenceImage

    docs = Path(__file__).resolve().parents[2] / "docs" / "comfyui"
    plain = ComfyUIImageProvider(comfyui_settings(base_settings, url))
    assert not plain.capabilities.supports_references
    settings = comfyui_settings(
        base_settings,
        url,
        comfyui_text_to_image_workflow=docs / "cpu_reference_text_to_image.json",
        comfyui_image_to_image_workflow=docs / "cpu_reference_image_to_image.json",
    )
    provider = ComfyUIImageProvider(settings)
    assert provider.capabilities.supports_references
    assert await provider.check_templates() == []
    mara = tmp_path / "mara.png"
    mara.write_bytes(png_from_prompt("mara", 200, 300))
    reference = ReferenceImage("Mara", mara, "image/png", "a courier")
    start = await provider.generate_image(
        ImageRequest("Mara at dawn", STYLE, 854, 480, "16:9", 0, references=(reference,))
    )
    frame = tmp_path / "start.png"
    frame.write_bytes(start)
    await provider.generate_image(
        ImageRequest(
            "Mara at noon",
            STYLE,
            854,
            480,
            "16:9",
            0,
            reference_image=frame,
            references=(reference,),
        )
    )
    first, second = fake.graphs()
    assert fake.uploads[first["4"]["inputs"]["image"]] == mara.read_bytes()
    assert fake.uploads[second["15"]["inputs"]["image"]] == mara.read_bytes()
    assert fake.uploads[second["10"]["inputs"]["image"]] == start
    assert "reference 1: Mara (a courier)" in first["1"]["inputs"]["value"]
    assert decode_png(start).size == (854, 480)
