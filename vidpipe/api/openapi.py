"""The OpenAPI document says what *this* server accepts.

`GenerateRequest` (GenerateOptions, read strictly) validates every body; its JSON schema alone
would promise more than the server takes: a blank prompt passes `maxLength`, and any clip duration
up to 60 s passes `maximum`, while the configured
video provider takes its own range, aspect ratios and resolutions (checked before anything is
written). This narrows the served description to match; validation itself is unchanged.

One rule JSON Schema cannot state is written in the description instead: `crossfade` must be
shorter than `clip_duration`.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI

from vidpipe.config import Settings
from vidpipe.providers.base import Capabilities, Role
from vidpipe.providers.registry import ProviderRegistry

# "Not blank" as JSON Schema can check it: at least one character that Python's str.strip()
# keeps. Spelled out, because a regex `\s` is not Python's idea of whitespace.
_WHITESPACE = "".join(chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace())
NOT_BLANK = "[^" + "".join(f"\\u{ord(c):04x}" for c in _WHITESPACE) + "]"


def describing_capabilities(
    app: FastAPI, settings: Settings, registry: ProviderRegistry
) -> Callable[[], dict[str, Any]]:
    """A replacement for `app.openapi` that narrows the generate body to this server's providers."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = build()
            caps = registry.get(Role.VIDEO, settings.video_provider).capabilities
            body = schema["components"]["schemas"]["GenerateRequest"]
            narrow(body, caps, provider=settings.video_provider)
        return app.openapi_schema  # type: ignore[return-value]

    return openapi


def narrow(body: dict[str, Any], caps: Capabilities, *, provider: str) -> None:
    fields = body["properties"]
    for name in ("prompt", "style"):
        fields[name].update(minLength=1, pattern=NOT_BLANK)
    duration = fields["clip_duration"]
    duration.pop("exclusiveMinimum", None)
    duration["minimum"] = caps.min_duration
    duration["maximum"] = min(duration.get("maximum", caps.max_duration), caps.max_duration)
    if caps.durations is not None:
        duration["enum"] = sorted(caps.durations)
    duration["description"] = f"Seconds per scene, as the {provider} video provider takes them."
    for name, allowed in (("aspect_ratio", caps.aspect_ratios), ("resolution", caps.resolutions)):
        field = fields[name]
        field["enum"] = [value for value in field["enum"] if value in allowed]
    fields["crossfade"]["description"] = (
        "Crossfade seconds between scenes; 0 = hard cuts. Must be shorter than clip_duration."
    )
