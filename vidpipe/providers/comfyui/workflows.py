"""ComfyUI workflow templates: an API-format graph plus a mapping of where vidpipe's values go.

A template file is JSON:

    {
      "description": "...",
      "inputs": {"prompt": ["6", "text"], "width": ["5", "width"], ...},   # value → [node, input]
      "output": "9",                    # the node whose saved file is the result
      "size_multiple": 8,               # optional: width/height rounded down to a multiple
      "frames": {"fps": 16, "step": 4, "offset": 1},   # video only: length = step·n + offset
      "workflow": { "<node id>": {"class_type": ..., "inputs": {...}}, ... }   # API format
    }

A mapping value may also be a list of [node, input] pairs (one value, several places). Values
vidpipe fills: prompt, negative_prompt, width, height, seed, filename_prefix, and image (image
to image) or start_image, end_image, length, fps (video), and `reference_image` (keyframes: the
uploaded reference image of the scene, for an IP-Adapter or reference-latent LoadImage node;
map it in both keyframe templates to take references). Unmapped optional values are skipped;
the required ones for each kind must be mapped. Export your own graph from ComfyUI with "Save
(API Format)", add the mapping, and point VIDPIPE_COMFYUI_*_WORKFLOW at the file.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from vidpipe.errors import BadInputError

REFERENCE_SLOT = "reference_image"  # keyframe templates: where a scene's reference image goes
SHIPPED = {
    "text_to_image": "text_to_image.json",
    "image_to_image": "image_to_image.json",
    "video": "first_last_frame_to_video.json",
}
REQUIRED = {
    "text_to_image": ("prompt",),
    "image_to_image": ("prompt", "image"),
    "video": ("prompt", "start_image", "end_image"),
}
SETTING = {
    "text_to_image": "VIDPIPE_COMFYUI_TEXT_TO_IMAGE_WORKFLOW",
    "image_to_image": "VIDPIPE_COMFYUI_IMAGE_TO_IMAGE_WORKFLOW",
    "video": "VIDPIPE_COMFYUI_VIDEO_WORKFLOW",
}


@dataclass(frozen=True)
class FrameRule:
    fps: int = 16
    step: int = 1
    offset: int = 0

    def length(self, seconds: float) -> int:
        """Frames for `seconds`: the nearest step·n + offset (at least one step)."""
        n = max(1, round((seconds * self.fps - self.offset) / self.step))
        return n * self.step + self.offset


@dataclass(frozen=True)
class Template:
    kind: str
    source: str
    workflow: dict[str, Any]
    inputs: dict[str, list[tuple[str, str]]]
    output: str
    size_multiple: int = 1
    frames: FrameRule = FrameRule()

    def fill(self, values: dict[str, Any]) -> dict[str, Any]:
        """A copy of the graph with every mapped value set; unknown values are ignored."""
        graph = copy.deepcopy(self.workflow)
        for name, value in values.items():
            for node, field in self.inputs.get(name, []):
                graph[node]["inputs"][field] = value
        return graph

    def size(self, width: int, height: int) -> tuple[int, int]:
        m = max(1, self.size_multiple)
        return max(m, width // m * m), max(m, height // m * m)


def load_template(kind: str, path: Path | None) -> Template:
    """The user's template at `path`, else the shipped one; BadInputError when malformed."""
    if path is None:
        source = f"shipped {SHIPPED[kind]}"
        text = resources.files(__package__).joinpath("workflows", SHIPPED[kind]).read_text()
    else:
        source = f"{path} ({SETTING[kind]})"
        try:
            text = Path(path).read_text()
        except OSError as exc:
            raise BadInputError(f"cannot read ComfyUI workflow {source}: {exc}") from None
    try:
        return _parse(kind, json.loads(text), source)
    except (ValueError, KeyError, TypeError) as exc:
        raise BadInputError(f"ComfyUI workflow {source} is not a vidpipe template: {exc}") from None


def _parse(kind: str, data: dict[str, Any], source: str) -> Template:
    workflow = data["workflow"]
    if not isinstance(workflow, dict) or not all(
        isinstance(node, dict) and "class_type" in node and "inputs" in node
        for node in workflow.values()
    ):
        raise ValueError('"workflow" must be an API-format graph (Save (API Format) in ComfyUI)')
    inputs: dict[str, list[tuple[str, str]]] = {}
    for name, target in data["inputs"].items():
        pairs = [target] if target and isinstance(target[0], str) else target
        inputs[name] = []
        for node, field in pairs:
            node = str(node)
            if node not in workflow:
                raise ValueError(f"input {name!r} maps to node {node!r}, which is not in the graph")
            if field not in workflow[node]["inputs"]:
                raise ValueError(f"input {name!r} maps to {node}.{field}, which the node lacks")
            inputs[name].append((node, field))
    missing = [name for name in REQUIRED[kind] if name not in inputs]
    if missing:
        raise ValueError(f"no mapping for {', '.join(missing)}")
    output = str(data["output"])
    if output not in workflow:
        raise ValueError(f"output node {output!r} is not in the graph")
    frames = FrameRule(**data["frames"]) if "frames" in data else FrameRule()
    return Template(
        kind=kind,
        source=source,
        workflow=workflow,
        inputs=inputs,
        output=output,
        size_multiple=int(data.get("size_multiple", 1)),
        frames=frames,
    )
