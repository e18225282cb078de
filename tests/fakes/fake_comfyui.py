"""A fake ComfyUI server: the HTTP + websocket API, with a one-at-a-time execution queue.

  POST /upload/image (multipart)   POST /prompt   GET /history/{id}   GET /queue   POST /queue
  POST /interrupt   GET /view   GET /system_stats   GET /object_info   WS /ws?clientId=

It behaves like ComfyUI where vidpipe depends on it:
- /prompt takes the client's `prompt_id` from the body (else makes one up) and never refuses a
  duplicate id: a second POST with the same id runs the prompt twice, as the real server does.
- Partial validation: each node is checked against the node table that /object_info serves
  (types, required inputs, option lists, model files, uploaded images; plus the sizes and Wan
  lengths the real models insist on). An output node whose inputs fail is dropped; when at least
  one output validates the prompt is queued and the answer is `200` with `node_errors` naming
  the failed nodes and their `dependent_outputs`; when none does, `400`.
- Execution: a worker thread runs prompts in order and really computes the few node types the
  tests use (LoadImage, EmptyImage, ImageBlend, ImageBatch, ImageScale, text/image-to-image
  and Wan FLF2V stand-ins), saving real PNG, H.264 MP4 (SaveVideo), VP9 WebM (SaveWEBM),
  animated WebP and APNG files. Websocket messages go to the client id the prompt was queued
  with: execution_start, progress, executed, execution_success *before* the history entry is
  written (`history_delay` widens that gap), then executing(None). History entries carry
  `create_time` and millisecond timestamps in `status.messages`, as ComfyUI's do.
- History lives in memory: `restart()` loses it, the queue and the running prompt (uploaded
  inputs and output files, on disk, survive).
Faults: per-route statuses, "garbage", ("after", fault) to queue the prompt and then answer
badly (a status, "garbage" or a delay in seconds: a lost answer), execution errors, `hold`
(every prompt stays running) and `hold_videos` (clip prompts do).
"""

from __future__ import annotations

import asyncio
import email.parser
import email.policy
import io
import json
import queue
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import cv2
import numpy as np
from artifacts import decode_png, png_from_prompt, png_from_reference
from fake_google import Recorded
from PIL import Image
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from vidpipe.media.encode import ClipWriter

# The model files the shipped templates load, by ComfyUI models folder.
SHIPPED_MODELS: dict[str, list[str]] = {
    "checkpoints": ["sd_xl_base_1.0.safetensors"],
    "diffusion_models": ["wan2.1_flf2v_720p_14B_fp16.safetensors"],
    "text_encoders": ["umt5_xxl_fp8_e4m3fn_scaled.safetensors"],
    "vae": ["wan_2.1_vae.safetensors"],
    "clip_vision": ["clip_vision_h.safetensors"],
}
LOADERS = {  # (node type, input) → models folder
    ("CheckpointLoaderSimple", "ckpt_name"): "checkpoints",
    ("UNETLoader", "unet_name"): "diffusion_models",
    ("CLIPLoader", "clip_name"): "text_encoders",
    ("VAELoader", "vae_name"): "vae",
    ("CLIPVisionLoader", "clip_name"): "clip_vision",
}
OUTPUT_NODES = {"SaveImage", "SaveVideo", "SaveWEBM", "SaveAnimatedWEBP", "SaveAnimatedPNG"}

_INT = ["INT", {"default": 0}]
_FLOAT = ["FLOAT", {"default": 0.0}]
_STRING = ["STRING", {"default": ""}]


def _combo(*options: str) -> list[Any]:
    return [list(options), {}]


def _v3_combo(*options: str) -> list[Any]:
    return ["COMBO", {"options": list(options)}]


# The node table (a subset of ComfyUI's core nodes, inputs as /object_info shows them); model
# and file lists are filled in per request. Checked against nodes.py / comfy_extras.
NODES: dict[str, dict[str, Any]] = {
    "KSampler": {
        "required": {
            "model": ["MODEL"], "seed": _INT, "steps": _INT, "cfg": _FLOAT,
            "sampler_name": _combo("euler", "euler_ancestral", "dpmpp_2m", "uni_pc"),
            "scheduler": _combo("normal", "karras", "simple", "beta"),
            "positive": ["CONDITIONING"], "negative": ["CONDITIONING"],
            "latent_image": ["LATENT"], "denoise": _FLOAT,
        },
    },
    "CheckpointLoaderSimple": {"required": {"ckpt_name": None}},
    "EmptyLatentImage": {"required": {"width": _INT, "height": _INT, "batch_size": _INT}},
    "CLIPTextEncode": {"required": {"text": _STRING, "clip": ["CLIP"]}},
    "VAEDecode": {"required": {"samples": ["LATENT"], "vae": ["VAE"]}},
    "VAEEncode": {"required": {"pixels": ["IMAGE"], "vae": ["VAE"]}},
    "SaveImage": {"required": {"images": ["IMAGE"], "filename_prefix": _STRING}},
    "PreviewImage": {"required": {"images": ["IMAGE"]}},
    "LoadImage": {"required": {"image": None}},
    "ImageScale": {
        "required": {
            "image": ["IMAGE"],
            "upscale_method": _combo("nearest-exact", "bilinear", "area", "bicubic", "lanczos"),
            "width": _INT, "height": _INT, "crop": _combo("disabled", "center"),
        },
    },
    "EmptyImage": {
        "required": {"width": _INT, "height": _INT, "batch_size": _INT, "color": _INT},
    },
    "ImageBlend": {
        "required": {
            "image1": ["IMAGE"], "image2": ["IMAGE"], "blend_factor": _FLOAT,
            "blend_mode": _combo("normal", "multiply", "screen", "overlay", "soft_light",
                                 "difference"),
        },
    },
    "ImageBatch": {"required": {"image1": ["IMAGE"], "image2": ["IMAGE"]}},
    "RepeatImageBatch": {"required": {"image": ["IMAGE"], "amount": _INT}},
    "PrimitiveStringMultiline": {"required": {"value": _STRING}},
    "UNETLoader": {
        "required": {
            "unet_name": None,
            "weight_dtype": _combo("default", "fp8_e4m3fn", "fp8_e4m3fn_fast", "fp8_e5m2"),
        },
    },
    "CLIPLoader": {
        "required": {
            "clip_name": None,
            "type": _combo("stable_diffusion", "stable_cascade", "sd3", "wan", "hidream"),
        },
        "optional": {"device": _combo("default", "cpu")},
    },
    "VAELoader": {"required": {"vae_name": None}},
    "CLIPVisionLoader": {"required": {"clip_name": None}},
    "CLIPVisionEncode": {
        "required": {"clip_vision": ["CLIP_VISION"], "image": ["IMAGE"],
                     "crop": _combo("center", "none")},
    },
    "ModelSamplingSD3": {"required": {"model": ["MODEL"], "shift": _FLOAT}},
    "WanFirstLastFrameToVideo": {
        "required": {
            "positive": ["CONDITIONING"], "negative": ["CONDITIONING"], "vae": ["VAE"],
            "width": _INT, "height": _INT, "length": _INT, "batch_size": _INT,
        },
        "optional": {
            "clip_vision_start_image": ["CLIP_VISION_OUTPUT"],
            "clip_vision_end_image": ["CLIP_VISION_OUTPUT"],
            "start_image": ["IMAGE"], "end_image": ["IMAGE"],
        },
    },
    "CreateVideo": {
        "required": {"images": ["IMAGE"], "fps": _FLOAT}, "optional": {"audio": ["AUDIO"]},
    },
    "SaveVideo": {
        "required": {
            "video": ["VIDEO"], "filename_prefix": _STRING,
            "format": _v3_combo("auto", "mp4"), "codec": _v3_combo("auto", "h264"),
        },
    },
    "SaveWEBM": {
        "required": {
            "images": ["IMAGE"], "filename_prefix": _STRING, "codec": _v3_combo("vp9", "av1"),
            "fps": _FLOAT, "crf": _FLOAT,
        },
    },
    "SaveAnimatedWEBP": {
        "required": {
            "images": ["IMAGE"], "filename_prefix": _STRING, "fps": _FLOAT,
            "lossless": ["BOOLEAN", {"default": True}], "quality": _INT,
            "method": _combo("default", "fastest", "slowest"),
        },
    },
    "SaveAnimatedPNG": {
        "required": {
            "images": ["IMAGE"], "filename_prefix": _STRING, "fps": _FLOAT,
            "compress_level": _INT,
        },
    },
}  # fmt: skip

Frames = list[np.ndarray]  # an IMAGE batch: RGB uint8 arrays (entries may be shared)


class FakeComfyUI:
    def __init__(
        self,
        workdir: Path,
        *,
        api_key: str | None = None,
        models: dict[str, list[str]] | None = None,
    ) -> None:
        self.workdir = workdir
        self.api_key = api_key
        self.models = {
            k: list(v) for k, v in (SHIPPED_MODELS if models is None else models).items()
        }
        (workdir / "input").mkdir(parents=True, exist_ok=True)
        (workdir / "output").mkdir(parents=True, exist_ok=True)
        self.requests: list[Recorded] = []
        self.faults: dict[str, list[Any]] = defaultdict(list)
        self.uploads: dict[str, bytes] = {}
        self.history: dict[str, dict[str, Any]] = {}
        self.prompts: dict[str, dict[str, Any]] = {}  # id → {"graph", "client_id", "number", …}
        self.accepted: list[str] = []  # every prompt id queued, duplicates included
        self.executed: list[str] = []  # every prompt id that finished running, in order
        self.pending: list[str] = []
        self.running: str | None = None
        self.fail_executions: list[str] = []  # messages for the next executions to fail with
        self.video_seconds = 0.0  # how long a video prompt "runs"
        self.history_delay = 0.0  # execution_success is sent this long before /history has it
        self.in_flight_videos: list[int] = []  # clip prompts queued or running, per new prompt
        self.hold = threading.Event()  # set: prompts stay running
        self.hold_videos = threading.Event()  # set: clip prompts stay running
        self.websockets: dict[str, WebSocket] = {}
        self.ws_messages: list[tuple[float, dict[str, Any]]] = []  # (monotonic time, message)
        self.restarts = 0
        self._interrupt: str | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._lock = threading.Lock()
        # notified when a prompt is queued or finishes and when a websocket opens: tests wait
        # on it (wait_until) instead of sleeping
        self._changed = threading.Condition()
        self._jobs: queue.Queue[str] = queue.Queue()
        self._counter = 0
        threading.Thread(target=self._worker, daemon=True).start()

    # ------------------------------------------------------------ test helpers

    def inject(self, kind: str, *faults: Any) -> None:
        with self._lock:
            self.faults[kind].extend(faults)

    def count(self, kind: str) -> int:
        return sum(1 for r in self.requests if r.kind == kind)

    def forget(self, prompt_id: str) -> None:
        """As if the server restarted for this prompt: it is in neither the queue nor the
        history."""
        with self._lock:
            self.history.pop(prompt_id, None)
            if prompt_id in self.pending:
                self.pending.remove(prompt_id)
            self.prompts[prompt_id]["forgotten"] = True

    def restart(self) -> None:
        """ComfyUI restarted: history, queue and the running prompt are gone (in memory);
        websockets are closed. Uploaded inputs and saved outputs (on disk) remain."""
        with self._lock:
            self.restarts += 1
            for prompt_id in [*self.pending, self.running, *self.history]:
                if prompt_id:
                    self.prompts[prompt_id]["forgotten"] = True
            self.history.clear()
            self.pending.clear()
            self.running = None
            sockets = list(self.websockets.values())
            self.websockets.clear()
        for websocket in sockets:
            if self._loop is not None:
                future = asyncio.run_coroutine_threadsafe(websocket.close(code=1012), self._loop)
                try:
                    future.result(timeout=5)
                except Exception:  # noqa: BLE001 - already gone
                    pass

    def wait_until(self, check: Callable[[], bool], timeout: float = 10.0) -> None:
        """Block until `check()` holds; it is re-checked each time a prompt is queued or
        finishes and each time a websocket opens. Call it via asyncio.to_thread from a test."""
        with self._changed:
            if not self._changed.wait_for(check, timeout):
                raise TimeoutError(f"the fake ComfyUI did not reach {check} in {timeout} s")

    def _notify(self) -> None:
        with self._changed:
            self._changed.notify_all()

    def graphs(self) -> list[dict[str, Any]]:
        return [p["graph"] for p in self.prompts.values()]

    def sent_at(self, kind: str, prompt_id: str) -> float:
        """When the websocket message `kind` for `prompt_id` was sent (time.monotonic())."""
        return next(
            at
            for at, message in self.ws_messages
            if message["type"] == kind and message["data"].get("prompt_id") == prompt_id
        )

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/upload/image", self._upload, methods=["POST"]),
                Route("/prompt", self._prompt, methods=["POST"]),
                Route("/history/{prompt_id}", self._history, methods=["GET"]),
                Route("/queue", self._queue, methods=["GET"]),
                Route("/queue", self._queue_edit, methods=["POST"]),
                Route("/interrupt", self._interrupt_route, methods=["POST"]),
                Route("/view", self._view, methods=["GET"]),
                Route("/system_stats", self._system_stats, methods=["GET"]),
                Route("/object_info", self._object_info, methods=["GET"]),
                WebSocketRoute("/ws", self._ws),
            ]
        )

    # ------------------------------------------------------------ plumbing

    def _begin(self, kind: str, request: Request, body: Any = None) -> tuple[Response | None, Any]:
        """Record the request; apply auth and injected faults. A response means: answer that;
        the second value is a fault to apply after the request was processed."""
        self._loop = asyncio.get_running_loop()
        with self._lock:
            self.requests.append(
                Recorded(kind, request.url.path, body or {}, dict(request.headers))
            )
            fault = self.faults[kind].pop(0) if self.faults[kind] else None
        if self.api_key and request.headers.get("authorization") != f"Bearer {self.api_key}":
            return JSONResponse({"error": "unauthorized"}, status_code=401), None
        if isinstance(fault, tuple) and fault[0] == "after":
            return None, fault[1]
        return _fault_response(fault), None

    async def _upload(self, request: Request) -> Response:
        raw = await request.body()
        denied, _ = self._begin("upload", request)
        if denied:
            return denied
        fields = _multipart(request.headers.get("content-type", ""), raw)
        image = fields.get("image")
        if image is None or not image[1]:
            return JSONResponse({"error": "no image field"}, status_code=400)
        filename, data = image
        try:
            decode_png(data)
        except (ValueError, OSError) as exc:
            return JSONResponse({"error": f"not an image: {exc}"}, status_code=400)
        subfolder = fields.get("subfolder", ("", b""))[1].decode()
        name = f"{subfolder}/{filename}" if subfolder else filename
        self.uploads[name] = data
        path = self.workdir / "input" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        return JSONResponse({"name": filename, "subfolder": subfolder, "type": "input"})

    async def _prompt(self, request: Request) -> Response:
        body = json.loads(await request.body())
        denied, after = self._begin("prompt", request, body)
        if denied:
            return denied
        graph = body.get("prompt")
        prompt_id = str(body.get("prompt_id") or uuid.uuid4())
        refused, node_errors, outputs = self._validate(graph)
        if refused is not None:
            return JSONResponse({"error": refused, "node_errors": node_errors}, status_code=400)
        with self._lock:
            self._counter += 1
            self.prompts[prompt_id] = {
                "graph": graph,
                "client_id": body.get("client_id"),
                "number": self._counter,
                "outputs": outputs,
                "create_time": int(time.time() * 1000),
            }
            self.accepted.append(prompt_id)
            self.pending.append(prompt_id)
            if _is_video(graph):
                videos = [
                    p
                    for p in [self.running, *self.pending]
                    if p and _is_video(self.prompts[p]["graph"])
                ]
                self.in_flight_videos.append(len(videos))
        self._jobs.put(prompt_id)
        self._notify()
        if after is not None:  # the prompt is queued, but its answer is lost
            if isinstance(after, (int, float)) and not isinstance(after, bool) and after < 100:
                await asyncio.sleep(after)
            else:
                return _fault_response(after) or Response(status_code=500)
        return JSONResponse(
            {"prompt_id": prompt_id, "number": self._counter, "node_errors": node_errors}
        )

    async def _history(self, request: Request) -> Response:
        prompt_id = request.path_params["prompt_id"]
        denied, _ = self._begin("history", request)
        if denied:
            return denied
        with self._lock:
            entry = self.history.get(prompt_id)
        return JSONResponse({prompt_id: entry} if entry else {})

    async def _queue(self, request: Request) -> Response:
        denied, _ = self._begin("queue", request)
        if denied:
            return denied
        with self._lock:
            running = [self._queue_item(self.running)] if self.running else []
            pending = [self._queue_item(pid) for pid in self.pending]
        return JSONResponse({"queue_running": running, "queue_pending": pending})

    def _queue_item(self, prompt_id: str) -> list[Any]:
        job = self.prompts[prompt_id]
        extra = {"client_id": job["client_id"], "create_time": job["create_time"]}
        return [job["number"], prompt_id, job["graph"], extra, job["outputs"]]

    async def _queue_edit(self, request: Request) -> Response:
        body = json.loads(await request.body() or b"{}")
        denied, _ = self._begin("queue_edit", request, body)
        if denied:
            return denied
        with self._lock:
            if body.get("clear"):
                self.pending.clear()
            for prompt_id in body.get("delete") or []:
                if prompt_id in self.pending:
                    self.pending.remove(prompt_id)
        return Response(status_code=200)

    async def _interrupt_route(self, request: Request) -> Response:
        raw = await request.body()
        body = json.loads(raw) if raw else {}
        denied, _ = self._begin("interrupt", request, body)
        if denied:
            return denied
        with self._lock:
            target = body.get("prompt_id")
            if self.running and (target is None or target == self.running):
                self._interrupt = self.running
        return Response(status_code=200)

    async def _view(self, request: Request) -> Response:
        denied, _ = self._begin("view", request)
        if denied:
            return denied
        params = request.query_params
        folder = self.workdir / params.get("type", "output") / params.get("subfolder", "")
        path = (folder / params["filename"]).resolve()
        if not path.is_relative_to(self.workdir.resolve()) or not path.is_file():
            return JSONResponse({"error": "not found"}, status_code=404)
        return Response(path.read_bytes(), media_type="application/octet-stream")

    async def _system_stats(self, request: Request) -> Response:
        denied, _ = self._begin("system_stats", request)
        if denied:
            return denied
        return JSONResponse(
            {
                "system": {"os": "posix", "comfyui_version": "0.3.60-fake", "python_version": "3"},
                "devices": [{"name": "cuda:0 fake", "type": "cuda", "vram_total": 24 << 30}],
            }
        )

    async def _object_info(self, request: Request) -> Response:
        denied, _ = self._begin("object_info", request)
        if denied:
            return denied
        return JSONResponse(self.object_info())

    def object_info(self) -> dict[str, Any]:
        """The node table as GET /object_info shows it, with this server's files."""
        out = {}
        for kind, inputs in NODES.items():
            required = {
                name: self._choices(kind, name) if spec is None else spec
                for name, spec in inputs["required"].items()
            }
            out[kind] = {
                "input": {"required": required, "optional": dict(inputs.get("optional", {}))},
                "output_node": kind in OUTPUT_NODES,
                "name": kind,
            }
        return out

    def _choices(self, kind: str, name: str) -> list[Any]:
        if kind == "LoadImage":
            return [sorted(n for n in self.uploads if "/" not in n), {"image_upload": True}]
        return [sorted(self.models.get(LOADERS[(kind, name)], [])), {}]

    async def _ws(self, websocket: WebSocket) -> None:
        self._loop = asyncio.get_running_loop()
        if self.api_key and websocket.headers.get("authorization") != f"Bearer {self.api_key}":
            await websocket.close(code=1008)
            return
        client_id = websocket.query_params.get("clientId", "")
        await websocket.accept()
        self.websockets[client_id] = websocket
        await websocket.send_json(
            {"type": "status", "data": {"status": {"exec_info": {"queue_remaining": 0}}}}
        )
        self._notify()
        try:
            while True:
                await websocket.receive_text()
        except WebSocketDisconnect:
            pass
        finally:
            if self.websockets.get(client_id) is websocket:
                del self.websockets[client_id]

    def _send(self, client_id: str | None, message: dict[str, Any]) -> None:
        self.ws_messages.append((time.monotonic(), message))
        websocket = self.websockets.get(client_id or "")
        if websocket is None or self._loop is None:
            return
        future = asyncio.run_coroutine_threadsafe(websocket.send_json(message), self._loop)
        try:
            future.result(timeout=5)
        except Exception:  # noqa: BLE001 - a client that went away is not our problem
            pass

    # ------------------------------------------------------------ validation

    def _validate(self, graph: Any) -> tuple[dict[str, Any] | None, dict[str, Any], list[str]]:
        """(refusal or None, node_errors, outputs to execute), like ComfyUI's validate_prompt."""
        if not isinstance(graph, dict) or not graph:
            return _error("invalid_prompt", "prompt is not an API-format graph"), {}, []
        for node_id, node in graph.items():
            if not isinstance(node, dict) or "class_type" not in node or "inputs" not in node:
                return _error("invalid_prompt", f"node {node_id}: no class_type/inputs"), {}, []
            if node["class_type"] not in NODES:
                message = f"Cannot execute because node {node['class_type']} does not exist."
                return _error("missing_node_type", message), {}, []
        outputs = [n for n, node in graph.items() if node["class_type"] in OUTPUT_NODES]
        if not outputs:
            return _error("prompt_no_outputs", "Prompt has no outputs"), {}, []
        info = self.object_info()
        problems = {n: self._node_problems(graph, n, info) for n in graph}
        node_errors: dict[str, Any] = {}
        good = []
        for output in outputs:
            failed = [n for n in _ancestors(graph, output) if problems[n]]
            for n in failed:
                entry = node_errors.setdefault(
                    n,
                    {
                        "errors": problems[n],
                        "dependent_outputs": [],
                        "class_type": graph[n]["class_type"],
                    },
                )
                entry["dependent_outputs"].append(output)
            if not failed:
                good.append(output)
        if not good:
            refusal = _error("prompt_outputs_failed_validation", "Prompt outputs failed validation")
            return refusal, node_errors, []
        return None, node_errors, good

    def _node_problems(
        self, graph: dict[str, Any], node_id: str, info: dict[str, Any]
    ) -> list[dict[str, Any]]:
        node = graph[node_id]
        kind, inputs = node["class_type"], node["inputs"]
        spec = info[kind]["input"]
        problems = []

        def add(kind_: str, message: str, details: str) -> None:
            problems.append({"type": kind_, "message": message, "details": details})

        for name in spec["required"]:
            if name not in inputs:
                add("required_input_missing", "Required input is missing", name)
        for name, value in inputs.items():
            if _is_link(value):
                if str(value[0]) not in graph:
                    add("bad_linked_input", "Bad linked input", f"{name} → {value[0]}")
                continue
            declared = spec["required"].get(name) or spec["optional"].get(name)
            options = _options(declared)
            if kind == "LoadImage" and name == "image":
                if value not in self.uploads:
                    add("custom_validation_failed", "Invalid image file", f"image: {value}")
            elif options is not None and value not in options:
                add("value_not_in_list", "Value not in list", f"{name}: '{value}' not in {options}")
        if kind in ("EmptyLatentImage", "ImageScale") and (
            inputs.get("width", 8) % 8 or inputs.get("height", 8) % 8
        ):
            add(
                "invalid_size",
                "size must be a multiple of 8",
                f"{inputs['width']}x{inputs['height']}",
            )
        if kind == "WanFirstLastFrameToVideo":
            if inputs["width"] % 16 or inputs["height"] % 16:
                add("invalid_size", "size must be a multiple of 16", "")
            if (inputs["length"] - 1) % 4:
                add("invalid_length", "length must be 4n+1", str(inputs["length"]))
        if kind == "KSampler" and not _positive_text(graph).strip():
            add("unfilled", "the positive prompt is empty (template not filled)", "")
        return problems

    # ------------------------------------------------------------ execution

    def _worker(self) -> None:
        while True:
            prompt_id = self._jobs.get()
            with self._lock:
                if prompt_id not in self.pending:
                    continue  # deleted, or lost in a restart
                self.pending.remove(prompt_id)
                self.running = prompt_id
            self._run(prompt_id)

    def _run(self, prompt_id: str) -> None:
        """Execute one prompt: messages to its client, then (a moment later) its history."""
        with self._lock:
            restarts = self.restarts
        job = self.prompts[prompt_id]
        client = job["client_id"]
        messages: list[list[Any]] = []

        def note(kind: str, data: dict[str, Any], *, keep: bool = True) -> None:
            data = {**data, "prompt_id": prompt_id, "timestamp": int(time.time() * 1000)}
            if keep:
                messages.append([kind, data])
            self._send(client, {"type": kind, "data": data})

        note("execution_start", {})
        note("execution_cached", {"nodes": []})
        held = self.hold_videos if _is_video(job["graph"]) else self.hold
        while (self.hold.is_set() or held.is_set()) and (
            self._interrupt != prompt_id and self.restarts == restarts
        ):
            threading.Event().wait(0.02)
        if _is_video(job["graph"]):
            threading.Event().wait(self.video_seconds)
        for step in (1, 2, 3):
            self._send(
                client,
                {"type": "progress", "data": {"value": step, "max": 3, "prompt_id": prompt_id}},
            )
        outputs: dict[str, Any] = {}
        try:
            if self._interrupt == prompt_id:
                raise InterruptedError
            if self.fail_executions:
                raise RuntimeError(self.fail_executions.pop(0))
            for output in job["outputs"]:
                outputs[output] = self._execute(job["graph"], output)
                note("executed", {"node": output, "display_node": output,
                                  "output": outputs[output]}, keep=False)  # fmt: skip
            note("execution_success", {})
            status = {"status_str": "success", "completed": True, "messages": messages}
        except InterruptedError:
            note("execution_interrupted", {"node_id": "?", "node_type": "?"})
            status = {"status_str": "error", "completed": False, "messages": messages}
        except Exception as exc:  # noqa: BLE001 - becomes an execution_error, as in ComfyUI
            note("execution_error", {"node_type": "KSampler", "exception_message": str(exc)})
            status = {"status_str": "error", "completed": False, "messages": messages}
        if self.history_delay:
            threading.Event().wait(self.history_delay)
        with self._lock:
            if self.running == prompt_id:
                self.running = None
            self._interrupt = None
            if self.restarts == restarts and not job.get("forgotten"):
                self.executed.append(prompt_id)
                extra = {"client_id": client, "create_time": job["create_time"]}
                self.history[prompt_id] = {
                    "prompt": [job["number"], prompt_id, job["graph"], extra, job["outputs"]],
                    "outputs": outputs,
                    "status": status,
                    "meta": {},
                }
        self._send(client, {"type": "executing", "data": {"node": None, "prompt_id": prompt_id}})
        self._notify()

    def _execute(self, graph: dict[str, Any], node_id: str) -> dict[str, Any]:
        """Run one output node: compute its images and save them as that node would."""
        node = graph[node_id]
        kind, inputs = node["class_type"], node["inputs"]
        prefix = inputs["filename_prefix"]
        if kind == "SaveVideo":
            frames, fps = self._video(graph, inputs["video"])
            record = self._save(prefix, ".mp4")
            _write_mp4(self._path(record), frames, fps)
            return {"images": [record], "animated": [True]}
        frames = self._images(graph, inputs["images"])
        if kind == "SaveImage":
            records = []
            for frame in frames:
                record = self._save(prefix, ".png")
                Image.fromarray(frame).save(self._path(record), format="PNG")
                records.append(record)
            return {"images": records}
        fps = float(inputs["fps"])
        if kind == "SaveWEBM":
            record = self._save(prefix, ".webm")
            _write_webm(self._path(record), frames, fps)
        elif kind in ("SaveAnimatedWEBP", "SaveAnimatedPNG"):
            suffix = ".webp" if kind == "SaveAnimatedWEBP" else ".png"
            record = self._save(prefix, suffix)
            pictures = [Image.fromarray(f) for f in frames]
            pictures[0].save(
                self._path(record),
                format="WEBP" if suffix == ".webp" else "PNG",
                save_all=True,
                append_images=pictures[1:],
                duration=int(1000 / fps),
                loop=0,
            )
        else:
            raise RuntimeError(f"cannot run {kind}")
        return {"images": [record], "animated": [True]}

    def _video(self, graph: dict[str, Any], link: list[Any]) -> tuple[Frames, float]:
        node = graph[str(link[0])]
        if node["class_type"] != "CreateVideo":
            raise RuntimeError(f"{node['class_type']} gives no VIDEO")
        return self._images(graph, node["inputs"]["images"]), float(node["inputs"]["fps"])

    def _images(self, graph: dict[str, Any], link: list[Any]) -> Frames:
        """The IMAGE batch a link carries, for the node types the tests use."""
        node = graph[str(link[0])]
        kind, inputs = node["class_type"], node["inputs"]
        if kind == "LoadImage":
            return [np.asarray(decode_png(self.uploads[inputs["image"]]))]
        if kind == "EmptyImage":
            color = int(inputs.get("color", 0))
            rgb = ((color >> 16) & 255, (color >> 8) & 255, color & 255)
            frame = np.empty((inputs["height"], inputs["width"], 3), np.uint8)
            frame[:] = rgb
            return [frame] * int(inputs.get("batch_size", 1))
        if kind == "ImageScale":
            size = (inputs["width"], inputs["height"])
            return [_resize(f, size) for f in self._images(graph, inputs["image"])]
        if kind == "ImageBatch":
            first = self._images(graph, inputs["image1"])
            size = (first[0].shape[1], first[0].shape[0])
            return first + [_resize(f, size) for f in self._images(graph, inputs["image2"])]
        if kind == "RepeatImageBatch":
            return self._images(graph, inputs["image"]) * int(inputs["amount"])
        if kind == "ImageBlend":
            a, b = self._images(graph, inputs["image1"]), self._images(graph, inputs["image2"])
            t = float(inputs["blend_factor"])
            size = (a[0].shape[1], a[0].shape[0])
            return [
                cv2.addWeighted(x, 1 - t, _resize(y, size), t, 0.0)
                for x, y in zip(a, b * len(a), strict=False)
            ]
        if kind == "VAEDecode":
            return self._decode(graph, node)
        raise RuntimeError(f"the fake cannot compute {kind}")

    def _decode(self, graph: dict[str, Any], vae_decode: dict[str, Any]) -> Frames:
        """Stand-ins for sampling: text to image, image to image, Wan first-last-frame."""
        sampler = graph[str(vae_decode["inputs"]["samples"][0])]
        latent = graph[str(sampler["inputs"]["latent_image"][0])]
        text = _positive_text(graph)
        if latent["class_type"] == "EmptyLatentImage":
            w, h = latent["inputs"]["width"], latent["inputs"]["height"]
            return [np.asarray(decode_png(png_from_prompt(text, w, h)))]
        if latent["class_type"] == "VAEEncode":
            source = self._images(graph, latent["inputs"]["pixels"])[0]
            h, w = source.shape[:2]
            reference = io.BytesIO()
            Image.fromarray(source).save(reference, format="PNG")
            return [np.asarray(decode_png(png_from_reference(reference.getvalue(), text, w, h)))]
        if latent["class_type"] == "WanFirstLastFrameToVideo":
            i = latent["inputs"]
            size = (i["width"], i["height"])
            first = _resize(self._images(graph, i["start_image"])[0], size)
            last = _resize(self._images(graph, i["end_image"])[0], size)
            steps = [cv2.addWeighted(first, 1 - t, last, t, 0.0) for t in np.linspace(0, 1, 8)]
            n = int(i["length"])
            return [steps[min(7, k * 8 // max(1, n - 1))] for k in range(n)]
        raise RuntimeError(f"the fake cannot sample from {latent['class_type']}")

    def _save(self, prefix: str, suffix: str) -> dict[str, str]:
        subfolder, _, stem = prefix.rpartition("/")
        (self.workdir / "output" / subfolder).mkdir(parents=True, exist_ok=True)
        with self._lock:
            self._counter += 1
            filename = f"{stem}_{self._counter:05d}_{suffix}"
        return {"filename": filename, "subfolder": subfolder, "type": "output"}

    def _path(self, record: dict[str, str]) -> Path:
        return self.workdir / "output" / record["subfolder"] / record["filename"]


def _fault_response(fault: Any) -> Response | None:
    if isinstance(fault, int):
        return JSONResponse({"error": f"injected {fault}"}, status_code=fault)
    if fault == "garbage":
        return Response(b'{"prompt_id": "abc', media_type="application/json")
    return None


def _error(kind: str, message: str) -> dict[str, Any]:
    return {"type": kind, "message": message, "details": "", "extra_info": {}}


def _is_link(value: Any) -> bool:
    return isinstance(value, list) and len(value) == 2 and isinstance(value[1], int)


def _options(declared: Any) -> list[Any] | None:
    if not isinstance(declared, list) or not declared:
        return None
    if isinstance(declared[0], list):
        return declared[0]
    if declared[0] == "COMBO":
        return declared[1]["options"]
    return None


def _ancestors(graph: dict[str, Any], node_id: str) -> list[str]:
    seen: list[str] = []
    stack = [node_id]
    while stack:
        current = stack.pop()
        if current in seen or current not in graph:
            continue
        seen.append(current)
        stack.extend(str(v[0]) for v in graph[current]["inputs"].values() if _is_link(v))
    return seen


def _is_video(graph: dict[str, Any]) -> bool:
    return any(n.get("class_type") in OUTPUT_NODES - {"SaveImage"} for n in graph.values())


def _resize(frame: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    if (frame.shape[1], frame.shape[0]) == size:
        return frame
    return np.asarray(Image.fromarray(frame).resize(size))


def _write_mp4(path: Path, frames: Frames, fps: float) -> None:
    h, w = frames[0].shape[:2]
    with ClipWriter(path, w - w % 2, h - h % 2, fps=round(fps)) as writer:
        for index, frame in enumerate(frames):
            writer.write_frame(frame[: h - h % 2, : w - w % 2], keyframe=index == len(frames) - 1)


def _write_webm(path: Path, frames: Frames, fps: float) -> None:
    """VP9 in WebM, as SaveWEBM writes it."""
    h, w = frames[0].shape[:2]
    with av.open(str(path), mode="w", format="webm") as container:
        stream = container.add_stream("libvpx-vp9", rate=Fraction(round(fps * 1000), 1000))
        stream.width, stream.height, stream.pix_fmt = w - w % 2, h - h % 2, "yuv420p"
        stream.options = {"crf": "32", "deadline": "realtime", "cpu-used": "8"}
        for frame in frames:
            picture = av.VideoFrame.from_ndarray(
                np.ascontiguousarray(frame[: h - h % 2, : w - w % 2]), format="rgb24"
            )
            for packet in stream.encode(picture):
                container.mux(packet)
        container.mux(stream.encode())


def _positive_text(graph: dict[str, Any]) -> str:
    for node in graph.values():
        if node.get("class_type") == "KSampler":
            source = node["inputs"].get("positive")
            target = graph.get(str(source[0])) if isinstance(source, list) else None
            while target is not None and target["class_type"] != "CLIPTextEncode":
                link = target["inputs"].get("positive")
                target = graph.get(str(link[0])) if isinstance(link, list) else None
            if target is not None:
                return str(target["inputs"].get("text", ""))
    return ""


def _multipart(content_type: str, raw: bytes) -> dict[str, tuple[str, bytes]]:
    """Fields of a multipart/form-data body: name → (filename, bytes)."""
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + raw
    )
    fields: dict[str, tuple[str, bytes]] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        filename = part.get_filename() or ""
        payload = part.get_payload(decode=True) or b""
        if name:
            fields[str(name)] = (filename, payload)
    return fields
