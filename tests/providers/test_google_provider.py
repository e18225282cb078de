"""The google provider through the real google-genai client against the fake Google server."""

from __future__ import annotations

import asyncio
import base64
from pathlib import Path

import pytest
from fake_google import FakeGoogle, b64decode, field
from provider_env import google_settings, vertex_project_settings
from pydantic import SecretStr

from vidpipe.config import Settings
from vidpipe.errors import (
    BadInputError,
    ContentFilteredError,
    ProviderError,
    ProviderTimeoutError,
)
from vidpipe.media.probe import probe
from vidpipe.orchestrator.projects import GenerateOptions, check_capabilities
from vidpipe.providers.base import (
    ImageRequest,
    ProviderSet,
    StoryboardRequest,
    StyleGuide,
    VideoRequest,
)
from vidpipe.providers.calls import ProviderAuthError
from vidpipe.providers.google import (
    GoogleImageProvider,
    GoogleSettings,
    GoogleStoryboardProvider,
    GoogleVideoProvider,
)
from vidpipe.providers.local import LocalImageProvider, LocalStoryboardProvider

Fake = tuple[FakeGoogle, str]
STYLE = StyleGuide(visual_style="watercolour", color_palette=["#112233"], camera_style="static")


def story_request(scenes: int | None = 2) -> StoryboardRequest:
    return StoryboardRequest("a red fox in snow", "cinematic", "16:9", 4.0, scenes)


def keyframes(tmp_path: Path) -> tuple[Path, Path]:
    from artifacts import png_from_prompt

    start, end = tmp_path / "start.png", tmp_path / "end.png"
    start.write_bytes(png_from_prompt("start", 1280, 720))
    end.write_bytes(png_from_prompt("end", 1280, 720))
    return start, end


def video_request(tmp_path: Path, *, duration: float = 4.0, scene: int = 0) -> VideoRequest:
    start, end = keyframes(tmp_path)
    return VideoRequest(
        motion_prompt=f"scene {scene}: the fox trots",
        start_image=start,
        end_image=end,
        duration=duration,
        width=1280,
        height=720,
        aspect_ratio="16:9",
        fps=24,
        scene_index=scene,
        style_guide=STYLE,
    )


# ---------------------------------------------------------------- storyboards


async def test_storyboard_by_structured_output_on_the_gemini_api(
    google_fake: Fake, base_settings: Settings
) -> None:
    fake, url = google_fake
    provider = GoogleStoryboardProvider(google_settings(base_settings, url, vertex=False))
    storyboard = await provider.write_storyboard(story_request(3))
    assert len(storyboard.scenes) == 3
    (sent,) = fake.of_kind("generateContent:text")
    assert sent.path == "/v1/models/gemini-3.8-flash:generateContent"  # the Gemini API
    assert sent.headers["x-goog-api-key"] == "test-google-key"
    config = sent.body["generationConfig"]
    assert config["responseMimeType"] == "application/json"
    scenes = config["responseJsonSchema"]["properties"]["scenes"]
    assert scenes["minItems"] == scenes["maxItems"] == 3
    assert "strict chain" in sent.body["systemInstruction"]["parts"][0]["text"]


async def test_malformed_json_is_retried_with_another_temperature(
    google_fake: Fake, base_settings: Settings
) -> None:
    fake, url = google_fake
    fake.inject("generateContent:text", "malformed", "malformed")
    provider = GoogleStoryboardProvider(google_settings(base_settings, url, vertex=False))
    storyboard = await provider.write_storyboard(story_request())
    assert len(storyboard.scenes) == 2
    temperatures = [r.body["generationConfig"]["temperature"] for r in fake.requests]
    assert len(temperatures) == 3 and len(set(temperatures)) == 3


async def test_malformed_json_gives_up_after_three_retries(
    google_fake: Fake, base_settings: Settings
) -> None:
    fake, url = google_fake
    fake.inject("generateContent:text", *["malformed"] * 4)
    provider = GoogleStoryboardProvider(google_settings(base_settings, url, vertex=False))
    with pytest.raises(ProviderError, match="no valid storyboard in 4 attempts.*not JSON"):
        await provider.write_storyboard(story_request())
    assert fake.count("generateContent:text") == 4


async def test_a_blocked_prompt_is_a_content_safety_rejection(
    google_fake: Fake, base_settings: Settings
) -> None:
    fake, url = google_fake
    fake.inject("generateContent:text", "blocked")
    provider = GoogleStoryboardProvider(google_settings(base_settings, url, vertex=False))
    with pytest.raises(ContentFilteredError, match="content safety: unsafe"):
        await provider.write_storyboard(story_request())
    assert fake.count("generateContent:text") == 1


async def test_429_and_500_are_retried_with_backoff(
    google_fake: Fake, base_settings: Settings
) -> None:
    fake, url = google_fake
    fake.inject("generateContent:text", 429, 500, 503)
    provider = GoogleStoryboardProvider(google_settings(base_settings, url, vertex=False))
    await provider.write_storyboard(story_request())
    assert fake.count("generateContent:text") == 4


async def test_retries_are_bounded(google_fake: Fake, base_settings: Settings) -> None:
    fake, url = google_fake
    fake.inject("generateContent:text", *[500] * 10)
    settings = google_settings(base_settings, url, vertex=False, provider_retries=2)
    with pytest.raises(ProviderError, match="HTTP 500"):
        await GoogleStoryboardProvider(settings).write_storyboard(story_request())
    assert fake.count("generateContent:text") == 3


async def test_a_request_that_hangs_times_out_and_is_retried(
    google_fake: Fake, base_settings: Settings
) -> None:
    fake, url = google_fake
    fake.hang_seconds = 3.0
    fake.inject("generateContent:text", "hang")
    settings = google_settings(base_settings, url, vertex=False, provider_timeout_seconds=0.5)
    storyboard = await GoogleStoryboardProvider(settings).write_storyboard(story_request())
    assert len(storyboard.scenes) == 2
    assert fake.count("generateContent:text") == 2


async def test_a_bad_api_key_fails_at_once_naming_the_setting(
    google_fake: Fake, base_settings: Settings
) -> None:
    fake, url = google_fake
    settings = google_settings(base_settings, url, vertex=False, google_api_key=SecretStr("nope"))
    with pytest.raises(ProviderAuthError) as caught:
        await GoogleStoryboardProvider(settings).write_storyboard(story_request())
    message = str(caught.value)
    assert "\n" not in message and "VIDPIPE_GOOGLE_API_KEY" in message
    assert "API key not valid" in message
    assert len(fake.requests) == 1  # never retried


def test_a_missing_key_is_refused_before_any_call(base_settings: Settings) -> None:
    with pytest.raises(BadInputError, match="set VIDPIPE_GOOGLE_API_KEY"):
        GoogleStoryboardProvider(base_settings)
    with pytest.raises(BadInputError, match="VIDPIPE_GOOGLE_PROJECT"):
        GoogleStoryboardProvider(base_settings.model_copy(update={"google_vertexai": True}))


# ---------------------------------------------------------------- keyframes


async def test_gemini_image_end_frame_is_conditioned_on_the_start_image(
    google_fake: Fake, base_settings: Settings, tmp_path: Path
) -> None:
    fake, url = google_fake
    provider = GoogleImageProvider(google_settings(base_settings, url, vertex=False))
    start = await provider.generate_image(ImageRequest("a fox at dawn", STYLE, 854, 480, "16:9", 0))
    (tmp_path / "s.png").write_bytes(start)
    end = await provider.generate_image(
        ImageRequest(
            "the fox leaps", STYLE, 854, 480, "16:9", 0, reference_image=tmp_path / "s.png"
        )
    )
    from artifacts import decode_png

    assert decode_png(start).size == decode_png(end).size == (854, 480)
    first, second = fake.of_kind("generateContent:image")
    assert first.body["generationConfig"]["responseModalities"] == ["IMAGE"]
    assert first.body["generationConfig"]["imageConfig"] == {"aspectRatio": "16:9"}
    assert [list(p) for p in first.body["contents"][0]["parts"]] == [["text"]]
    parts = second.body["contents"][0]["parts"]
    assert field(parts[0]["inlineData"], "mimeType") == "image/png"
    assert b64decode(parts[0]["inlineData"]["data"]) == (tmp_path / "s.png").read_bytes()
    assert "the fox leaps" in parts[1]["text"] and "watercolour" in parts[1]["text"]


async def test_an_unsafe_keyframe_is_a_content_safety_rejection(
    google_fake: Fake, base_settings: Settings
) -> None:
    fake, url = google_fake
    fake.inject("generateContent:image", "blocked")
    provider = GoogleImageProvider(google_settings(base_settings, url, vertex=False))
    with pytest.raises(ContentFilteredError, match="IMAGE_SAFETY"):
        await provider.generate_image(ImageRequest("x", STYLE, 64, 64, "1:1", 0))


@pytest.mark.filterwarnings("ignore:The generate_images method is deprecated")
@pytest.mark.filterwarnings("ignore:The edit_image method is deprecated")
async def test_imagen_generates_start_frames_and_edits_end_frames(
    google_fake: Fake, base_settings: Settings, tmp_path: Path
) -> None:
    fake, url = google_fake
    settings = google_settings(base_settings, url, google_image_model="imagen-4.0-generate-001")
    provider = GoogleImageProvider(settings)
    assert provider.estimate_cost(calls=2) == pytest.approx(0.08)
    start = await provider.generate_image(ImageRequest("a fox", STYLE, 640, 360, "16:9", 0))
    (tmp_path / "s.png").write_bytes(start)
    await provider.generate_image(
        ImageRequest("it jumps", STYLE, 640, 360, "16:9", 0, reference_image=tmp_path / "s.png")
    )
    generate, edit = fake.of_kind("predict")
    assert generate.path.endswith("models/imagen-4.0-generate-001:predict")
    assert generate.body["parameters"]["aspectRatio"] == "16:9"
    assert edit.path.endswith("models/imagen-3.0-capability-001:predict")
    reference = edit.body["instances"][0]["referenceImages"][0]
    assert reference["referenceType"] == "REFERENCE_TYPE_RAW"
    assert b64decode(reference["referenceImage"]["bytesBase64Encoded"]) == start
    assert edit.body["parameters"]["editMode"] == "EDIT_MODE_DEFAULT"


def test_imagen_needs_vertex_ai(base_settings: Settings) -> None:
    settings = base_settings.model_copy(
        update={"google_api_key": SecretStr("k"), "google_image_model": "imagen-4.0-generate-001"}
    )
    with pytest.raises(BadInputError, match="Vertex AI only.*VIDPIPE_GOOGLE_VERTEXAI"):
        GoogleImageProvider(settings)


# ---------------------------------------------------------------- Veo


async def test_veo_gets_first_and_last_frame_duration_aspect_and_audio(
    google_fake: Fake, base_settings: Settings, tmp_path: Path
) -> None:
    fake, url = google_fake
    provider = GoogleVideoProvider(google_settings(base_settings, url))
    request = video_request(tmp_path)
    name = await provider.submit(request)
    assert "/operations/" in name
    result = await provider.wait(name, request, tmp_path / "clip.mp4")
    assert result.outcome.value == "complete"
    info = probe(tmp_path / "clip.mp4")
    assert (info.width, info.height, info.has_audio) == (1280, 720, True)
    assert info.duration == pytest.approx(4.0, abs=0.1)
    (sent,) = fake.of_kind("predictLongRunning")
    assert sent.path == "/v1beta1/publishers/google/models/veo-3.1-generate-001:predictLongRunning"
    instance, params = sent.body["instances"][0], sent.body["parameters"]
    assert b64decode(instance["image"]["bytesBase64Encoded"]) == request.start_image.read_bytes()
    assert b64decode(instance["lastFrame"]["bytesBase64Encoded"]) == request.end_image.read_bytes()
    assert "the fox trots" in instance["prompt"] and "watercolour" in instance["prompt"]
    assert params == {
        "sampleCount": 1,
        "durationSeconds": 4,
        "aspectRatio": "16:9",
        "resolution": "720p",
        "generateAudio": True,
    }
    polls = fake.of_kind("fetchPredictOperation")
    assert polls and all(p.body == {"operationName": name} for p in polls)


async def test_veo_2_gets_no_audio_or_resolution_parameter(
    google_fake: Fake, base_settings: Settings, tmp_path: Path
) -> None:
    fake, url = google_fake
    settings = google_settings(base_settings, url, google_video_model="veo-2.0-generate-001")
    provider = GoogleVideoProvider(settings)
    request = video_request(tmp_path, duration=5.0)
    await provider.wait(await provider.submit(request), request, tmp_path / "clip.mp4")
    params = fake.of_kind("predictLongRunning")[0].body["parameters"]
    assert "generateAudio" not in params and "resolution" not in params
    assert not probe(tmp_path / "clip.mp4").has_audio
    assert provider.estimate_cost(seconds=10) == pytest.approx(5.0)


@pytest.mark.parametrize(
    ("model", "options", "message"),
    [
        ("veo-3.1-generate-001", {"clip_duration": 5}, "takes 4, 6, 8 seconds"),
        ("veo-3.1-generate-001", {"aspect_ratio": "1:1"}, "takes 16:9, 9:16"),
        ("veo-3.1-generate-001", {"resolution": "480p"}, "takes 720p, 1080p"),
        ("veo-2.0-generate-001", {"clip_duration": 4}, "takes 5, 6, 7, 8 seconds"),
        ("veo-2.0-generate-001", {"clip_duration": 6, "resolution": "1080p"}, "takes 720p"),
    ],
)
def test_model_limits_refuse_before_any_call(
    base_settings: Settings, model: str, options: dict[str, object], message: str
) -> None:
    settings = google_settings(base_settings, "http://127.0.0.1:9", google_video_model=model)
    providers = ProviderSet(
        LocalStoryboardProvider(settings),
        LocalImageProvider(settings),
        GoogleVideoProvider(settings),
    )
    with pytest.raises(BadInputError, match=message):
        check_capabilities(GenerateOptions(prompt="x", **options), providers)  # type: ignore[arg-type]


async def test_combinations_are_refused_too(
    google_fake: Fake, base_settings: Settings, tmp_path: Path
) -> None:
    """1080p only at 8 s: `refusal` says so (for check_capabilities), and submit never calls."""
    fake, url = google_fake
    provider = GoogleVideoProvider(google_settings(base_settings, url))
    assert provider.refusal(8, "16:9", "1080p") is None
    assert "1080p only at 8s" in str(provider.refusal(4, "16:9", "1080p"))
    request = video_request(tmp_path)
    full_hd = VideoRequest(**{**request.__dict__, "width": 1920, "height": 1080})
    with pytest.raises(BadInputError, match="1080p only at 8s"):
        await provider.submit(full_hd)
    assert fake.count("predictLongRunning") == 0


def test_veo_3_0_is_refused_because_it_takes_no_last_frame(base_settings: Settings) -> None:
    settings = google_settings(
        base_settings, "http://127.0.0.1:9", google_video_model="veo-3.0-generate-001"
    )
    provider = GoogleVideoProvider(settings)
    assert "cannot take a last frame" in str(provider.refusal(8, "16:9", "720p"))


def test_veo_needs_vertex_ai_and_a_known_model(base_settings: Settings) -> None:
    keyed = base_settings.model_copy(update={"google_api_key": SecretStr("k")})
    with pytest.raises(BadInputError, match="Veo runs on Vertex AI only"):
        GoogleVideoProvider(keyed)
    with pytest.raises(BadInputError, match="unknown Google video model 'veo-9'"):
        GoogleVideoProvider(
            keyed.model_copy(update={"google_vertexai": True, "google_video_model": "veo-9"})
        )


async def test_a_content_safety_rejection_raises_content_filtered(
    google_fake: Fake, base_settings: Settings, tmp_path: Path
) -> None:
    fake, url = google_fake
    fake.reject_video_when = "forbidden"
    provider = GoogleVideoProvider(google_settings(base_settings, url))
    request = VideoRequest(**{**video_request(tmp_path).__dict__, "motion_prompt": "forbidden"})
    name = await provider.submit(request)
    with pytest.raises(ContentFilteredError, match="Responsible AI"):
        await provider.wait(name, request, tmp_path / "clip.mp4")


async def test_quota_errors_while_polling_wait_instead_of_failing(
    google_fake: Fake, base_settings: Settings, tmp_path: Path
) -> None:
    fake, url = google_fake
    provider = GoogleVideoProvider(google_settings(base_settings, url))
    request = video_request(tmp_path)
    name = await provider.submit(request)
    fake.inject("fetchPredictOperation", 429, "garbage", 500)
    await provider.wait(name, request, tmp_path / "clip.mp4")
    assert fake.count("fetchPredictOperation") >= 4


async def test_an_operation_that_never_finishes_times_out(
    google_fake: Fake, base_settings: Settings, tmp_path: Path
) -> None:
    fake, url = google_fake
    fake.hold.set()
    provider = GoogleVideoProvider(
        google_settings(base_settings, url, operation_timeout_seconds=0.4)
    )
    request = video_request(tmp_path)
    name = await provider.submit(request)
    with pytest.raises(ProviderTimeoutError, match="scene 1 not finished after"):
        await provider.wait(name, request, tmp_path / "clip.mp4")


@pytest.mark.alone  # measures time: no other test beside it
async def test_first_poll_near_typical_latency_then_short_intervals(
    google_fake: Fake, base_settings: Settings, tmp_path: Path
) -> None:
    """Nothing is polled before the typical latency; after it, polls are ~interval apart."""
    fake, url = google_fake
    fake.polls_before_done = 4
    # the fake answers the last poll once its clip is rendered, seconds on a loaded machine: a
    # request timeout above that, so the poll is not sent again (a fifth)
    settings = google_settings(
        base_settings,
        url,
        poll_first_seconds=0.5,
        poll_interval_seconds=0.1,
        provider_timeout_seconds=60,
    )
    provider = GoogleVideoProvider(settings)
    request = video_request(tmp_path)
    name = await provider.submit(request)
    await provider.wait(name, request, tmp_path / "clip.mp4")
    (submitted,) = fake.of_kind("predictLongRunning")
    polls = [p.at for p in fake.of_kind("fetchPredictOperation")]
    assert len(polls) == 4
    assert polls[0] - submitted.at == pytest.approx(0.5, abs=0.25)
    gaps = [b - a for a, b in zip(polls, polls[1:], strict=False)]
    assert all(0.08 < gap < 0.6 for gap in gaps), gaps


async def test_a_resumed_wait_polls_the_same_operation_without_submitting(
    google_fake: Fake, base_settings: Settings, tmp_path: Path
) -> None:
    fake, url = google_fake
    settings = google_settings(base_settings, url, poll_first_seconds=600)
    request = video_request(tmp_path)
    name = await GoogleVideoProvider(settings).submit(request)
    fresh = GoogleVideoProvider(settings)  # as after a crash: a new process, a new provider
    began = asyncio.get_running_loop().time()
    await fresh.wait(name, request, tmp_path / "clip.mp4")
    # polled at once, not after 10 minutes (the bound leaves room for a loaded machine)
    assert asyncio.get_running_loop().time() - began < 60
    assert fake.count("predictLongRunning") == 1
    assert {p.body["operationName"] for p in fake.of_kind("fetchPredictOperation")} == {name}


async def test_vertex_ai_with_a_project_and_a_credentials_file(
    google_fake: Fake, base_settings: Settings, tmp_path: Path
) -> None:
    fake, url = google_fake
    settings = vertex_project_settings(base_settings, url, tmp_path)
    storyboard = await GoogleStoryboardProvider(settings).write_storyboard(story_request())
    assert len(storyboard.scenes) == 2
    provider = GoogleVideoProvider(settings)
    request = video_request(tmp_path)
    await provider.wait(await provider.submit(request), request, tmp_path / "clip.mp4")
    prefix = "/v1beta1/projects/fake-project/locations/us-central1/publishers/google/models/"
    for kind in ("generateContent:text", "predictLongRunning", "fetchPredictOperation"):
        for sent in fake.of_kind(kind):
            assert sent.path.startswith(prefix)
            assert sent.headers["authorization"] == f"Bearer {fake.access_token}"
    assert fake.count("token") >= 1


async def test_vertex_ai_credentials_refused_name_the_setting(
    google_fake: Fake, base_settings: Settings, tmp_path: Path
) -> None:
    fake, url = google_fake
    fake.service_account = "someone-else@fake-project.iam.gserviceaccount.com"
    settings = vertex_project_settings(base_settings, url, tmp_path)
    with pytest.raises(ProviderAuthError) as refused:
        await GoogleStoryboardProvider(settings).write_storyboard(story_request())
    message = str(refused.value)
    where = settings.provider(GoogleSettings).credentials_file
    assert f"{where} was refused" in message  # not "no credentials"
    assert "invalid_grant" in message and "VIDPIPE_GOOGLE_CREDENTIALS_FILE" in message
    assert fake.count("generateContent:text") == 0


def test_price_overrides(base_settings: Settings) -> None:
    settings = google_settings(
        base_settings,
        "http://127.0.0.1:9",
        prices={"veo-3.1-generate-001": 0.3, "google:image": 0.01},
    )
    assert GoogleVideoProvider(settings).estimate_cost(seconds=8) == pytest.approx(2.4)
    assert GoogleImageProvider(settings).estimate_cost(calls=3) == pytest.approx(0.03)
    default = GoogleVideoProvider(google_settings(base_settings, "http://127.0.0.1:9"))
    assert default.price_per_second == pytest.approx(0.40)
    silent = GoogleVideoProvider(
        google_settings(base_settings, "http://127.0.0.1:9", google_video_audio=False)
    )
    assert silent.price_per_second == pytest.approx(0.20)


def test_b64decode_helper_reads_both_alphabets() -> None:
    data = bytes(range(256))
    assert b64decode(base64.urlsafe_b64encode(data).decode().rstrip("=")) == data
