"""GET /api/estimate: what a generate with these options would cost, and whether it would be
accepted, before anything is made.

The web page's "New video" form asks it as the user types. It runs the very checks and the very
estimate `generate` runs (GenerateOptions, check_capabilities, estimate_cost, check_budget). An
estimate is a question, not a command, so options `generate` would refuse still get 200: the
figure, and the refusals as `problems` in the shape of generate's 422 field errors. Only a
request that breaks the described schema is 422.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import ValidationError

from vidpipe.api.deps import RegistryDep, SettingsDep
from vidpipe.api.errors import body_error
from vidpipe.api.strict import Decimal, Digits
from vidpipe.config import Settings
from vidpipe.documents import Estimate, Problem, RoleProviders
from vidpipe.errors import BadInputError
from vidpipe.orchestrator.models import ROLES, estimate_providers
from vidpipe.orchestrator.projects import (
    MODEL_PATTERN,
    GenerateOptions,
    check_budget,
    check_capabilities,
    estimate_cost,
    generate_providers,
)
from vidpipe.pipeline.takes import MAX_TAKES
from vidpipe.providers.base import DEFAULT_SCENES_FOR_ESTIMATE
from vidpipe.providers.registry import ProviderRegistry

router = APIRouter(prefix="/api", tags=["projects"])

PLACEHOLDER_PROMPT = "estimate"  # the prompt does not change the price


ModelQuery = Annotated[
    str | None,
    Query(max_length=200, pattern=MODEL_PATTERN, description="PROVIDER:MODEL (GET /api/models)."),
]


@router.get(
    "/estimate",
    response_model=Estimate,
    summary="The cost of a generate with these options, from the providers' price tables",
)
async def estimate(
    settings: SettingsDep,
    registry: RegistryDep,
    # GenerateOptions' own bounds, so the described schema matches generate's body; the rules
    # themselves (and any bound changed there) run in GenerateOptions below
    scenes: Annotated[int | None, Query(ge=1, le=20), Digits] = None,
    clip_duration: Annotated[float, Query(gt=0, le=60), Decimal] = 4.0,
    aspect_ratio: Annotated[Literal["16:9", "9:16", "1:1"], Query()] = "16:9",
    resolution: Annotated[Literal["360p", "480p", "720p", "1080p"], Query()] = "720p",
    crossfade: Annotated[float, Query(ge=0, le=10), Decimal] = 0.0,
    max_cost: Annotated[float | None, Query(ge=0), Decimal] = None,
    takes: Annotated[int, Query(ge=1, le=MAX_TAKES, description="Takes per clip."), Digits] = 1,
    storyboard_model: ModelQuery = None,
    image_model: ModelQuery = None,
    video_model: ModelQuery = None,
) -> Estimate:
    fields: dict[str, Any] = {
        "prompt": PLACEHOLDER_PROMPT,
        "scenes": scenes,
        "clip_duration": clip_duration,
        "aspect_ratio": aspect_ratio,
        "resolution": resolution,
        "max_cost": max_cost,
        "takes": takes,
        "storyboard_model": storyboard_model,
        "image_model": image_model,
        "video_model": video_model,
    }
    try:
        options = GenerateOptions(**fields, crossfade=crossfade)
        problems = []
    except ValidationError as exc:  # the one rule across fields: crossfade < clip_duration
        options = GenerateOptions(**fields)  # the crossfade does not change the price
        message = str(exc.errors()[0]["msg"]).removeprefix("Value error, ")
        problems = [Problem(loc=["query", "crossfade"], msg=message, type="value_error")]
    return assess(settings, registry, options, problems)


def _problem(exc: BadInputError) -> Problem:
    error = body_error(exc).errors()[0]
    return Problem(loc=["query", *error["loc"][1:]], msg=error["msg"], type=error["type"])


def assess(
    settings: Settings,
    registry: ProviderRegistry,
    options: GenerateOptions,
    problems: list[Problem] | None = None,
) -> Estimate:
    """The estimate document: generate's own checks and estimate, refusals as `problems`."""
    problems = list(problems or [])
    built = True
    try:
        providers = generate_providers(registry, settings, options)
    except BadInputError as exc:  # a model that cannot run here (yet): refused, still priced
        problems.append(_problem(exc))
        built = False
        chosen = {role: getattr(options, f"{role}_model") for role in ROLES}
        providers = estimate_providers(registry, settings, chosen)
    total = estimate_cost(options, providers)
    for check in (
        lambda: check_capabilities(options, providers),
        lambda: check_budget(options, total),
    ):
        try:
            check()
        except BadInputError as exc:
            problems.append(_problem(exc))
    return Estimate(
        estimated_cost=total,
        scenes=options.scenes or DEFAULT_SCENES_FOR_ESTIMATE,
        providers=RoleProviders(
            storyboard=providers.storyboard.provider_id,
            image=providers.image.provider_id,
            video=providers.video.provider_id,
        ),
        free=built and total == 0,  # a model that cannot be made is never called free
        accepted=not problems,
        problems=problems,
    )
