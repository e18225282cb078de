"""`vidpipe doctor` with ComfyUI: the templates are checked against the server's free
/object_info, one line per problem naming template and node; nothing is queued."""

from __future__ import annotations

from pathlib import Path

from fake_comfyui import FakeComfyUI
from loopback import serve
from provider_env import comfyui_settings

from vidpipe.cli.doctor import run_checks
from vidpipe.config import Settings


def comfy_everywhere(base: Settings, url: str) -> Settings:
    settings = comfyui_settings(base, url)
    return settings.model_copy(update={"image_provider": "comfyui", "video_provider": "comfyui"})


async def test_doctor_names_every_missing_model_of_the_shipped_templates(
    base_settings: Settings, tmp_path: Path
) -> None:
    fake = FakeComfyUI(tmp_path / "comfy", models={})
    with serve(fake.app()) as server:
        checks = await run_checks(comfy_everywhere(base_settings, server.url))
    failed = [c for c in checks if not c.ok]
    assert {c.name for c in failed} == {"image templates", "video templates"}
    lines = [c.detail for c in failed]
    assert len(lines) == 6  # one checkpoint in each image template, four Wan files
    for model in (
        "sd_xl_base_1.0.safetensors",
        "wan2.1_flf2v_720p_14B_fp16.safetensors",
        "umt5_xxl_fp8_e4m3fn_scaled.safetensors",
        "wan_2.1_vae.safetensors",
        "clip_vision_h.safetensors",
    ):
        assert any(f"model file '{model}'" in line for line in lines), model
    assert all(" node " in line and ".json" in line for line in lines)
    assert fake.count("prompt") == 0 and fake.count("upload") == 0


async def test_doctor_is_happy_when_the_server_has_the_models(
    comfyui_fake: tuple[FakeComfyUI, str], base_settings: Settings
) -> None:
    fake, url = comfyui_fake
    checks = await run_checks(comfy_everywhere(base_settings, url))
    templates = [c for c in checks if c.name.endswith("templates")]
    assert [(c.name, c.ok) for c in templates] == [
        ("image templates", True),
        ("video templates", True),
    ]
    assert fake.count("system_stats") == 1 and fake.count("object_info") == 2


async def test_generate_refuses_templates_that_cannot_run_before_any_call(
    base_settings: Settings, tmp_path: Path
) -> None:
    """The same check runs when a project is made (CLI and API): one line, nothing queued."""
    import pytest

    from vidpipe.errors import BadInputError
    from vidpipe.orchestrator.projects import check_provider_setup
    from vidpipe.providers.registry import load_registry

    fake = FakeComfyUI(tmp_path / "comfy", models={})
    with serve(fake.app()) as server:
        settings = comfy_everywhere(base_settings, server.url)
        providers = load_registry().build(settings, "local", "comfyui", "comfyui")
        with pytest.raises(BadInputError, match="templates cannot run: .*sd_xl_base_1.0"):
            await check_provider_setup(providers)
    assert fake.count("prompt") == 0 and fake.count("upload") == 0
