"""A fake OpenAI-compatible server: POST /v1/chat/completions, POST /v1/audio/speech,
GET /v1/models.

Speech: checks the model, voice, input (1–4,096 characters), speed (0.25–4) and
response_format, and answers a WAV (16-bit mono 24 kHz, a tone as long as the words take at
2.5 a second over `speed`) whose header carries the placeholder sizes of a streamed answer.
Billed like OpenAI: per character of input, for every request carried out (`billed_characters`).

Checks the bearer key, the messages, and the response_format: a strict json_schema whose schema
is the storyboard's, or json_object with "JSON" in the instructions (as OpenAI demands). With
`schemas=False` it behaves like a server without structured outputs: 400 on json_schema.
Faults per request: HTTP statuses, "malformed" (non-JSON content), "filtered" (content_filter).
"""

from __future__ import annotations

import json
import math
import struct
import threading
import time
import uuid
from typing import Any

from fake_google import Recorded, fill_references, has_sound_fields, storyboard_for
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route


class FakeOpenAI:
    def __init__(self, *, api_key: str = "sk-test-openai", schemas: bool = True) -> None:
        self.api_key = api_key
        self.schemas = schemas
        self.stray_reference: str | None = None  # see fake_google.fill_references
        self.requests: list[Recorded] = []
        self.faults: list[Any] = []
        self.billed_characters = 0
        self._lock = threading.Lock()

    def inject(self, *faults: Any) -> None:
        with self._lock:
            self.faults.extend(faults)

    def count(self, kind: str = "chat") -> int:
        return sum(1 for r in self.requests if r.kind == kind)

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/v1/chat/completions", self._chat, methods=["POST"]),
                Route("/v1/audio/speech", self._speech, methods=["POST"]),
                Route("/v1/models", self._models, methods=["GET"]),
            ]
        )

    def _authorised(self, request: Request) -> Response | None:
        if request.headers.get("authorization") == f"Bearer {self.api_key}":
            return None
        return _error(401, "Incorrect API key provided.", "invalid_api_key")

    async def _models(self, request: Request) -> Response:
        self.requests.append(Recorded("models", "/v1/models", {}, dict(request.headers)))
        denied = self._authorised(request)
        if denied:
            return denied
        return JSONResponse({"object": "list", "data": [{"id": "gpt-4o-mini", "object": "model"}]})

    async def _chat(self, request: Request) -> Response:
        body = json.loads(await request.body())
        messages = body.get("messages", [])
        images = [
            part["image_url"]["url"]
            for m in messages
            if isinstance(m.get("content"), list)
            for part in m["content"]
            if part.get("type") == "image_url"
        ]
        kind = "describe" if images else "chat"
        with self._lock:
            self.requests.append(
                Recorded(kind, "/v1/chat/completions", body, dict(request.headers))
            )
            fault = self.faults.pop(0) if self.faults else None
        denied = self._authorised(request)
        if denied:
            return denied
        if isinstance(fault, int):
            return _error(fault, f"injected {fault}", None)
        if images:  # a vision request: describe the image (the fake names its data URL's type)
            if not all(url.startswith("data:image/") and ";base64," in url for url in images):
                return _error(400, "image_url must be a base64 data URL", None)
            media = images[0].split(";", 1)[0].removeprefix("data:")
            return _completion(body, f"a character drawn in a {media} image", "stop")
        roles = [m.get("role") for m in messages]
        if roles[:2] != ["system", "user"]:
            return _error(400, f"expected system + user messages, got {roles}", None)
        response_format = body.get("response_format") or {}
        kind = response_format.get("type")
        if kind == "json_schema":
            if not self.schemas:
                return _error(
                    400,
                    "response_format.type 'json_schema' is not supported by this server",
                    None,
                    param="response_format",
                )
            spec = response_format.get("json_schema", {})
            schema = spec.get("schema", {})
            if not spec.get("strict") or set(schema.get("properties", {})) != {
                "style_guide",
                "scenes",
            }:
                return _error(400, "json_schema must be strict and describe a storyboard", None)
            problem = strict_problem(schema)
            if problem:
                return _error(400, f"Invalid schema for response_format: {problem}", None)
        elif kind == "json_object":
            if "JSON" not in " ".join(m.get("content", "") for m in messages):
                return _error(400, "'messages' must contain the word 'json'", None)
        else:
            return _error(400, f"unexpected response_format {response_format}", None)
        user = messages[1]["content"]
        finish = "stop"
        if fault == "malformed":
            content = "Sure! Here is your storyboard: {style_guide: ..."
        elif fault == "filtered":
            content, finish = "", "content_filter"
        else:
            if kind == "json_schema":
                sound = has_sound_fields(response_format["json_schema"]["schema"])
            else:  # JSON mode: the schema is in the instructions
                sound = '"narration"' in messages[0].get("content", "")
            schema = response_format.get("json_schema", {}).get("schema")
            story = fill_references(storyboard_for(user, sound=sound), schema, self.stray_reference)
            if isinstance(story, str):
                return _error(400, story, None)
            content = json.dumps(story if kind == "json_schema" else {"storyboard": story})
        return _completion(body, content, finish)

    async def _speech(self, request: Request) -> Response:
        body = json.loads(await request.body())
        with self._lock:
            self.requests.append(
                Recorded("speech", "/v1/audio/speech", body, dict(request.headers))
            )
            fault = self.faults.pop(0) if self.faults else None
        denied = self._authorised(request)
        if denied:
            return denied
        if isinstance(fault, int):
            return _error(fault, f"injected {fault}", None)
        text, speed = body.get("input", ""), body.get("speed", 1.0)
        if body.get("model") not in SPEECH_MODELS:
            return _error(404, f"The model `{body.get('model')}` does not exist", "model_not_found")
        if body.get("voice") not in VOICES:
            return _error(400, f"Invalid voice {body.get('voice')!r}", None, param="voice")
        if not text or len(text) > 4096:
            return _error(400, "input must be 1 to 4096 characters", None, param="input")
        if not 0.25 <= float(speed) <= 4.0:
            return _error(400, "speed must be between 0.25 and 4.0", None, param="speed")
        if body.get("response_format") != "wav":
            return _error(400, "this fake answers response_format wav only", None)
        seconds = max(0.3, len(text.split()) / 2.5 / float(speed))
        with self._lock:
            self.billed_characters += len(text)
        return Response(streamed_wav(seconds), media_type="audio/wav")

    def temperatures(self) -> list[float]:
        return [r.body.get("temperature") for r in self.requests if r.kind == "chat"]

    def formats(self) -> list[str]:
        return [
            (r.body.get("response_format") or {}).get("type", "")
            for r in self.requests
            if r.kind == "chat"
        ]


SPEECH_MODELS = {"gpt-4o-mini-tts", "tts-1", "tts-1-hd"}
VOICES = {"alloy", "ash", "ballad", "coral", "echo", "fable", "nova", "onyx", "sage", "shimmer"}


def tone_pcm(seconds: float, rate: int = 24_000, hz: float = 220.0) -> bytes:
    """16-bit mono PCM: a quiet tone of `seconds`."""
    count = int(seconds * rate)
    return b"".join(
        struct.pack("<h", int(8000 * math.sin(2 * math.pi * hz * i / rate))) for i in range(count)
    )


def streamed_wav(seconds: float, rate: int = 24_000) -> bytes:
    """A WAV as a streaming server writes it: RIFF and data sizes unknown (0xFFFFFFFF)."""
    pcm = tone_pcm(seconds, rate)
    fmt = struct.pack("<HHIIHH", 1, 1, rate, rate * 2, 2, 16)
    return (
        b"RIFF" + struct.pack("<I", 0xFFFFFFFF) + b"WAVE"
        + b"fmt " + struct.pack("<I", 16) + fmt
        + b"data" + struct.pack("<I", 0xFFFFFFFF) + pcm
    )  # fmt: skip


def strict_problem(node: Any, where: str = "schema") -> str | None:
    """What OpenAI's strict mode refuses: an object not closed or with a property left out of
    `required`, or a default value anywhere."""
    if isinstance(node, dict):
        if "default" in node:
            return f"{where}: 'default' is not permitted"
        if node.get("type") == "object":
            if node.get("additionalProperties") is not False:
                return f"{where}: 'additionalProperties' is required to be false"
            if set(node.get("required", [])) != set(node.get("properties", {})):
                return f"{where}: 'required' must list every property"
        for key, value in node.items():
            found = strict_problem(value, f"{where}.{key}")
            if found:
                return found
    if isinstance(node, list):
        for index, value in enumerate(node):
            found = strict_problem(value, f"{where}[{index}]")
            if found:
                return found
    return None


def _completion(body: dict[str, Any], content: str, finish: str) -> JSONResponse:
    return JSONResponse(
        {
            "id": f"chatcmpl-{uuid.uuid4().hex[:12]}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body.get("model"),
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": content},
                    "finish_reason": finish,
                }
            ],
            "usage": {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20},
        }
    )


def _error(status: int, message: str, code: str | None, param: str | None = None) -> JSONResponse:
    return JSONResponse(
        {
            "error": {
                "message": message,
                "type": "invalid_request_error" if status < 500 else "server_error",
                "param": param,
                "code": code,
            }
        },
        status_code=status,
    )
