"""Bad input gets one clear line naming the flag."""

import pytest
from pydantic import ValidationError

from vidpipe.cli.flags import flagged, one_line
from vidpipe.config import Settings
from vidpipe.errors import BadInputError
from vidpipe.orchestrator.projects import (
    GenerateOptions,
    check_budget,
    check_capabilities,
    estimate_cost,
)
from vidpipe.providers.base import frame_size
from vidpipe.providers.registry import load_registry


def error_line(**fields: object) -> str:
    with pytest.raises(ValidationError) as caught:
        GenerateOptions.model_validate({"prompt": "a fox", **fields})
    return one_line(caught.value)


def test_defaults_match_the_spec() -> None:
    options = GenerateOptions(prompt="  a fox  ")
    assert options.prompt == "a fox"
    assert (options.style, options.aspect_ratio, options.resolution) == (
        "cinematic",
        "16:9",
        "720p",
    )
    assert (options.clip_duration, options.crossfade, options.scenes) == (4.0, 0.0, None)


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"prompt": "   "}, "invalid prompt: must not be empty"),
        ({"prompt": "x" * 4001}, "invalid prompt: is 4001 characters; the limit is 4000"),
        ({"aspect_ratio": "7:3"}, "invalid --aspect-ratio"),
        ({"scenes": 0}, "invalid --scenes"),
        ({"scenes": 21}, "invalid --scenes"),
        ({"resolution": "4k"}, "invalid --resolution"),
        ({"crossfade": 4}, "invalid --crossfade: 4s must be shorter than the clip duration (4s)"),
        ({"bogus": 1}, "invalid bogus"),
    ],
)
def test_bad_options_give_one_line(fields: dict[str, object], expected: str) -> None:
    line = error_line(**fields)
    assert expected in line
    assert "\n" not in line


def test_capabilities_of_the_video_provider_are_enforced(tmp_path) -> None:
    settings = Settings(data_dir=tmp_path)
    providers = load_registry().build(settings, "local", "local", "local")
    check_capabilities(GenerateOptions(prompt="a", clip_duration=10), providers)
    with pytest.raises(BadInputError, match="takes 1 to 10 seconds") as caught:
        check_capabilities(GenerateOptions(prompt="a", clip_duration=11), providers)
    # the error names its field; only the CLI spells it as a flag
    assert caught.value.field == "clip_duration" and "--" not in str(caught.value)
    assert flagged(caught.value).startswith("invalid --clip-duration: 11s;")
    with pytest.raises(BadInputError, match="takes 1 to 10 seconds"):
        check_capabilities(GenerateOptions(prompt="a", clip_duration=0.5), providers)


def test_local_is_free_and_a_budget_below_the_estimate_is_refused(tmp_path) -> None:
    providers = load_registry().build(Settings(data_dir=tmp_path), "local", "local", "local")
    options = GenerateOptions(prompt="a", max_cost=0)
    assert estimate_cost(options, providers) == 0
    check_budget(options, 0.0)
    with pytest.raises(BadInputError, match="budget exceeded"):
        check_budget(options, 0.01)


def test_unknown_provider_names_the_setting(tmp_path) -> None:
    with pytest.raises(BadInputError, match="VIDPIPE_VIDEO_PROVIDER"):
        load_registry().build(Settings(data_dir=tmp_path), "local", "local", "nope")


def test_local_clip_concurrency_shrinks_with_frame_size() -> None:
    from vidpipe.providers.base import Capabilities

    caps = Capabilities(max_concurrency=4, max_concurrent_pixels=2 * 1280 * 720)
    assert caps.concurrency_for(854, 480) == 4
    assert caps.concurrency_for(1280, 720) == 2
    assert caps.concurrency_for(1920, 1080) == 1
    assert Capabilities(max_concurrency=3).concurrency_for(1920, 1080) == 3


def test_a_video_providers_own_refusal_is_checked_before_any_call(tmp_path) -> None:
    from vidpipe.providers.local import LocalVideoProvider

    class EightSecondsAt1080p(LocalVideoProvider):
        def refusal(
            self, duration: float, aspect_ratio: str, resolution: str
        ) -> BadInputError | None:
            if resolution == "1080p" and duration != 8:
                return BadInputError("1080p takes 8 s clips only", field="clip_duration")
            return None

    providers = load_registry().build(Settings(data_dir=tmp_path), "local", "local", "local")
    providers.video = EightSecondsAt1080p(Settings(data_dir=tmp_path))
    check_capabilities(GenerateOptions(prompt="a", clip_duration=8, resolution="1080p"), providers)
    with pytest.raises(BadInputError, match="1080p takes 8 s clips only") as caught:
        check_capabilities(
            GenerateOptions(prompt="a", clip_duration=4, resolution="1080p"), providers
        )
    assert caught.value.field == "clip_duration"  # the CLI shows --clip-duration, the API a loc


def test_frame_sizes_follow_the_aspect_ratio_and_resolution() -> None:
    assert frame_size("16:9", "720p") == (1280, 720)
    assert frame_size("9:16", "720p") == (720, 1280)
    assert frame_size("1:1", "1080p") == (1080, 1080)
    assert frame_size("9:16", "480p") == (480, 854)
