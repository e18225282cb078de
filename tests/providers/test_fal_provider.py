"""The fal provider through its real HTTP client against the loopback fal fake.

Request shapes per catalog model (the fake keeps its own table of each model's fields, so a
misnamed end-frame field fails here), the queue protocol (owner/alias paths, Key auth), uploads
once per content hash, faults (429, ingress 502, a lost submit answer), failed requests with fal's
message (fal's own 5xx request errors told apart: not billed), a stop while queued, and the pricing
endpoint.
"""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

import httpx
import pytest
from fake_fal import MODELS, Failure, FakeFal
from PIL import Image
from provider_env import fal_settings
from pydantic import SecretStr

from vidpipe.config import Settings
from vidpipe.errors import BadInputError, OperationFailedError, UnbilledFailureError
from vidpipe.media.probe import probe
from vidpipe.providers.base import ImageRequest, StyleGuide, VideoRequest
from vidpipe.providers.billing import Outcome, OutcomeUnknownError, outcome_of
from vidpipe.providers.calls import ProviderAuthError, TransientError
from vidpipe.providers.catalog import load_catalog
from vidpipe.providers.fal import FalImageProvider, FalVideoProvider
from vidpipe.providers.fal.client import server_failure, translate
from vidpipe.providers.fal.models import video_arguments

STYLE = StyleGuide(visual_style="watercolour", color_palette=["#334455"], camera_style="slow")


def png(path: Path, colour: tuple[int, int, int], size: tuple[int, int] = (1280, 720)) -> Path:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, format="PNG")
    path.write_bytes(out.getvalue())
    return path


def clip_request(tmp_path: Path, duration: float = 5.0, **extra: object) -> VideoRequest:
    return VideoRequest(
        motion_prompt="the boat drifts",
        start_image=png(tmp_path / "start.png", (200, 40, 40)),
        end_image=png(tmp_path / "end.png", (40, 40, 200)),
        duration=duration,
        width=1280,
        height=720,
        aspect_ratio="16:9",
        fps=24,
        scene_index=0,
        style_guide=STYLE,
        **extra,  # type: ignore[arg-type]
    )


def fal_models(role: str) -> list[str]:
    return [e.id for e in load_catalog().entries(provider="fal", role=role)]


# ---------------------------------------------------------------- catalog against the fake


@pytest.mark.parametrize("model_id", fal_models("video"))
async def test_every_catalog_video_model_is_accepted_with_both_frames(
    model_id: str, base_settings: Settings, fal_fake: tuple[FakeFal, str], tmp_path: Path
) -> None:
    fake, url = fal_fake
    settings = fal_settings(base_settings, url, fal_video_model=model_id)
    provider = FalVideoProvider(settings)
    duration = (provider.capabilities.durations or (5.0,))[0]
    request = clip_request(tmp_path, duration=duration)
    operation = await provider.submit(request)
    dest = tmp_path / "clip.mp4"
    await provider.wait(operation, request, dest)

    assert probe(dest).duration == pytest.approx(duration, abs=0.1)
    assert fake.refused == []
    sent = fake.received[-1]
    schema = MODELS[model_id]
    assert sent["start"] is not None
    if schema.end is not None:  # the end frame arrived under the model's own field name
        assert sent["end"] is not None and sent["end"] != sent["start"]
    assert provider.takes_end_frame == (schema.end is not None)
    # status and result only under owner/alias, never the model's sub-path
    assert fake.wrong_paths == []
    owner_alias = "/".join(model_id.split("/")[:2])
    polled = {r.path for r in fake.of_kind("status")}
    assert polled == {f"/queue/{owner_alias}/requests/{operation.split('|')[1]}/status"}
    assert all(r.headers["authorization"] == "Key test-fal-key" for r in fake.of_kind("submit"))


async def test_the_fake_knows_exactly_the_catalogs_models_and_answers_their_prices(
    base_settings: Settings, fal_fake: tuple[FakeFal, str]
) -> None:
    """The fake's own table (fields, frames, durations) covers every fal model of the catalog
    and no other, each of the same kind; its pricing endpoint answers the catalog's prices."""
    fake, url = fal_fake
    entries = {e.id: e for e in load_catalog().entries(provider="fal")}
    assert {m: s.kind for m, s in MODELS.items()} == {i: e.role for i, e in entries.items()}
    provider = FalVideoProvider(fal_settings(base_settings, url))
    prices = await provider.queue.prices(sorted(entries))
    assert {m: p for m, (p, _) in prices.items()} == {i: e.price for i, e in entries.items()}


def test_a_misnamed_end_frame_field_is_refused_by_the_fake(
    base_settings: Settings, fal_fake: tuple[FakeFal, str], tmp_path: Path
) -> None:
    """fal would drop `tail_image_url` silently and make a clip with no end frame."""
    fake, _ = fal_fake
    entry = load_catalog().get("fal", "fal-ai/kling-video/v4/image-to-video")
    wrong = entry.model_copy(update={"request": {**entry.request, "end_image": "tail_image_url"}})
    args = video_arguments(
        wrong,
        prompt="x",
        start_url="s",
        end_url="e",
        duration=5,
        aspect_ratio="16:9",
        resolution="720p",
        audio=False,
    )
    problems = fake._check(MODELS[entry.id], args)
    assert any(p.startswith("tail_image_url: unknown field") for p in problems)
    assert any(p.startswith("end_image_url: required") for p in problems)


async def test_images_text_to_image_then_edit_from_the_start_frame(
    base_settings: Settings, fal_fake: tuple[FakeFal, str], tmp_path: Path
) -> None:
    fake, url = fal_fake
    provider = FalImageProvider(fal_settings(base_settings, url))
    common = {"style_guide": STYLE, "width": 1280, "height": 720, "aspect_ratio": "16:9"}
    start = await provider.generate_image(ImageRequest(prompt="a harbour", scene_index=0, **common))
    path = tmp_path / "start.png"
    path.write_bytes(start)
    end = await provider.generate_image(
        ImageRequest(prompt="the harbour at night", scene_index=0, reference_image=path, **common)
    )
    assert Image.open(io.BytesIO(end)).size == (1280, 720)
    models = [q.model for q in fake.submissions("image")]
    assert models == ["fal-ai/flux/schnell", "fal-ai/nano-banana/edit"]
    edit = fake.submissions("image")[1].body
    assert fake._file_of(edit["image_urls"][0]) == start  # conditioned on the start frame
    assert fake.refused == []


async def test_inputs_are_uploaded_once_per_content_hash(
    base_settings: Settings, fal_fake: tuple[FakeFal, str], tmp_path: Path
) -> None:
    fake, url = fal_fake
    provider = FalVideoProvider(fal_settings(base_settings, url))
    request = clip_request(tmp_path)
    await provider.submit(request)
    await provider.submit(request)  # the same two frames again
    assert fake.count("upload") == 2
    assert len(fake.submissions("video")) == 2


# ---------------------------------------------------------------- faults


async def test_429_and_ingress_502_on_submit_are_retried(
    base_settings: Settings, fal_fake: tuple[FakeFal, str], tmp_path: Path
) -> None:
    fake, url = fal_fake
    provider = FalVideoProvider(fal_settings(base_settings, url))
    fake.inject("submit", 429, 502)
    operation = await provider.submit(clip_request(tmp_path))
    assert fake.count("submit") == 3
    assert len(fake.submissions("video")) == 1  # only the last was accepted
    assert operation.endswith(fake.submissions("video")[0].id)


@pytest.mark.parametrize("fault", [500, 504, "lose"])
async def test_a_submit_whose_outcome_is_unknown_is_not_sent_again(
    fault: object, base_settings: Settings, fal_fake: tuple[FakeFal, str], tmp_path: Path
) -> None:
    fake, url = fal_fake
    fake.hang_seconds = 1.5
    settings = fal_settings(base_settings, url, provider_submit_timeout_seconds=0.5)
    provider = FalVideoProvider(settings)
    fake.inject("submit", fault)
    with pytest.raises(OutcomeUnknownError):
        await provider.submit(clip_request(tmp_path))
    assert fake.count("submit") == 1


async def test_a_failed_request_is_reported_with_fals_message(
    base_settings: Settings, fal_fake: tuple[FakeFal, str], tmp_path: Path
) -> None:
    fake, url = fal_fake
    provider = FalVideoProvider(fal_settings(base_settings, url))
    fake.fail_next.append("GPU worker crashed while decoding frame 12")
    request = clip_request(tmp_path)
    operation = await provider.submit(request)
    with pytest.raises(
        OperationFailedError, match="GPU worker crashed while decoding frame 12"
    ) as e:
        await provider.wait(operation, request, tmp_path / "clip.mp4")
    assert e.value.billed  # a model's error (HTTP 422): fal may bill it, so it is counted
    fake.finish_all()
    assert fake.billed == []  # fal bills successful outputs only


RESULT_URL = "https://queue.fal.run/fal-ai/kling-video/requests/r1"


def result_answer(status: int, body: object, **headers: str) -> httpx.Response:
    request = httpx.Request("GET", RESULT_URL)
    if isinstance(body, str):
        return httpx.Response(status, text=body, headers=headers, request=request)
    return httpx.Response(status, json=body, headers=headers, request=request)


@pytest.mark.parametrize(
    ("answer", "server_error"),
    [
        # fal's own request errors: a 5xx naming its type (header, body, or both) — not billed
        (result_answer(503, {"detail": "Runner disconnected", "error_type": "runner_disconnected"},
                       **{"X-Fal-Error-Type": "runner_disconnected"}), True),
        (result_answer(504, {"detail": "Request timed out"},
                       **{"x-fal-error-type": "request_timeout"}), True),
        (result_answer(500, {"detail": "boom", "error_type": "internal_error"}), True),
        # a 5xx without a type: fal's ingress (or a proxy), asked again
        (result_answer(503, "<html>503 Service Unavailable</html>"), False),
        (result_answer(500, {"detail": "oops"}, **{"x-fal-request-id": "r1"}), False),
        # a 4xx with a type: the model's error, which fal may bill
        (result_answer(422, {"detail": "flagged", "error_type": "content_policy_violation"},
                       **{"x-fal-error-type": "content_policy_violation"}), False),
    ],
)  # fmt: skip
def test_a_result_answer_is_fals_unbilled_server_error_only_when_5xx_with_an_error_type(
    answer: httpx.Response, server_error: bool
) -> None:
    failure = server_failure(answer, "fal request r1")
    if server_error:
        assert isinstance(failure, UnbilledFailureError) and failure.billed is False
        assert outcome_of(failure) is Outcome.SERVER_ERROR
        assert "fal does not bill it, and resume sends it again" in str(failure)
        return
    assert failure is None
    error = translate(httpx.HTTPStatusError("x", request=answer.request, response=answer), "w")
    if answer.status_code >= 500:
        assert isinstance(error, TransientError)  # polled again, not reported
    else:
        assert outcome_of(error) is not Outcome.SERVER_ERROR


async def test_a_request_fal_fails_with_its_own_server_error_says_it_is_not_billed(
    base_settings: Settings, fal_fake: tuple[FakeFal, str], tmp_path: Path
) -> None:
    """fal gave up on the request (after its own retries) with a 503 runner_disconnected: the
    wait ends at once with an error that says fal does not bill it; a bare 503 from the
    ingress on the way is asked again."""
    fake, url = fal_fake
    provider = FalVideoProvider(fal_settings(base_settings, url))
    fake.fail_next.append(Failure("Runner disconnected", 503, "runner_disconnected"))
    fake.inject("result", 503)  # the ingress, once: no error type, so transient
    request = clip_request(tmp_path)
    operation = await provider.submit(request)
    with pytest.raises(UnbilledFailureError, match=r"server error \(runner_disconnected") as caught:
        await provider.wait(operation, request, tmp_path / "clip.mp4")
    assert caught.value.billed is False and caught.value.status == 503
    assert fake.count("result") == 2
    fake.finish_all()
    assert fake.billed == []


async def test_a_wait_cancelled_while_in_queue_cancels_the_request_at_fal(
    base_settings: Settings, fal_fake: tuple[FakeFal, str], tmp_path: Path
) -> None:
    fake, url = fal_fake
    provider = FalVideoProvider(fal_settings(base_settings, url))
    fake.hold_in_queue.set()
    request = clip_request(tmp_path)
    operation = await provider.submit(request)
    waiting = asyncio.create_task(provider.wait(operation, request, tmp_path / "clip.mp4"))
    while fake.count("status") < 2:
        await asyncio.sleep(0.02)
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    assert fake.count("cancel") == 1
    assert await provider.operation_state(operation) == "unknown"  # gone: send it again
    fake.hold_in_queue.clear()
    fake.finish_all()
    assert fake.billed == []


async def test_bad_key_names_the_setting(
    base_settings: Settings, fal_fake: tuple[FakeFal, str], tmp_path: Path
) -> None:
    _, url = fal_fake
    settings = fal_settings(base_settings, url).model_copy(update={"fal_key": SecretStr("wrong")})
    with pytest.raises(ProviderAuthError, match="FAL_KEY"):
        await FalVideoProvider(settings).submit(clip_request(tmp_path))


def test_no_key_and_unknown_model_are_refused_at_once(base_settings: Settings) -> None:
    with pytest.raises(BadInputError, match="FAL_KEY"):
        FalVideoProvider(base_settings)
    settings = base_settings.model_copy(update={"fal_video_model": "fal-ai/kling-vidoe/v4"})
    with pytest.raises(BadInputError, match="VIDPIPE_FAL_VIDEO_MODEL"):
        FalVideoProvider(settings)


async def test_health_reads_fals_pricing_endpoint(
    base_settings: Settings, fal_fake: tuple[FakeFal, str]
) -> None:
    fake, url = fal_fake
    provider = FalVideoProvider(fal_settings(base_settings, url))
    assert "credentials accepted" in await provider.health()
    assert fake.of_kind("pricing")[0].body == ["fal-ai/kling-video/v4/image-to-video"]
    prices = await provider.queue.prices(fal_models("video"))
    assert prices["fal-ai/kling-video/v4/image-to-video"] == (0.157, "second")
