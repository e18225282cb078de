"""A fake Gemini API / Vertex AI server that speaks the REST protocol google-genai uses.

Routes (both `v1beta/models/…` for the Gemini API and `v1beta1/[projects/P/locations/L/]
publishers/google/models/…` for Vertex AI):
  GET  …/models                         list models (doctor)
  POST …/{model}:generateContent        storyboard (JSON schema), image (IMAGE modality), or
                                         a description of an inline image (text answer)
  POST …/{model}:predict                Imagen generate / edit
  POST …/{model}:predictLongRunning     Veo: starts an operation, returns its name
  POST …/{model}:fetchPredictOperation  Veo: the operation's state
  POST /v1[beta1/…]/interactions        Gemini Omni (Interactions API): a background video
                                         interaction from a prompt, a first and a last frame
                                         (Vertex AI: gemini-omni-1.1-flash-preview, global)
  GET  /v1[beta1/…]/interactions/{id}   its state; once completed its steps, the last one the
                                         model's output with the MP4 inline
  POST /token                           OAuth token endpoint for authorized-user credentials

It checks what it receives (schema and JSON mime type sent, image bytes are real PNGs, the last
frame is present, durations / resolutions / audio allowed for the model) and answers 400 like
Google when something is wrong. Faults are injected per request kind: HTTP statuses (429, 500),
"hang" (answer later than the client's time-out), "garbage" (a mangled JSON body),
"malformed" (non-JSON storyboard text), "max_tokens" (a storyboard cut off at the output
limit: finishReason MAX_TOKENS and truncated JSON), "slow_answer" (the request is carried out,
and billed, but answered only after `hang_seconds`: a lost answer when the client times out),
"blocked" (content-safety rejection).

Speech (`generateContent` with responseModalities AUDIO, a `-tts` model): checks the prebuilt
voice and the text, answers 16-bit mono PCM at 24 kHz inline (`audio/L16;codec=pcm;rate=24000`)
with usage metadata, and bills tokens like Gemini: text in at ~4 characters a token, audio out at
25 tokens a second (`billed_tokens`).

Billing is like Google's: every request the fake carries out is billed (`billed(kind)`), whether
or not its answer reaches the client; requests refused with 4xx, 429, 503 or an injected error
are not.
"""

from __future__ import annotations

import asyncio
import base64
import inspect
import io
import json
import re
import threading
import time
import urllib.parse
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from artifacts import mp4_between, png_from_prompt, png_from_reference
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

# The fake's own table of what each Veo model takes (written from Google's model pages).
VEO = {
    "veo-3.1-generate-001": {"durations": {4, 6, 8}, "res": {"720p", "1080p"}, "audio": True},
    "veo-3.1-fast-generate-001": {"durations": {4, 6, 8}, "res": {"720p", "1080p"}, "audio": True},
    "veo-2.0-generate-001": {"durations": {5, 6, 7, 8}, "res": set(), "audio": False},
}
# What Google serves today (2026-12), as `models.list` names it; requests for other ids are
# answered 404 NOT_FOUND like Google's. LEGACY ids were shut down at Google; the fake still
# serves them so that the provider's Imagen and Veo 2 code paths stay tested.
CURRENT = {
    "gemini-3.8-flash", "gemini-3.7-flash", "gemini-3.5-flash", "gemini-3.5-flash-lite",
    "gemini-3.1-flash-lite", "gemini-2.5-flash-lite", "gemini-3.1-flash-image",
    "gemini-3-pro-image", "veo-3.1-generate-001", "veo-3.1-fast-generate-001",
    "gemini-omni-1.1-flash", "gemini-3.8-flash-tts", "gemini-3.8-flash-lite-tts",
}  # fmt: skip
LEGACY = {"imagen-4.0-generate-001", "imagen-3.0-capability-001", "veo-2.0-generate-001"}

GEMINI_VOICES = {"Kore", "Puck", "Charon", "Zephyr", "Fenrir", "Leda", "Aoede", "Orus"}
SIZES = {("16:9", "720p"): (1280, 720), ("9:16", "720p"): (720, 1280),
         ("16:9", "1080p"): (1920, 1080), ("9:16", "1080p"): (1080, 1920)}  # fmt: skip


@dataclass
class Recorded:
    kind: str
    path: str
    body: dict[str, Any]
    headers: dict[str, str]
    at: float = field(default_factory=time.monotonic)


@dataclass
class Operation:
    name: str
    model: str
    body: dict[str, Any]
    video: Path | None = None
    rejected: str | None = None
    polls: int = 0
    number: int = 0  # 1-based order of submission
    ready: threading.Event = field(default_factory=threading.Event)


class FakeGoogle:
    def __init__(self, workdir: Path, *, api_key: str = "test-google-key") -> None:
        self.workdir = workdir
        self.api_key = api_key
        self.access_token = "ya29.fake-access-token"
        self.service_account = "vidpipe-test@fake-project.iam.gserviceaccount.com"
        self.served: set[str] = CURRENT | LEGACY  # model ids this fake answers for
        self.requests: list[Recorded] = []
        self.billed_requests: list[Recorded] = []
        self.faults: dict[str, list[Any]] = defaultdict(list)
        self.operations: dict[str, Operation] = {}
        self.polls_before_done = 1
        # a writer that fills every array it may: a name it makes up goes into `references`
        # unless the schema's enum (or maxItems 0) rules it out, as constrained decoding does
        self.stray_reference: str | None = None
        self.hold = threading.Event()  # set: operations stay pending
        self.reject_video_when: str | None = None  # a word in the motion prompt → RAI filtered
        self.hang_seconds = 3.0
        # `--takes K` tests: per Veo submission, in order, how far its frames drift from the
        # keyframes (added to every pixel; fidelity falls as it grows); and the submission
        # number (1-based) from which operations stay pending until this is cleared.
        self.video_drift: list[float] = []
        self.pending_from: int | None = None
        self.billed_tokens = {"text": 0, "audio": 0}
        self.speech_styles: list[str | None] = []  # each spoken part's speech_metadata.style
        self._submitted = 0
        self._lock = threading.Lock()
        self._late = 0  # slow answers still being held back
        self._late_done = threading.Condition(self._lock)

    # ------------------------------------------------------------ test helpers

    def inject(self, kind: str, *faults: Any) -> None:
        """Queue faults for the next requests of `kind` (one fault per request)."""
        with self._lock:
            self.faults[kind].extend(faults)

    def count(self, kind: str) -> int:
        return sum(1 for r in self.requests if r.kind == kind)

    def of_kind(self, kind: str) -> list[Recorded]:
        return [r for r in self.requests if r.kind == kind]

    def wait_for_late_answers(self, timeout: float = 30.0) -> None:
        """Block until every held-back ("slow_answer") answer has been sent (or dropped by its
        client): from then on nothing the fake does can reach the code under test."""
        with self._late_done:
            assert self._late_done.wait_for(lambda: self._late == 0, timeout), "still held back"

    def billed(self, kind: str) -> int:
        """Requests of `kind` carried out (and so billed), answered or not."""
        return sum(1 for r in self.billed_requests if r.kind == kind)

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/token", self._token, methods=["POST"]),
                Route("/{path:path}", self._dispatch, methods=["GET", "POST"]),
            ]
        )

    # ------------------------------------------------------------ plumbing

    async def _token(self, request: Request) -> Response:
        """OAuth 2.0 JWT-bearer grant, as a service account's credentials refresh."""
        form = dict(urllib.parse.parse_qsl((await request.body()).decode()))
        self.requests.append(Recorded("token", "/token", form, dict(request.headers)))
        if form.get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer":
            return JSONResponse({"error": "unsupported_grant_type"}, status_code=400)
        try:
            claims = json.loads(b64decode(form["assertion"].split(".")[1]))
        except (KeyError, IndexError, ValueError):
            return JSONResponse({"error": "invalid_grant"}, status_code=400)
        if claims.get("iss") != self.service_account or not str(claims.get("aud", "")).endswith(
            "/token"
        ):
            return JSONResponse(
                {"error": "invalid_grant", "error_description": "Invalid JWT Signature."},
                status_code=400,
            )
        return JSONResponse(
            {"access_token": self.access_token, "expires_in": 3600, "token_type": "Bearer"}
        )

    async def _dispatch(self, request: Request) -> Response:
        path = request.url.path
        raw = await request.body()
        try:
            body = json.loads(raw) if raw else {}
        except json.JSONDecodeError:
            return _error(400, "INVALID_ARGUMENT", "body is not JSON")
        vertex = path.startswith("/v1beta1/")
        interaction = re.search(r"/interactions(?:/([^/:]+))?$", path)
        if request.method == "GET" and path.rstrip("/").endswith("/models"):
            kind, model = "models.list", ""
        elif interaction is not None:
            kind = "interactions.get" if request.method == "GET" else "interactions.create"
            model = str(body.get("model", "")) if kind == "interactions.create" else ""
        else:
            match = re.search(r"models/([^/:]+):(\w+)$", path)
            if not match:
                return _error(404, "NOT_FOUND", f"no such method: {path}")
            model, method = match.groups()
            kind = method
            if method == "generateContent":
                modalities = body.get("generationConfig", {}).get("responseModalities", [])
                kind = "generateContent:image" if "IMAGE" in modalities else "generateContent:text"
                if "AUDIO" in modalities:
                    kind = "generateContent:speech"
                parts = (body.get("contents") or [{}])[0].get("parts", [])
                if kind == "generateContent:text" and any("inlineData" in p for p in parts):
                    kind = "generateContent:describe"  # a text answer about an image
        recorded = Recorded(kind, path, body, dict(request.headers))
        with self._lock:
            self.requests.append(recorded)
            fault = self.faults[kind].pop(0) if self.faults[kind] else None
        denied = self._check_auth(request, vertex)
        if denied is not None:
            return denied
        if isinstance(fault, int):
            status = {429: "RESOURCE_EXHAUSTED", 500: "INTERNAL", 503: "UNAVAILABLE"}
            return _error(fault, status.get(fault, "UNKNOWN"), f"injected {fault}")
        if fault == "garbage":  # a cut-off or mangled body
            return Response(b'{"name": "operat', media_type="application/json")
        if fault == "hang":
            await asyncio.sleep(self.hang_seconds)
        handler = {
            "models.list": lambda _m, _b, _f: self._list_models(vertex),
            "generateContent:text": self._storyboard,
            "generateContent:image": self._image,
            "generateContent:describe": self._describe,
            "generateContent:speech": self._speech,
            "predict": self._imagen,
            "predictLongRunning": self._submit_video,
            "fetchPredictOperation": self._fetch_operation,
            "interactions.create": self._create_interaction,
            "interactions.get": lambda _m, _b, f: self._get_interaction(path, f),
        }.get(kind)
        if handler is None:
            return _error(404, "NOT_FOUND", f"unsupported method {kind}")
        if kind == "interactions.create" and (vertex or model in OMNI_VERTEX):
            refused = _vertex_omni(path, model, vertex)
            if refused is not None:
                return refused
        elif model and model not in self.served:
            return _error(
                404,
                "NOT_FOUND",
                f"models/{model} is not found for API version v1beta, or is "
                "not supported for this method.",
            )
        if kind in ("predict", "predictLongRunning", "fetchPredictOperation") and not vertex:
            return _error(404, "NOT_FOUND", f"{kind} is not offered on the Gemini API")
        result = handler(model, body, fault)
        if inspect.isawaitable(result):
            result = await result
        free = ("models.list", "fetchPredictOperation", "interactions.get")
        if result.status_code < 400 and kind not in free:
            with self._lock:
                self.billed_requests.append(recorded)
        if fault == "slow_answer":  # done and billed; the answer comes too late
            with self._lock:
                self._late += 1
            try:
                await asyncio.sleep(self.hang_seconds)
            finally:
                with self._late_done:
                    self._late -= 1
                    self._late_done.notify_all()
        return result

    def _check_auth(self, request: Request, vertex: bool) -> Response | None:
        key = request.headers.get("x-goog-api-key")
        bearer = request.headers.get("authorization", "")
        if key is not None:
            if key == self.api_key:
                return None
            if vertex:
                return _error(401, "UNAUTHENTICATED", "API keys are not supported by this API.")
            return JSONResponse(
                {
                    "error": {
                        "code": 400,
                        "message": "API key not valid. Please pass a valid API key.",
                        "status": "INVALID_ARGUMENT",
                        "details": [
                            {
                                "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                                "reason": "API_KEY_INVALID",
                                "domain": "googleapis.com",
                            }
                        ],
                    }
                },
                status_code=400,
            )
        if vertex and bearer == f"Bearer {self.access_token}":
            return None
        return _error(401, "UNAUTHENTICATED", "Request is missing required authentication.")

    # ------------------------------------------------------------ handlers

    def _list_models(self, vertex: bool) -> Response:
        """The ids served; Vertex AI lists Omni under its own id (a preview there)."""
        names = sorted(self.served)
        if vertex and "gemini-omni-1.1-flash" in names:
            names = sorted((set(names) - {"gemini-omni-1.1-flash"}) | set(OMNI_VERTEX))
        return JSONResponse({"models": [{"name": f"models/{n}"} for n in names]})

    def _storyboard(self, model: str, body: dict[str, Any], fault: Any) -> Response:
        config = body.get("generationConfig", {})
        if config.get("responseMimeType") != "application/json":
            return _error(400, "INVALID_ARGUMENT", "storyboards must ask for application/json")
        schema = config.get("responseJsonSchema") or config.get("responseSchema")
        if not schema or set(schema.get("properties", {})) != {"style_guide", "scenes"}:
            return _error(400, "INVALID_ARGUMENT", "no storyboard response schema was sent")
        if not body.get("systemInstruction"):
            return _error(400, "INVALID_ARGUMENT", "no system instruction")
        text = body["contents"][0]["parts"][0]["text"]
        if fault == "blocked":
            return JSONResponse(
                {"promptFeedback": {"blockReason": "SAFETY", "blockReasonMessage": "unsafe"}}
            )
        story = fill_references(
            storyboard_for(text, sound=has_sound_fields(schema)), schema, self.stray_reference
        )
        if isinstance(story, str):
            return _error(400, "INVALID_ARGUMENT", story)
        answer = "{'style_guide': oops" if fault == "malformed" else json.dumps(story)
        finish = "STOP"
        if fault == "max_tokens":  # cut off at the output limit: billed, and not valid JSON
            answer, finish = answer[: len(answer) // 2], "MAX_TOKENS"
        return JSONResponse(
            {
                "candidates": [
                    {
                        "content": {"role": "model", "parts": [{"text": answer}]},
                        "finishReason": finish,
                    }
                ],
                "modelVersion": model,
            }
        )

    def _speech(self, model: str, body: dict[str, Any], fault: Any) -> Response:
        """Gemini TTS: the text read in a prebuilt voice, as PCM (a tone as long as the words)."""
        from fake_openai import tone_pcm

        if not model.endswith("-tts"):
            return _error(400, "INVALID_ARGUMENT", f"{model} does not produce audio")
        config = body.get("generationConfig", {})
        voice: Any = config  # Google's JSON parsers take camelCase and snake_case alike
        for name in ("speechConfig", "voiceConfig", "prebuiltVoiceConfig", "voiceName"):
            voice = field(voice, name) if isinstance(voice, dict) else None
        if voice not in GEMINI_VOICES:
            return _error(400, "INVALID_ARGUMENT", f"unknown voice {voice!r}")
        parts = body["contents"][0]["parts"]
        text = " ".join(p.get("text", "") for p in parts).strip()
        if not text:
            return _error(400, "INVALID_ARGUMENT", "no text to speak")
        # Gemini 3.8 TTS speaks its text verbatim: a direction belongs in speech_metadata.style.
        if re.match(r"(Say|Speak|Read)\b[^:]{0,40}:", text):
            return _error(400, "INVALID_ARGUMENT", "inline direction would be read aloud")
        self.speech_styles.extend(
            field(field(p, "speechMetadata") or {}, "style") for p in parts if isinstance(p, dict)
        )
        seconds = max(0.3, len(text.split()) / 2.5)
        text_tokens, audio_tokens = -(-len(text) // 4), int(seconds * 25)
        with self._lock:
            self.billed_tokens["text"] += text_tokens
            self.billed_tokens["audio"] += audio_tokens
        data = {
            "mimeType": "audio/L16;codec=pcm;rate=24000",
            "data": base64.b64encode(tone_pcm(seconds)).decode(),
        }
        return JSONResponse(
            {
                "candidates": [
                    {
                        "content": {"role": "model", "parts": [{"inlineData": data}]},
                        "finishReason": "STOP",
                    }
                ],
                "usageMetadata": {
                    "promptTokenCount": text_tokens,
                    "candidatesTokenCount": audio_tokens,
                    "totalTokenCount": text_tokens + audio_tokens,
                },
                "modelVersion": model,
            }
        )

    def _describe(self, model: str, body: dict[str, Any], fault: Any) -> Response:
        """A vision answer: names the image's two most common colours (so tests can tell)."""
        parts = body["contents"][0]["parts"]
        image = next(p["inlineData"] for p in parts if "inlineData" in p)
        try:
            colours = dominant_colours(b64decode(image["data"]))
        except ValueError as exc:
            return _error(400, "INVALID_ARGUMENT", f"inline image unreadable: {exc}")
        answer = f"a figure in {' and '.join(colours)}"
        return JSONResponse(
            {
                "candidates": [
                    {
                        "content": {"role": "model", "parts": [{"text": answer}]},
                        "finishReason": "STOP",
                    }
                ],
                "modelVersion": model,
            }
        )

    def _image(self, model: str, body: dict[str, Any], fault: Any) -> Response:
        parts = body["contents"][0]["parts"]
        text = " ".join(p.get("text", "") for p in parts)
        images = [p["inlineData"] for p in parts if "inlineData" in p]
        if fault == "blocked":
            return JSONResponse(
                {"candidates": [{"finishReason": "IMAGE_SAFETY", "finishMessage": "unsafe image"}]}
            )
        aspect = body.get("generationConfig", {}).get("imageConfig", {}).get("aspectRatio", "1:1")
        width, height = _small_size(aspect)
        if images and field(images[0], "mimeType") not in ("image/png", "image/jpeg"):
            return _error(400, "INVALID_ARGUMENT", "inline image without a mime type")
        try:
            if images:
                reference = b64decode(images[0]["data"])
                png = png_from_reference(reference, text, width, height)
            else:
                png = png_from_prompt(text, width, height)
        except ValueError as exc:
            return _error(400, "INVALID_ARGUMENT", f"inline image is not a PNG: {exc}")
        data = {"mimeType": "image/png", "data": base64.b64encode(png).decode()}
        return JSONResponse(
            {"candidates": [{"content": {"role": "model", "parts": [{"inlineData": data}]}}]}
        )

    def _imagen(self, model: str, body: dict[str, Any], fault: Any) -> Response:
        instance = body["instances"][0]
        params = body.get("parameters", {})
        width, height = _small_size(params.get("aspectRatio", "1:1"))
        if fault == "blocked":
            return JSONResponse({"predictions": [{"raiFilteredReason": "blocked by the fake"}]})
        references = instance.get("referenceImages") or []
        try:
            raw = [r for r in references if r.get("referenceType") == "REFERENCE_TYPE_RAW"]
            subjects = [r for r in references if r.get("referenceType") == "REFERENCE_TYPE_SUBJECT"]
            if len(raw) + len(subjects) != len(references) or len(raw) > 1:
                return _error(400, "INVALID_ARGUMENT", "expected raw and subject reference images")
            for subject in subjects:  # Imagen customization: the prompt cites each one as [id]
                b64decode(subject["referenceImage"]["bytesBase64Encoded"])
                if f"[{subject['referenceId']}]" not in instance["prompt"]:
                    return _error(400, "INVALID_ARGUMENT", "subject reference not cited in prompt")
            if raw:
                reference = b64decode(raw[0]["referenceImage"]["bytesBase64Encoded"])
                png = png_from_reference(reference, instance["prompt"], width, height)
            else:
                png = png_from_prompt(instance["prompt"], width, height)
        except (KeyError, ValueError) as exc:
            return _error(400, "INVALID_ARGUMENT", f"bad reference image: {exc}")
        encoded = base64.b64encode(png).decode()
        return JSONResponse(
            {"predictions": [{"bytesBase64Encoded": encoded, "mimeType": "image/png"}]}
        )

    def _submit_video(self, model: str, body: dict[str, Any], fault: Any) -> Response:
        limits = VEO.get(model)
        if limits is None:
            return _error(404, "NOT_FOUND", f"model {model} not found")
        instance, params = body["instances"][0], body.get("parameters", {})
        try:
            start = b64decode(instance["image"]["bytesBase64Encoded"])
            end = b64decode(instance["lastFrame"]["bytesBase64Encoded"])
        except KeyError as exc:
            return _error(400, "INVALID_ARGUMENT", f"missing {exc}: first and last frame needed")
        duration = params.get("durationSeconds")
        resolution = params.get("resolution", "720p")
        aspect = params.get("aspectRatio", "16:9")
        if duration not in limits["durations"]:
            return _error(400, "INVALID_ARGUMENT", f"durationSeconds {duration} not supported")
        if limits["res"] and resolution not in limits["res"]:
            return _error(400, "INVALID_ARGUMENT", f"resolution {resolution} not supported")
        if resolution == "1080p" and duration != 8:
            return _error(400, "INVALID_ARGUMENT", "1080p needs durationSeconds 8")
        if "generateAudio" in params and not limits["audio"]:
            return _error(400, "INVALID_ARGUMENT", "generateAudio is not supported by this model")
        if (aspect, resolution) not in SIZES:
            return _error(400, "INVALID_ARGUMENT", f"aspectRatio {aspect} not supported")
        name = (
            f"projects/fake-project/locations/us-central1/publishers/google/models/{model}"
            f"/operations/{uuid.uuid4()}"
        )
        operation = Operation(name, model, body)
        with self._lock:
            self._submitted += 1
            operation.number = self._submitted
            drift = self.video_drift.pop(0) if self.video_drift else 0.0
        word = self.reject_video_when
        if word and word in instance.get("prompt", ""):
            operation.rejected = "The video violates Google's Responsible AI practices (fake)."
            operation.ready.set()
        else:
            width, height = SIZES[(aspect, resolution)]
            path = self.workdir / f"{name.rsplit('/', 1)[-1]}.mp4"
            operation.video = path

            def render() -> None:
                mp4_between(
                    path, start, end, width=width, height=height, seconds=duration, fps=24,
                    audio=bool(params.get("generateAudio")), drift=drift,
                )  # fmt: skip
                operation.ready.set()

            threading.Thread(target=render, daemon=True).start()
        with self._lock:
            self.operations[name] = operation
        return JSONResponse({"name": name})

    def _create_interaction(self, model: str, body: dict[str, Any], fault: Any) -> Response:
        """Gemini Omni: a video from the prompt between the first and the last frame (the two
        images of the input, in that order, with task image_to_video), made in the background.
        Field names and values are checked against the Interactions API (google-genai's
        CreateModelInteraction and its parts): an unknown name or value is refused with 400
        INVALID_ARGUMENT, worded as Google words it."""
        limits = OMNI.get(model)
        if limits is None:
            return _error(400, "INVALID_ARGUMENT", f"{model} does not generate video")
        refused = _unknown_names(body, INTERACTION_FIELDS, "")
        if refused:
            return refused
        if body.get("background") is not True:
            return _error(400, "INVALID_ARGUMENT", "video interactions must run in background")
        parts, refused = _input_parts(body.get("input"))
        if refused:
            return refused
        images = [p for p in parts if p["type"] == "image"]
        texts = [p.get("text", "") for p in parts if p["type"] == "text"]
        if len(images) != 2 or not texts:
            return _error(400, "INVALID_ARGUMENT", "expected a prompt, a first and a last frame")
        if any("data" not in p or p.get("mime_type") != "image/png" for p in images):
            return _error(400, "INVALID_ARGUMENT", "image parts need inline PNG data")
        try:
            start, end = (b64decode(p["data"]) for p in images)
        except ValueError as exc:
            return _error(400, "INVALID_ARGUMENT", f"bad image data: {exc}")
        config = body.get("generation_config") or {}
        refused = _unknown_names(config, GENERATION_CONFIG_FIELDS, "generation_config")
        refused = refused or _unknown_names(
            config.get("video_config") or {}, {"task"}, "generation_config.video_config"
        )
        if refused:
            return refused
        task = (config.get("video_config") or {}).get("task")
        if task is not None and task not in VIDEO_TASKS:
            return _bad_value("generation_config.video_config.task", task)
        if task not in (None, "image_to_video"):
            return _error(400, "INVALID_ARGUMENT", f"task {task} cannot take two frames")
        video = body.get("response_format")
        if not isinstance(video, dict) or video.get("type") != "video":
            return _error(400, "INVALID_ARGUMENT", "response_format must be a video format")
        refused = _unknown_names(video, VIDEO_FORMAT_FIELDS, "response_format")
        if refused:
            return refused
        for name, allowed in VIDEO_FORMAT_VALUES.items():
            if name in video and video[name] not in allowed:
                return _bad_value(f"response_format.{name}", video[name])
        duration = str(video.get("duration", "8s"))
        if not re.fullmatch(r"\d+(\.\d+)?s", duration):  # google.protobuf.Duration in JSON
            return _bad_value("response_format.duration", duration)
        seconds = int(float(duration.removesuffix("s")))
        resolution = video.get("resolution", "720p")
        aspect = video.get("aspect_ratio", "16:9")
        if seconds not in limits["durations"]:
            return _error(400, "INVALID_ARGUMENT", f"duration {seconds}s not supported")
        if resolution not in limits["res"]:
            return _error(400, "INVALID_ARGUMENT", f"{resolution} {aspect} not supported")
        name = f"omni-{uuid.uuid4().hex[:16]}"
        operation = Operation(name, model, body)
        with self._lock:
            self._submitted += 1
            operation.number = self._submitted
        short = {"360p": 360, "720p": 720, "1080p": 1080}[resolution]
        long = short * 16 // 9 // 2 * 2
        width, height = (long, short) if aspect == "16:9" else (short, long)
        width, height = min(width, 640), min(height, 640)  # small files, the same aspect
        if aspect == "16:9":
            height = width * 9 // 16 // 2 * 2
        else:
            width = height * 9 // 16 // 2 * 2
        path = self.workdir / f"{name}.mp4"
        operation.video = path

        def render() -> None:
            mp4_between(
                path, start, end, width=width, height=height, seconds=seconds, fps=24, audio=True
            )
            operation.ready.set()

        threading.Thread(target=render, daemon=True).start()
        with self._lock:
            self.operations[name] = operation
        return JSONResponse({"id": name, "status": "in_progress", "model": model, **_stamps()})

    async def _get_interaction(self, path: str, fault: Any) -> Response:
        """The interaction as the REST API answers it: no `output_video` field (google-genai
        fills that from the steps); once done, its steps: the user's input, then the model's
        output with the video inline. A fault names a final state other than completed."""
        name = path.rsplit("/", 1)[-1]
        operation = self.operations.get(name)
        if operation is None:
            return _error(404, "NOT_FOUND", f"interaction {name} not found")
        head = {"id": name, "model": operation.model, **_stamps()}
        if isinstance(fault, str) and fault.startswith("status:"):
            return JSONResponse({**head, "status": fault.removeprefix("status:")})
        operation.polls += 1
        held = self.pending_from is not None and operation.number >= self.pending_from
        if self.hold.is_set() or held or operation.polls < self.polls_before_done:
            status = "queued" if operation.polls == 1 else "in_progress"
            return JSONResponse({**head, "status": status})
        await asyncio.to_thread(operation.ready.wait, 30)
        assert operation.video is not None
        video = base64.b64encode(operation.video.read_bytes()).decode()
        parts, _ = _input_parts(operation.body.get("input"))
        steps = [
            {"type": "user_input", "content": parts},
            {
                "type": "model_output",
                "content": [{"type": "video", "data": video, "mime_type": "video/mp4"}],
            },
        ]
        return JSONResponse({**head, "status": "completed", "steps": steps})

    async def _fetch_operation(self, model: str, body: dict[str, Any], fault: Any) -> Response:
        name = body.get("operationName", "")
        operation = self.operations.get(name)
        if operation is None:
            return _error(404, "NOT_FOUND", f"operation {name} not found")
        operation.polls += 1
        held = self.pending_from is not None and operation.number >= self.pending_from
        if self.hold.is_set() or held or operation.polls < self.polls_before_done:
            return JSONResponse({"name": name, "done": False})
        await asyncio.to_thread(operation.ready.wait, 30)
        if operation.rejected:
            response = {
                "@type": "type.googleapis.com/cloud.ai.large_models.vision.GenerateVideoResponse",
                "raiMediaFilteredCount": 1,
                "raiMediaFilteredReasons": [operation.rejected],
            }
            return JSONResponse({"name": name, "done": True, "response": response})
        assert operation.video is not None
        video = base64.b64encode(operation.video.read_bytes()).decode()
        response = {
            "@type": "type.googleapis.com/cloud.ai.large_models.vision.GenerateVideoResponse",
            "raiMediaFilteredCount": 0,
            "videos": [{"bytesBase64Encoded": video, "mimeType": "video/mp4"}],
        }
        return JSONResponse({"name": name, "done": True, "response": response})


OMNI_LIMITS = {"durations": range(3, 11), "res": {"360p", "720p", "1080p"}}
# The Gemini API's id, and Vertex AI's (a preview there, served in region global only).
OMNI = {"gemini-omni-1.1-flash": OMNI_LIMITS, "gemini-omni-1.1-flash-preview": OMNI_LIMITS}
OMNI_VERTEX = {"gemini-omni-1.1-flash-preview": "global"}

# What an interactions.create body may hold (google-genai 3.6.1, _gaos/types/interactions).
INTERACTION_FIELDS = {
    "model", "background", "cached_content", "continuation_token", "environment",
    "generation_config", "input", "labels", "previous_interaction_id", "response_format",
    "response_mime_type", "response_modalities", "safety_settings", "service_tier", "store",
    "stream", "system_instruction", "tools", "webhook_config",
}  # fmt: skip
GENERATION_CONFIG_FIELDS = {
    "image_config", "max_output_tokens", "seed", "speech_config", "stop_sequences",
    "temperature", "thinking_level", "thinking_summaries", "tool_choice", "top_p",
    "transcription_config", "video_config",
}  # fmt: skip
VIDEO_TASKS = {"text_to_video", "image_to_video", "reference_to_video", "edit", "extend", "upscale"}
VIDEO_FORMAT_FIELDS = {"type", "aspect_ratio", "delivery", "duration", "gcs_uri", "resolution"}
VIDEO_FORMAT_VALUES = {
    "aspect_ratio": {"16:9", "9:16"},
    "delivery": {"inline"},  # "uri" exists too; vidpipe never asks for it, the fake cannot serve it
    "resolution": {"360p", "720p", "1080p", "4k"},
}
PART_FIELDS = {
    "text": {"type", "text", "annotations"},
    "image": {"type", "data", "uri", "mime_type", "resolution"},
}


def _unknown_names(message: dict[str, Any], allowed: set[str], where: str) -> Response | None:
    """400 for the first field the API does not define, as Google's JSON parser words it."""
    for name in message:
        if name not in allowed:
            at = f" at '{where}'" if where else ""
            return _error(
                400,
                "INVALID_ARGUMENT",
                f'Invalid JSON payload received. Unknown name "{name}"{at}: Cannot find field.',
            )
    return None


def _bad_value(where: str, value: Any) -> Response:
    return _error(400, "INVALID_ARGUMENT", f"Invalid value at '{where}', \"{value}\"")


def _input_parts(turns: Any) -> tuple[list[dict[str, Any]], Response | None]:
    """The content parts of an interaction's input: a list of parts, or of steps holding them
    (google-genai sends one {"type": "user_input", "content": [parts]} step)."""
    if isinstance(turns, str):  # a prompt alone (text to video)
        return [{"type": "text", "text": turns}], None
    if not isinstance(turns, list):
        return [], _error(400, "INVALID_ARGUMENT", "input must be text, content parts or steps")
    parts: list[dict[str, Any]] = []
    for i, turn in enumerate(turns):
        if turn.get("type") == "user_input":
            refused = _unknown_names(turn, {"type", "content"}, f"input[{i}]")
            if refused:
                return [], refused
            parts += turn.get("content") or []
        else:
            parts.append(turn)
    for i, part in enumerate(parts):
        allowed = PART_FIELDS.get(str(part.get("type")))
        if allowed is None:
            return [], _bad_value(f"input.content[{i}].type", part.get("type"))
        refused = _unknown_names(part, allowed, f"input.content[{i}]")
        if refused:
            return [], refused
    return parts, None


def _stamps() -> dict[str, str]:
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    return {"created": now, "updated": now}


def field(message: dict[str, Any], name: str) -> Any:
    """A JSON field by its camelCase or snake_case name (Google's JSON parsers take both)."""
    snake = re.sub(r"([A-Z])", lambda m: "_" + m.group(1).lower(), name)
    return message.get(name, message.get(snake))


def b64decode(text: str) -> bytes:
    """Standard or URL-safe base64 (google-genai sends the URL-safe alphabet)."""
    text = text.replace("-", "+").replace("_", "/")
    return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)


def _vertex_omni(path: str, model: str, vertex: bool) -> Response | None:
    """404 like Google's for an Omni id the mode does not serve, or a region that lacks it."""
    region = re.search(r"/locations/([^/]+)/", path)
    if not vertex:  # the Vertex AI id sent to the Gemini API
        return _error(404, "NOT_FOUND", f"models/{model} is not found for API version v1beta")
    if model not in OMNI_VERTEX or (region and region.group(1) != OMNI_VERTEX[model]):
        where = region.group(1) if region else "global"
        return _error(
            404,
            "NOT_FOUND",
            f"Publisher Model `publishers/google/models/{model}` was not found in {where} or "
            "your project does not have access to it.",
        )
    return None


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse(
        {"error": {"code": status, "message": message, "status": code}}, status_code=status
    )


def _small_size(aspect: str) -> tuple[int, int]:
    w, h = (int(x) for x in aspect.split(":"))
    scale = 192 / min(w, h)
    return int(w * scale) // 2 * 2, int(h * scale) // 2 * 2


def dominant_colours(data: bytes) -> list[str]:
    """The two most common of a few named colours in an image (ignoring white)."""
    from PIL import Image, UnidentifiedImageError

    names = {"red": (220, 30, 20), "blue": (30, 60, 200), "green": (30, 160, 60),
             "black": (10, 10, 10), "skin": (240, 200, 170), "yellow": (230, 200, 30)}  # fmt: skip
    try:
        with Image.open(io.BytesIO(data)) as image:
            small = image.convert("RGB").resize((32, 32))
            pixels = [small.getpixel((x, y)) for y in range(32) for x in range(32)]
    except (UnidentifiedImageError, OSError) as exc:
        raise ValueError(str(exc)) from None
    counts: dict[str, int] = {}
    for pixel in pixels:
        if min(pixel) > 235:
            continue
        nearest = min(names, key=lambda n: _distance(pixel, names[n]))
        counts[nearest] = counts.get(nearest, 0) + 1
    return sorted(counts, key=lambda n: -counts[n])[:2] or ["white"]


def _distance(a: tuple[int, ...], b: tuple[int, ...]) -> int:
    return sum((x - y) ** 2 for x, y in zip(a, b, strict=True))


def fill_references(
    story: dict[str, Any], schema: dict[str, Any] | None, stray: str | None
) -> dict[str, Any] | str:
    """What a constrained decoder does with a scene's `references`: only enum names, none under
    `maxItems: 0`; an unconstrained array of strings may get a made-up `stray` name. A schema
    whose enum is not the listed references is an error (a string answer)."""
    if not schema:
        if stray:
            for scene in story["scenes"]:
                scene["references"] = [*scene["references"], stray]
        return story
    field = schema["properties"]["scenes"]["items"]["properties"]["references"]
    allowed = field.get("items", {}).get("enum")
    listed = {name for scene in story["scenes"] for name in scene["references"]}
    if allowed is not None and not listed <= set(allowed):
        return f"references enum {allowed} lacks listed references {sorted(listed)}"
    for scene in story["scenes"]:
        if field.get("maxItems") == 0:
            scene["references"] = []
        elif stray and (allowed is None or stray in allowed):
            scene["references"] = [*scene["references"], stray]
    return story


def storyboard_for(user_text: str, sound: bool = False) -> dict[str, Any]:
    """A valid storyboard for the request text the provider sent (scene count honoured). Each
    listed reference image appears in the first scene only. With `sound` (the schema sent has
    the sound fields) every scene has a narration line and a sound, and the first scene a line
    of dialogue spoken by its first reference (or "Ada")."""
    references = re.findall(r"^- ([^:\n]+): ", user_text.split("Reference images", 1)[-1], re.M)
    if "Reference images" not in user_text:
        references = []
    idea = re.search(r"Idea: (.*)", user_text)
    subject = idea.group(1).strip() if idea else "a scene"
    exact = re.search(r"exactly (\d+) scene", user_text)
    count = int(exact.group(1)) if exact else 3
    frames = [f"{subject}, moment {i}" for i in range(count + 1)]
    return {
        "style_guide": {
            "visual_style": "soft cinematic light, 35mm film grain",
            "color_palette": ["#1f3b4d", "#f2a541", "#e4e4e4"],
            "camera_style": "slow dolly moves at eye level",
        },
        "scenes": [
            {
                "scene_description": f"scene {i} of {subject}",
                "start_frame_prompt": frames[i],
                "end_frame_prompt": frames[i + 1],
                "video_motion_prompt": f"scene {i}: the camera drifts forward through {subject}",
                "transition_notes": "hard cut",
                "references": references if i == 0 else [],
                **(_sound_fields(i, references) if sound else {}),
            }
            for i in range(count)
        ],
    }


def _sound_fields(i: int, references: list[str]) -> dict[str, Any]:
    speaker = references[0] if references else "Ada"
    return {
        "narration": f"narration of scene {i}",
        "dialogue": [{"speaker": speaker, "line": f"line {i}"}] if i == 0 else [],
        "sound": f"Ambient noise: wind, scene {i}",
    }


def has_sound_fields(schema: dict[str, Any]) -> bool:
    """The storyboard schema asks for the sound fields of each scene."""
    item = schema.get("properties", {}).get("scenes", {}).get("items", {})
    return {"narration", "dialogue", "sound"} <= set(item.get("properties", {}))
