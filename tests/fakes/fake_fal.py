"""A fake fal.ai: the queue REST API, storage and pricing, as fal documents them, on loopback.

Mounted under one root the way VIDPIPE_FAL_BASE_URL maps fal's hosts:
  POST /queue/{model id}                                  submit → request_id, *_url
  GET  /queue/{owner}/{alias}/requests/{id}/status        IN_QUEUE | IN_PROGRESS | COMPLETED
  GET  /queue/{owner}/{alias}/requests/{id}               the output
  PUT  /queue/{owner}/{alias}/requests/{id}/cancel        202, or 400 once completed
  POST /rest/storage/auth/token?storage_type=fal-cdn-v3   an upload token and the CDN base_url
  POST /cdn/files/upload                                  (Bearer token) → access_url
  GET  /files/{name}                                      uploaded inputs and produced outputs
  GET  /api/v1/models/pricing?endpoint_id=…               fal's prices

The model table below is the fake's own, so the fake checks the catalog (vidpipe/providers/
catalog/fal.toml) rather than repeating it; only the prices its pricing endpoint answers are the
catalog's (what a request costs is the ledger's business, not something the fake checks).

What it checks, and answers 4xx for, like fal or stricter: `Authorization: Key <key>` on every
queue, storage-token and pricing call; status, result and cancel under `owner/alias` only (a
model's sub-path there is a 404, recorded in `wrong_paths`); each model's request fields against
the fake's own table below (written from fal's model pages, not from vidpipe's catalog): fal drops
an unknown field silently, so a misnamed end-frame field would give a clip without its end frame —
the fake refuses it with 422 instead; required frames present, as URLs of files uploaded here,
each a real PNG; durations and resolutions the model offers.

Billing is like fal's: a request is billed when it produces its output (successful outputs only:
not 4xx, not 5xx, not a failed or cancelled request, not queue time), whether or not the client
ever fetches it. A request is processed in the background by time, so one whose submit answer was
lost is still made and billed; `finish_all()` completes everything not held (call it before
counting). Faults are injected per kind ("submit", "submit:video", "submit:image", "status",
"result", "upload"): an HTTP status
(429; 500 and 504 from fal, with `x-fal-request-id`; 502/503 "ingress" without it), "lose" (the
request is queued, its answer comes after `hang_seconds`: lost to a client that times out), or
"garbage". `hold_in_queue` / `hold_in_progress` keep clip requests there; `fail_next` makes the next
requests end in an error: a message (a video request, failed by the model: HTTP 422, error_type
`generation_failed`) or a `Failure` (any kind, any status and error type, e.g. fal's own 503
`runner_disconnected`, answered as fal answers a request error: the status COMPLETED with `error`
and `error_type`, the result with that status, `{"detail", "error_type"}` and `X-Fal-Error-Type`);
no failed request is billed. `stalled_uploads` holds the answer to an upload of that file name (the
stop lands before the clip's submit is sent). `received` records each video
submit's frames (content hashes) so tests can check scene k's end frame is scene k+1's start frame.
`billed` holds request ids, so a test can match them against the ledger's request ids.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from artifacts import decode_png, encode_png, mp4_between, png_from_prompt, png_from_reference
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from vidpipe.providers.catalog import load_catalog


@dataclass(frozen=True)
class ModelSchema:
    """What one fal model takes, from its page (fal.ai/models/<id>/llms.txt or /api)."""

    kind: str  # "video" | "image"
    fields: frozenset[str]
    start: str | None = None  # the start frame's (or input image's) field
    end: str | None = None  # the end frame's field; None: the model takes no end frame
    start_is_list: bool = False
    durations: frozenset[str] | None = None
    resolutions: frozenset[str] | None = None
    unit: str = "second"  # fal's word for what a price is per (the catalog words it its own way)


def _f(*names: str) -> frozenset[str]:
    return frozenset(names)


SECONDS = frozenset(str(n) for n in range(3, 16))
VEO_FIELDS = _f(  # Veo 3.1 and Veo 3.1 Fast take the same fields
    "prompt", "first_frame_url", "last_frame_url", "aspect_ratio", "duration", "negative_prompt",
    "resolution", "generate_audio", "seed", "auto_fix",
)  # fmt: skip
MODELS: dict[str, ModelSchema] = {
    "fal-ai/kling-video/v4/image-to-video": ModelSchema(
        "video",
        _f(
            "prompt",
            "start_image_url",
            "middle_image_urls",
            "end_image_url",
            "multi_prompt",
            "duration",
            "negative_prompt",
            "cfg_scale",
        ),
        start="start_image_url",
        end="end_image_url",
        durations=_f("5", "10"),
    ),  # fmt: skip
    "fal-ai/kling-video/v3/pro/image-to-video": ModelSchema(
        "video",
        _f(
            "prompt",
            "start_image_url",
            "end_image_url",
            "duration",
            "generate_audio",
            "negative_prompt",
            "cfg_scale",
        ),
        start="start_image_url",
        end="end_image_url",
        durations=SECONDS,
    ),  # fmt: skip
    "bytedance/seedance-2.0/mini/image-to-video": ModelSchema(
        "video",
        _f(
            "prompt",
            "image_url",
            "end_image_url",
            "duration",
            "resolution",
            "aspect_ratio",
            "generate_audio",
            "seed",
        ),
        start="image_url",
        end="end_image_url",
        durations=frozenset(str(n) for n in range(4, 16)),
        resolutions=_f("480p", "720p"),
    ),  # fmt: skip
    "fal-ai/minimax/hailuo-02/standard/image-to-video": ModelSchema(
        "video",
        _f("prompt", "image_url", "end_image_url", "duration", "resolution", "prompt_optimizer"),
        start="image_url",
        end="end_image_url",
        durations=_f("6", "10"),
        resolutions=_f("512P", "768P"),
    ),  # fmt: skip
    "fal-ai/luma-dream-machine/ray-2/image-to-video": ModelSchema(
        "video",
        _f(
            "prompt", "image_url", "end_image_url", "aspect_ratio", "loop", "resolution", "duration"
        ),
        start="image_url",
        end="end_image_url",
        durations=_f("5s", "9s"),
        resolutions=_f("540p", "720p", "1080p"),
    ),  # fmt: skip
    "fal-ai/wan-flf2v": ModelSchema(
        "video",
        _f(
            "prompt",
            "start_image_url",
            "end_image_url",
            "negative_prompt",
            "num_frames",
            "frames_per_second",
            "seed",
            "resolution",
            "num_inference_steps",
            "guide_scale",
            "shift",
            "enable_safety_checker",
            "enable_prompt_expansion",
            "acceleration",
            "aspect_ratio",
        ),
        start="start_image_url",
        end="end_image_url",
        resolutions=_f("480p", "720p"),
        unit="video",
    ),  # fmt: skip
    "fal-ai/veo3.1/first-last-frame-to-video": ModelSchema(
        "video",
        VEO_FIELDS,
        start="first_frame_url",
        end="last_frame_url",
        durations=_f("4s", "6s", "8s"),
        resolutions=_f("720p", "1080p", "4k"),
    ),  # fmt: skip
    "fal-ai/veo3.1/fast/first-last-frame-to-video": ModelSchema(
        "video",
        VEO_FIELDS,
        start="first_frame_url",
        end="last_frame_url",
        durations=_f("4s", "6s", "8s"),
        resolutions=_f("720p", "1080p", "4k"),
    ),  # fmt: skip
    "kling/v4/flash/image-to-video": ModelSchema(
        "video",
        _f("prompt", "start_image_url", "duration", "aspect_ratio", "generate_audio"),
        start="start_image_url",
        end=None,
        durations=frozenset(str(n) for n in range(3, 21)),
    ),  # fmt: skip
    "fal-ai/flux/schnell": ModelSchema(
        "image",
        _f(
            "prompt",
            "image_size",
            "num_inference_steps",
            "seed",
            "sync_mode",
            "num_images",
            "enable_safety_checker",
            "output_format",
            "acceleration",
        ),
        unit="megapixels",
    ),  # fmt: skip
    "fal-ai/nano-banana/edit": ModelSchema(
        "image",
        _f("prompt", "image_urls", "num_images", "output_format", "aspect_ratio", "sync_mode"),
        start="image_urls",
        start_is_list=True,
        unit="image",
    ),  # fmt: skip
}
ASPECTS = {"16:9": (16, 9), "9:16": (9, 16), "1:1": (1, 1)}


@dataclass
class Recorded:
    kind: str
    path: str
    body: Any
    headers: dict[str, str]


@dataclass(frozen=True)
class Failure:
    """How a request ends in an error: fal's own request errors (fal.ai/docs/documentation/
    model-apis/request-errors) are 5xx with an `error_type` such as runner_disconnected."""

    message: str
    status: int = 422
    error_type: str = "generation_failed"
    kind: str = "video"  # which requests it fails: "video" or "image"


@dataclass
class QueuedRequest:
    id: str
    model: str
    body: dict[str, Any]
    submitted: float = field(default_factory=time.monotonic)
    state: str = "IN_QUEUE"  # IN_QUEUE | IN_PROGRESS | COMPLETED | CANCELLED
    error: str | None = None
    error_type: str | None = None
    output: dict[str, Any] | None = None
    fail: Failure | None = None
    polls: int = 0


class FakeFal:
    def __init__(self, workdir: Path, *, key: str = "test-fal-key") -> None:
        self.workdir = workdir
        self.key = key
        self.base_url = ""  # set by the test once the server listens (for URLs in answers)
        self.requests: list[Recorded] = []
        self.queue: dict[str, QueuedRequest] = {}
        self.files: dict[str, bytes] = {}
        self.faults: dict[str, list[Any]] = {}
        self.billed: list[str] = []  # request ids, in the order they produced output
        self.wrong_paths: list[str] = []
        self.received: list[dict[str, Any]] = []  # video submits: model, start/end hashes
        self.refused: list[str] = []  # 422 details
        self.fail_next: list[str | Failure] = []  # requests to fail, in order (str: a video's)
        self.hold_in_queue = threading.Event()
        self.hold_in_progress = threading.Event()
        self.stalled_uploads: set[str] = set()  # file names whose upload answer waits
        self.queue_seconds = 0.05
        self.process_seconds = 0.1
        self.hang_seconds = 2.0
        self.drift: float = 0.0  # added to every pixel of start-frame-only clips' later frames
        self.upload_token = "fake-cdn-token"
        self._lock = threading.Lock()

    # ------------------------------------------------------------ test helpers

    def inject(self, kind: str, *faults: Any) -> None:
        with self._lock:
            self.faults.setdefault(kind, []).extend(faults)

    def count(self, kind: str) -> int:
        return sum(1 for r in self.requests if r.kind == kind)

    def of_kind(self, kind: str) -> list[Recorded]:
        return [r for r in self.requests if r.kind == kind]

    def submissions(self, kind: str | None = None) -> list[QueuedRequest]:
        """Requests the queue accepted, in order (of one schema kind: video or image)."""
        return [q for q in self.queue.values() if kind is None or MODELS[q.model].kind == kind]

    def billed_of(self, kind: str) -> int:
        return sum(1 for rid in self.billed if MODELS[self.queue[rid].model].kind == kind)

    def finish_all(self) -> None:
        """Complete every request that is not held or cancelled (fal keeps working on requests
        nobody polls): after this, `billed` is what fal would charge."""
        for queued in list(self.queue.values()):
            self._advance(queued, force=True)

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/queue/{path:path}", self._queue, methods=["GET", "POST", "PUT"]),
                Route("/rest/storage/auth/token", self._token, methods=["POST"]),
                Route("/cdn/files/upload", self._upload, methods=["POST"]),
                Route("/files/{name}", self._file, methods=["GET"]),
                Route("/api/v1/models/pricing", self._pricing, methods=["GET"]),
            ]
        )

    # ------------------------------------------------------------ plumbing

    def _record(self, kind: str, request: Request, body: Any) -> Any:
        self.requests.append(Recorded(kind, request.url.path, body, dict(request.headers)))
        with self._lock:
            pending = self.faults.get(kind) or []
            return pending.pop(0) if pending else None

    def _authorized(self, request: Request) -> Response | None:
        if request.headers.get("authorization") != f"Key {self.key}":
            return JSONResponse({"detail": "Invalid API key"}, status_code=401)
        return None

    async def _fault(self, fault: Any) -> Response | None:
        if isinstance(fault, int):
            if fault in (502, 503):  # from the ingress: no fal request id
                return Response(f"<html>{fault} Bad Gateway nginx</html>", status_code=fault)
            return JSONResponse(
                {"detail": f"injected {fault}"},
                status_code=fault,
                headers={"x-fal-request-id": str(uuid.uuid4()), "retry-after": "0"},
            )
        if fault == "garbage":
            return Response(b'{"request_id": "abc', media_type="application/json")
        return None

    # ------------------------------------------------------------ queue

    async def _queue(self, request: Request) -> Response:
        path = request.path_params["path"]
        if request.method == "POST":
            return await self._submit(request, path)
        match = re.fullmatch(r"([^/]+)/([^/]+)/requests/([^/]+)(/status|/cancel)?", path)
        if match is None:
            self.wrong_paths.append(path)
            return JSONResponse({"detail": f"Not found: {path}"}, status_code=404)
        owner, alias, request_id, tail = match.groups()
        queued = self.queue.get(request_id)
        if queued is not None and "/".join(queued.model.split("/")[:2]) != f"{owner}/{alias}":
            self.wrong_paths.append(path)
            return JSONResponse({"detail": "Request not found"}, status_code=404)
        if tail == "/status":
            return await self._status(request, queued)
        if tail == "/cancel":
            return await self._cancel(request, queued)
        return await self._result(request, queued)

    async def _submit(self, request: Request, model: str) -> Response:
        raw = await request.body()
        try:
            body = json.loads(raw) if raw else {}
        except json.JSONDecodeError:
            body = None
        fault = self._record("submit", request, body)
        if (denied := self._authorized(request)) is not None:
            return denied
        schema = MODELS.get(model)
        if schema is None:
            return JSONResponse({"detail": f"Application '{model}' not found"}, status_code=404)
        if not isinstance(body, dict):
            return JSONResponse({"detail": "body is not a JSON object"}, status_code=422)
        if fault is None:
            with self._lock:
                pending = self.faults.get(f"submit:{schema.kind}") or []
                fault = pending.pop(0) if pending else None
        if (answer := await self._fault(fault)) is not None:
            return answer
        problems = self._check(schema, body)
        if problems:
            self.refused.extend(problems)
            detail = [{"loc": ["body", p.split(":")[0]], "msg": p, "type": "value_error"}
                      for p in problems]  # fmt: skip
            return JSONResponse({"detail": detail}, status_code=422)
        request_id = str(uuid.uuid4())
        queued = QueuedRequest(request_id, model, body)
        with self._lock:
            queued.fail = self._next_failure(schema.kind)
            self.queue[request_id] = queued
        if schema.kind == "video":
            self.received.append(
                {
                    "request_id": request_id,
                    "model": model,
                    "start": self._hash_of(body.get(schema.start or "")),
                    "end": self._hash_of(body.get(schema.end or "")) if schema.end else None,
                    "prompt": body.get("prompt"),
                }
            )
        if fault == "lose":  # queued (and so made and billed), but the answer comes too late
            await asyncio.sleep(self.hang_seconds)
        app = "/".join(model.split("/")[:2])
        root = f"{self.base_url}/queue/{app}/requests/{request_id}"
        return JSONResponse(
            {
                "request_id": request_id,
                "response_url": root,
                "status_url": f"{root}/status",
                "cancel_url": f"{root}/cancel",
                "queue_position": len(self.queue) - 1,
            },
            headers={"x-fal-request-id": request_id},
        )

    def _next_failure(self, kind: str) -> Failure | None:
        """The first `fail_next` entry for requests of `kind`, taken off the list."""
        for index, entry in enumerate(self.fail_next):
            failure = Failure(entry) if isinstance(entry, str) else entry
            if failure.kind == kind:
                del self.fail_next[index]
                return failure
        return None

    def _check(self, schema: ModelSchema, body: dict[str, Any]) -> list[str]:
        problems = [
            f"{name}: unknown field (fal would drop it silently)"
            for name in sorted(set(body) - schema.fields)
        ]
        if not str(body.get("prompt", "")).strip():
            problems.append("prompt: field required")
        for name in (schema.start, schema.end):
            if name is None:
                continue
            value = body.get(name)
            if schema.start_is_list and name == schema.start:
                value = value[0] if isinstance(value, list) and len(value) == 1 else None
            data = self._file_of(value)
            if data is None:
                problems.append(f"{name}: required, a URL of an uploaded file")
                continue
            try:
                decode_png(data)
            except (ValueError, OSError):
                problems.append(f"{name}: not a PNG image")
        if schema.durations is not None and "duration" in body:
            if str(body["duration"]) not in schema.durations or not isinstance(
                body["duration"], str
            ):
                problems.append(f"duration: {body['duration']!r} is not one of the options")
        if schema.resolutions is not None and "resolution" in body:
            if body["resolution"] not in schema.resolutions:
                problems.append(f"resolution: {body['resolution']!r} is not offered")
        if "aspect_ratio" in body and body["aspect_ratio"] not in (*ASPECTS, "auto"):
            problems.append(f"aspect_ratio: {body['aspect_ratio']!r} is not offered")
        return problems

    def _file_of(self, url: Any) -> bytes | None:
        if not isinstance(url, str) or "/files/" not in url:
            return None
        return self.files.get(url.rsplit("/files/", 1)[1])

    def _hash_of(self, url: Any) -> str | None:
        data = self._file_of(url)
        return hashlib.sha256(data).hexdigest() if data is not None else None

    def _advance(self, queued: QueuedRequest, *, force: bool = False) -> None:
        """Move a request along by time (or to the end, `force`), making its output once."""
        if queued.state in ("COMPLETED", "CANCELLED"):
            return
        age = time.monotonic() - queued.submitted
        held = MODELS[queued.model].kind == "video"  # holds keep clips, not keyframes
        if held and self.hold_in_queue.is_set() and not force:
            return
        if not force and age < self.queue_seconds:
            return
        queued.state = "IN_PROGRESS"
        busy = age < self.queue_seconds + self.process_seconds
        if not force and ((held and self.hold_in_progress.is_set()) or busy):
            return
        self._complete(queued)

    def _complete(self, queued: QueuedRequest) -> None:
        with self._lock:
            if queued.state == "COMPLETED":
                return
            queued.state = "COMPLETED"
        if queued.fail is not None:
            queued.error, queued.error_type = queued.fail.message, queued.fail.error_type
            return  # not billed: fal bills successful outputs only
        schema = MODELS[queued.model]
        queued.output = (
            self._make_video(queued) if schema.kind == "video" else self._make_image(queued)
        )
        self.billed.append(queued.id)

    def _store(self, data: bytes, suffix: str) -> str:
        name = f"{uuid.uuid4().hex}{suffix}"
        self.files[name] = data
        return f"{self.base_url}/files/{name}"

    def _make_video(self, queued: QueuedRequest) -> dict[str, Any]:
        schema, body = MODELS[queued.model], queued.body
        start = self._file_of(body[schema.start or ""]) or b""
        first = decode_png(start)
        width, height = first.size
        if schema.end is not None:
            end = self._file_of(body[schema.end]) or b""
            drift = 0.0
        else:  # no end frame: the clip wanders from its start frame wherever it likes
            end = png_from_reference(start, str(body.get("prompt")), width, height)
            drift = self.drift
        seconds = float(str(body.get("duration", "5")).rstrip("s"))
        path = self.workdir / f"{queued.id}.mp4"
        mp4_between(
            path, start, end, width=width, height=height, seconds=seconds, fps=24,
            audio=bool(body.get("generate_audio")), drift=drift,
        )  # fmt: skip
        url = self._store(path.read_bytes(), ".mp4")
        return {"video": {"url": url, "content_type": "video/mp4", "file_name": path.name}}

    def _make_image(self, queued: QueuedRequest) -> dict[str, Any]:
        schema, body = MODELS[queued.model], queued.body
        prompt = str(body["prompt"])
        if schema.start is not None:
            source = self._file_of(
                body[schema.start][0] if schema.start_is_list else body[schema.start]
            )
            image = decode_png(source or b"")
            png = png_from_reference(source or b"", prompt, *image.size)
        else:
            size = body.get("image_size") or {"width": 1024, "height": 768}
            png = png_from_prompt(prompt, int(size["width"]), int(size["height"]))
        width, height = decode_png(png).size
        return {
            "images": [{"url": self._store(png, ".png"), "width": width, "height": height,
                        "content_type": "image/png"}],
            "seed": 42,
        }  # fmt: skip

    async def _status(self, request: Request, queued: QueuedRequest | None) -> Response:
        fault = self._record("status", request, None)
        if (denied := self._authorized(request)) is not None:
            return denied
        if (answer := await self._fault(fault)) is not None:
            return answer
        if queued is None or queued.state == "CANCELLED":
            return JSONResponse({"detail": "Request not found"}, status_code=404)
        queued.polls += 1
        self._advance(queued)
        body: dict[str, Any] = {"status": queued.state, "request_id": queued.id}
        if queued.state == "IN_QUEUE":
            body["queue_position"] = 0
        if queued.state == "COMPLETED" and queued.error:
            body["error"], body["error_type"] = queued.error, queued.error_type
        return JSONResponse(body, headers={"x-fal-request-id": queued.id})

    async def _result(self, request: Request, queued: QueuedRequest | None) -> Response:
        fault = self._record("result", request, None)
        if (denied := self._authorized(request)) is not None:
            return denied
        if (answer := await self._fault(fault)) is not None:
            return answer
        if queued is None or queued.state == "CANCELLED":
            return JSONResponse({"detail": "Request not found"}, status_code=404)
        if queued.state != "COMPLETED":
            return JSONResponse({"detail": "Request is still in progress"}, status_code=400)
        if queued.fail is not None:
            headers = {"x-fal-request-id": queued.id}
            if queued.fail.status >= 500:  # fal's own request error names its type in a header
                headers["x-fal-error-type"] = queued.fail.error_type
            return JSONResponse(
                {"detail": queued.error, "error_type": queued.error_type},
                status_code=queued.fail.status,
                headers=headers,
            )
        return JSONResponse(queued.output, headers={"x-fal-request-id": queued.id})

    async def _cancel(self, request: Request, queued: QueuedRequest | None) -> Response:
        self._record("cancel", request, None)
        if (denied := self._authorized(request)) is not None:
            return denied
        if queued is None or queued.state == "CANCELLED":
            return JSONResponse({"status": "NOT_FOUND"}, status_code=404)
        self._advance(queued)
        if queued.state == "COMPLETED":
            return JSONResponse({"status": "ALREADY_COMPLETED"}, status_code=400)
        if queued.state == "IN_QUEUE":
            queued.state = "CANCELLED"  # removed from the queue: never made, never billed
        return JSONResponse({"status": "CANCELLATION_REQUESTED"}, status_code=202)

    # ------------------------------------------------------------ storage and pricing

    async def _token(self, request: Request) -> Response:
        fault = self._record("token", request, dict(request.query_params))
        if (denied := self._authorized(request)) is not None:
            return denied
        if (answer := await self._fault(fault)) is not None:
            return answer
        if request.query_params.get("storage_type") != "fal-cdn-v3":
            return JSONResponse({"detail": "unknown storage_type"}, status_code=400)
        return JSONResponse(
            {
                "token": self.upload_token,
                "token_type": "Bearer",
                "base_url": f"{self.base_url}/cdn",
                "expires_at": "2099-01-01T00:00:00+00:00",
            }
        )

    async def _upload(self, request: Request) -> Response:
        data = await request.body()
        fault = self._record("upload", request, len(data))
        if request.headers.get("authorization") != f"Bearer {self.upload_token}":
            return JSONResponse({"detail": "bad upload token"}, status_code=401)
        if (answer := await self._fault(fault)) is not None:
            return answer
        name = request.headers.get("x-fal-file-name", "")
        deadline = time.monotonic() + 60
        while name in self.stalled_uploads and time.monotonic() < deadline:
            await asyncio.sleep(0.02)  # the answer waits until the test lets it go
        suffix = ".png" if request.headers.get("content-type") == "image/png" else ".bin"
        return JSONResponse({"access_url": self._store(data, suffix)})

    async def _file(self, request: Request) -> Response:
        name = request.path_params["name"]
        self._record("download", request, name)
        data = self.files.get(name)
        if data is None:
            return Response(status_code=404)
        kind = "video/mp4" if name.endswith(".mp4") else "image/png"
        return Response(data, media_type=kind)

    async def _pricing(self, request: Request) -> Response:
        self._record("pricing", request, request.query_params.getlist("endpoint_id"))
        if (denied := self._authorized(request)) is not None:
            return denied
        catalog = load_catalog()
        prices = [
            {"endpoint_id": m, "unit_price": catalog.get("fal", m).price, "unit": MODELS[m].unit,
             "currency": "USD"}
            for m in request.query_params.getlist("endpoint_id") if m in MODELS
        ]  # fmt: skip
        return JSONResponse({"prices": prices, "next_cursor": None, "has_more": False})


def png_like(width: int, height: int, colour: tuple[int, int, int]) -> bytes:
    """A flat PNG (for tests that need a frame of a given colour)."""
    from PIL import Image

    return encode_png(Image.new("RGB", (width, height), colour))
