"""A fake OpenAI-compatible server: POST /v1/chat/completions, GET /v1/models.

Checks the bearer key, the messages, and the response_format: a strict json_schema whose schema
is the storyboard's, or json_object with "JSON" in the instructions (as OpenAI demands). With
`schemas=False` it behaves like a server without structured outputs: 400 on json_schema.
Faults per request: HTTP statuses, "malformed" (non-JSON content), "filtered" (content_filter).
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from typing import Any

from fake_google import Recorded, fill_references, storyboard_for
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
            schema = response_format.get("json_schema", {}).get("schema")
            story = fill_references(storyboard_for(user), schema, self.stray_reference)
            if isinstance(story, str):
                return _error(400, story, None)
            content = json.dumps(story if kind == "json_schema" else {"storyboard": story})
        return _completion(body, content, finish)

    def temperatures(self) -> list[float]:
        return [r.body.get("temperature") for r in self.requests if r.kind == "chat"]

    def formats(self) -> list[str]:
        return [
            (r.body.get("response_format") or {}).get("type", "")
            for r in self.requests
            if r.kind == "chat"
        ]


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
