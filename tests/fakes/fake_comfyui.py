"""A fake ComfyUI server: the HTTP + websocket API, with a one-at-a-time execution queue.

  POST /upload/image (multipart)   POST /prompt   GET /history/{id}   GET /queue
  GET /view   GET /system_stats    WS /ws?clientId=

/prompt validates the graph like ComfyUI does (links point at nodes, LoadImage names were
uploaded, prompts filled in, sizes multiples of 8 / 16, Wan lengths 4n+1) and answers 400 with
node_errors otherwise. A worker thread "executes" prompts in order: it writes real PNGs and MP4s
(the MP4 runs from the uploaded start image to the end image) and sends executing / progress /
execution_success messages to the websocket client that queued the prompt. Faults: HTTP statuses
per route, "garbage" (a mangled JSON body), execution errors, `hold` (prompts stay running),
`forget` (a restarted server), `video_seconds` (slow clips).
"""

from __future__ import annotations

import asyncio
import email.parser
import email.policy
import json
import queue
import threading
import uuid
from collections import defaultdict
from pathlib import Path
from typing import Any

from artifacts import decode_png, mp4_between, png_from_prompt, png_from_reference
from fake_google import Recorded
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect


class FakeComfyUI:
    def __init__(self, workdir: Path, *, api_key: str | None = None) -> None:
        self.workdir = workdir
        self.api_key = api_key
        (workdir / "input").mkdir(parents=True, exist_ok=True)
        (workdir / "output").mkdir(parents=True, exist_ok=True)
        self.requests: list[Recorded] = []
        self.faults: dict[str, list[Any]] = defaultdict(list)
        self.uploads: dict[str, bytes] = {}
        self.history: dict[str, dict[str, Any]] = {}
        self.prompts: dict[str, dict[str, Any]] = {}  # id → {"graph", "client_id", "number"}
        self.pending: list[str] = []
        self.running: str | None = None
        self.fail_executions: list[str] = []  # messages for the next executions to fail with
        self.video_seconds = 0.0  # how long a video prompt "runs"
        self.in_flight_videos: list[int] = []  # clip prompts queued or running, per new prompt
        self.hold = threading.Event()
        self.websockets: dict[str, WebSocket] = {}
        self.ws_messages: list[dict[str, Any]] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._lock = threading.Lock()
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
        """As if the server restarted: the prompt is in neither the queue nor the history."""
        with self._lock:
            self.history.pop(prompt_id, None)
            if prompt_id in self.pending:
                self.pending.remove(prompt_id)
            self.prompts[prompt_id]["forgotten"] = True

    def graphs(self) -> list[dict[str, Any]]:
        return [p["graph"] for p in self.prompts.values()]

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/upload/image", self._upload, methods=["POST"]),
                Route("/prompt", self._prompt, methods=["POST"]),
                Route("/history/{prompt_id}", self._history, methods=["GET"]),
                Route("/queue", self._queue, methods=["GET"]),
                Route("/view", self._view, methods=["GET"]),
                Route("/system_stats", self._system_stats, methods=["GET"]),
                WebSocketRoute("/ws", self._ws),
            ]
        )

    # ------------------------------------------------------------ plumbing

    def _begin(self, kind: str, request: Request, body: Any = None) -> Response | None:
        """Record the request; apply auth and injected faults. A response means: answer that."""
        self._loop = asyncio.get_running_loop()
        with self._lock:
            self.requests.append(
                Recorded(kind, request.url.path, body or {}, dict(request.headers))
            )
            fault = self.faults[kind].pop(0) if self.faults[kind] else None
        if self.api_key and request.headers.get("authorization") != f"Bearer {self.api_key}":
            return JSONResponse({"error": "unauthorized"}, status_code=401)
        if isinstance(fault, int):
            return JSONResponse({"error": f"injected {fault}"}, status_code=fault)
        if fault == "garbage":
            return Response(b'{"prompt_id": "abc', media_type="application/json")
        return None

    async def _upload(self, request: Request) -> Response:
        raw = await request.body()
        denied = self._begin("upload", request)
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
        return JSONResponse({"name": filename, "subfolder": subfolder, "type": "input"})

    async def _prompt(self, request: Request) -> Response:
        body = json.loads(await request.body())
        denied = self._begin("prompt", request, body)
        if denied:
            return denied
        graph = body.get("prompt")
        problems = self._validate(graph)
        if problems:
            return JSONResponse(
                {
                    "error": {
                        "type": "prompt_outputs_failed_validation",
                        "message": "Prompt outputs failed validation",
                        "details": "; ".join(problems),
                        "extra_info": {},
                    },
                    "node_errors": {"validation": problems},
                },
                status_code=400,
            )
        prompt_id = str(uuid.uuid4())
        with self._lock:
            self._counter += 1
            self.prompts[prompt_id] = {
                "graph": graph,
                "client_id": body.get("client_id"),
                "number": self._counter,
            }
            self.pending.append(prompt_id)
            if _is_video(graph):
                videos = [
                    p
                    for p in [self.running, *self.pending]
                    if p and _is_video(self.prompts[p]["graph"])
                ]
                self.in_flight_videos.append(len(videos))
        self._jobs.put(prompt_id)
        return JSONResponse({"prompt_id": prompt_id, "number": self._counter, "node_errors": {}})

    async def _history(self, request: Request) -> Response:
        prompt_id = request.path_params["prompt_id"]
        denied = self._begin("history", request)
        if denied:
            return denied
        with self._lock:
            entry = self.history.get(prompt_id)
        return JSONResponse({prompt_id: entry} if entry else {})

    async def _queue(self, request: Request) -> Response:
        denied = self._begin("queue", request)
        if denied:
            return denied
        with self._lock:
            running = [[0, self.running, {}, {}, []]] if self.running else []
            pending = [[i + 1, pid, {}, {}, []] for i, pid in enumerate(self.pending)]
        return JSONResponse({"queue_running": running, "queue_pending": pending})

    async def _view(self, request: Request) -> Response:
        denied = self._begin("view", request)
        if denied:
            return denied
        params = request.query_params
        folder = self.workdir / params.get("type", "output") / params.get("subfolder", "")
        path = (folder / params["filename"]).resolve()
        if not path.is_relative_to(self.workdir.resolve()) or not path.is_file():
            return JSONResponse({"error": "not found"}, status_code=404)
        media = "video/mp4" if path.suffix == ".mp4" else "image/png"
        return Response(path.read_bytes(), media_type=media)

    async def _system_stats(self, request: Request) -> Response:
        denied = self._begin("system_stats", request)
        if denied:
            return denied
        return JSONResponse(
            {
                "system": {"os": "posix", "comfyui_version": "0.3.60-fake", "python_version": "3"},
                "devices": [{"name": "cuda:0 fake", "type": "cuda", "vram_total": 24 << 30}],
            }
        )

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
        try:
            while True:
                await websocket.receive_text()
        except WebSocketDisconnect:
            pass
        finally:
            if self.websockets.get(client_id) is websocket:
                del self.websockets[client_id]

    def _send(self, client_id: str | None, message: dict[str, Any]) -> None:
        self.ws_messages.append(message)
        websocket = self.websockets.get(client_id or "")
        if websocket is None or self._loop is None:
            return
        future = asyncio.run_coroutine_threadsafe(websocket.send_json(message), self._loop)
        try:
            future.result(timeout=5)
        except Exception:  # noqa: BLE001 - a client that went away is not our problem
            pass

    # ------------------------------------------------------------ validation

    def _validate(self, graph: Any) -> list[str]:
        if not isinstance(graph, dict) or not graph:
            return ["prompt is not an API-format graph"]
        problems: list[str] = []
        for node_id, node in graph.items():
            if not isinstance(node, dict) or "class_type" not in node or "inputs" not in node:
                problems.append(f"node {node_id}: no class_type/inputs")
                continue
            for name, value in node["inputs"].items():
                if isinstance(value, list) and len(value) == 2 and isinstance(value[1], int):
                    if str(value[0]) not in graph:
                        problems.append(f"node {node_id}.{name} links to missing node {value[0]}")
            kind, inputs = node["class_type"], node["inputs"]
            if kind == "LoadImage" and inputs.get("image") not in self.uploads:
                problems.append(f"node {node_id}: image {inputs.get('image')!r} was not uploaded")
            if kind in ("EmptyLatentImage", "ImageScale") and (
                inputs["width"] % 8 or inputs["height"] % 8
            ):
                problems.append(f"node {node_id}: size must be a multiple of 8")
            if kind == "WanFirstLastFrameToVideo":
                if inputs["width"] % 16 or inputs["height"] % 16:
                    problems.append(f"node {node_id}: size must be a multiple of 16")
                if (inputs["length"] - 1) % 4:
                    problems.append(f"node {node_id}: length must be 4n+1")
        positive = _positive_text(graph)
        if not positive.strip():
            problems.append("the positive prompt is empty (template not filled)")
        if not any(n.get("class_type") in ("SaveImage", "SaveVideo") for n in graph.values()):
            problems.append("no output node")
        return problems

    # ------------------------------------------------------------ execution

    def _worker(self) -> None:
        while True:
            prompt_id = self._jobs.get()
            with self._lock:
                if prompt_id not in self.pending:
                    continue  # forgotten
                self.pending.remove(prompt_id)
                self.running = prompt_id
            job = self.prompts[prompt_id]
            client = job["client_id"]
            self._send(client, {"type": "execution_start", "data": {"prompt_id": prompt_id}})
            while self.hold.is_set():
                threading.Event().wait(0.02)
            if _is_video(job["graph"]):
                threading.Event().wait(self.video_seconds)
            for step in (1, 2, 3):
                self._send(
                    client,
                    {"type": "progress", "data": {"value": step, "max": 3, "prompt_id": prompt_id}},
                )
            try:
                if self.fail_executions:
                    raise RuntimeError(self.fail_executions.pop(0))
                outputs = self._execute(job["graph"])
                status = {"status_str": "success", "completed": True, "messages": []}
            except Exception as exc:  # noqa: BLE001 - becomes an execution_error, as in ComfyUI
                outputs = {}
                error = {
                    "prompt_id": prompt_id,
                    "node_type": "KSampler",
                    "exception_message": str(exc),
                }
                status = {
                    "status_str": "error",
                    "completed": False,
                    "messages": [["execution_error", error]],
                }
                self._send(client, {"type": "execution_error", "data": error})
            with self._lock:
                self.running = None
                if not job.get("forgotten"):
                    self.history[prompt_id] = {
                        "prompt": [job["number"], prompt_id, job["graph"], {}, []],
                        "outputs": outputs,
                        "status": status,
                    }
            self._send(
                client, {"type": "executing", "data": {"node": None, "prompt_id": prompt_id}}
            )
            if status["status_str"] == "success":
                self._send(client, {"type": "execution_success", "data": {"prompt_id": prompt_id}})

    def _execute(self, graph: dict[str, Any]) -> dict[str, Any]:
        text = _positive_text(graph)
        for node_id, node in graph.items():
            kind, inputs = node["class_type"], node["inputs"]
            if kind == "SaveImage":
                width, height = _image_size(graph)
                loads = [n for n in graph.values() if n["class_type"] == "LoadImage"]
                if loads:
                    png = png_from_reference(
                        self.uploads[loads[0]["inputs"]["image"]], text, width, height
                    )
                else:
                    png = png_from_prompt(text, width, height)
                return {node_id: {"images": [self._save(inputs["filename_prefix"], png, ".png")]}}
            if kind == "SaveVideo":
                wan = next(
                    n for n in graph.values() if n["class_type"] == "WanFirstLastFrameToVideo"
                )
                fps = next(n for n in graph.values() if n["class_type"] == "CreateVideo")["inputs"][
                    "fps"
                ]
                start = self.uploads[graph[wan["inputs"]["start_image"][0]]["inputs"]["image"]]
                end = self.uploads[graph[wan["inputs"]["end_image"][0]]["inputs"]["image"]]
                w, h, length = (wan["inputs"][k] for k in ("width", "height", "length"))
                record = self._save(inputs["filename_prefix"], b"", ".mp4")
                path = self.workdir / "output" / record["subfolder"] / record["filename"]
                mp4_between(
                    path, start, end, width=w, height=h, seconds=length / fps, fps=int(fps),
                    audio=False,
                )  # fmt: skip
                return {node_id: {"images": [record], "animated": [True]}}
        raise RuntimeError("no output node")

    def _save(self, prefix: str, data: bytes, suffix: str) -> dict[str, str]:
        subfolder, _, stem = prefix.rpartition("/")
        folder = self.workdir / "output" / subfolder
        folder.mkdir(parents=True, exist_ok=True)
        with self._lock:
            self._counter += 1
            filename = f"{stem}_{self._counter:05d}_{suffix}"
        if data:
            (folder / filename).write_bytes(data)
        return {"filename": filename, "subfolder": subfolder, "type": "output"}


def _is_video(graph: dict[str, Any]) -> bool:
    return any(n.get("class_type") == "SaveVideo" for n in graph.values())


def _node(graph: dict[str, Any], class_type: str) -> dict[str, Any]:
    return next(n for n in graph.values() if n["class_type"] == class_type)


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


def _image_size(graph: dict[str, Any]) -> tuple[int, int]:
    for node in graph.values():
        if node["class_type"] in ("EmptyLatentImage", "ImageScale"):
            return node["inputs"]["width"], node["inputs"]["height"]
    return 512, 512


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
