"""The OpenAPI document says what *this* server accepts.

`GenerateRequest` (GenerateOptions, read strictly) validates every body; its JSON schema alone
would promise more than the server takes: a blank prompt passes `maxLength`, and any clip duration
up to 60 s passes `maximum`, while the configured
video provider takes its own range, aspect ratios and resolutions (checked before anything is
written). This narrows the served description to match; validation itself is unchanged.

One rule JSON Schema cannot state is written in the description instead: `crossfade` must be
shorter than `clip_duration`. The prompt and the style hold no control character but tab and
line breaks (`list` and `status` print them to a terminal).

Every string a JSON body carries also says it holds no NUL character (`BodyLimits` refuses one:
PostgreSQL cannot store it in text), so a client that follows the description is never refused
for it.
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
_SPACES = "".join(f"\\u{ord(c):04x}" for c in _WHITESPACE)
NO_NUL = "^[^\\u0000]*$"
# the control characters a prompt may not hold (all but tab, line feed and carriage return)
_CONTROL = "\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f-\\u009f"
# not blank, and no control character anywhere
TEXT = f"^[^{_CONTROL}]*[^{_CONTROL}{_SPACES}][^{_CONTROL}]*$"


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
            say_no_nul(schema)
        return app.openapi_schema  # type: ignore[return-value]

    return openapi


def narrow(body: dict[str, Any], caps: Capabilities, *, provider: str) -> None:
    fields = body["properties"]
    for name in ("prompt", "style"):
        fields[name].update(minLength=1, pattern=TEXT)
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


def say_no_nul(schema: dict[str, Any]) -> None:
    """Every plain string of every JSON request body (and the components it names) gets a
    pattern that excludes NUL; strings with a pattern or a list of values of their own already
    exclude it."""
    components = schema["components"]["schemas"]
    todo: list[Any] = [
        operation["requestBody"]["content"]["application/json"]["schema"]
        for operations in schema["paths"].values()
        for operation in operations.values()
        if "application/json" in operation.get("requestBody", {}).get("content", {})
    ]
    seen: set[str] = set()
    while todo:
        node = todo.pop()
        if isinstance(node, list):
            todo.extend(node)
            continue
        if not isinstance(node, dict):
            continue
        if "$ref" in node:
            name = node["$ref"].rsplit("/", 1)[-1]
            if name not in seen:
                seen.add(name)
                todo.append(components[name])
            continue
        if node.get("type") == "string" and not {"pattern", "enum", "const", "format"} & set(node):
            node["pattern"] = NO_NUL
        todo.extend(value for key, value in node.items() if key not in ("default", "examples"))
