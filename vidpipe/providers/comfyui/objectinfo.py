"""Checking templates against a server's free `GET /object_info`, before anything is paid.

/object_info lists every node type the server has, with its inputs: `required`, `optional`
and `hidden`, each `name: [type_or_options, {settings}]`. A choice input ("COMBO") carries its
options, either as the first element (`[["a.safetensors", "b.safetensors"], {...}]`) or, for
nodes written against the newer node API, as `["COMBO", {"options": [...]}]`. Loader inputs
(`ckpt_name`, `unet_name`, `vae_name`, ...) list the model files the server has, so a model the
template names that the server lacks shows up here, not after the storyboard was paid for.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import PurePath
from typing import Any

from vidpipe.providers.comfyui.workflows import Template

MODEL_SUFFIXES = (".safetensors", ".ckpt", ".pt", ".pth", ".bin", ".gguf", ".sft", ".onnx")
SHOWN_OPTIONS = 6


def check_against(info: dict[str, Any], templates: Iterable[Template]) -> list[str]:
    """One line per problem, naming the template and the node: unknown node types and inputs,
    required inputs left out, option values the server does not offer, missing model files."""
    problems: list[str] = []
    for template in templates:
        filled_fields = {(n, f) for pairs in template.inputs.values() for n, f in pairs}
        for node_id, node in template.workflow.items():
            where = f"{template.source} node {node_id} ({node['class_type']})"
            for problem in _node_problems(info, node, node_id, filled_fields):
                problems.append(f"{where}: {problem}")
    return problems


def _node_problems(
    info: dict[str, Any], node: dict[str, Any], node_id: str, filled: set[tuple[str, str]]
) -> list[str]:
    kind = node["class_type"]
    spec = info.get(kind)
    if not isinstance(spec, dict):
        return [f"node type {kind} is not on the server (a custom node not installed?)"]
    declared = spec.get("input") or {}
    required = declared.get("required") or {}
    known = {**required, **(declared.get("optional") or {}), **(declared.get("hidden") or {})}
    problems = []
    inputs: dict[str, Any] = node["inputs"]
    for name in required:
        if name not in inputs:
            problems.append(f"required input {name!r} is not set")
    for name, value in inputs.items():
        if name not in known:
            problems.append(f"input {name!r} is not an input of {kind} on the server")
            continue
        if _is_link(value) or (node_id, name) in filled:
            continue  # a link to another node, or a value vidpipe fills in at run time
        options = _options(known[name])
        if options is None or value in options:
            continue
        problems.append(_not_offered(name, value, options))
    return problems


def _not_offered(name: str, value: Any, options: list[Any]) -> str:
    offered = ", ".join(str(o) for o in options[:SHOWN_OPTIONS]) or "none"
    if len(options) > SHOWN_OPTIONS:
        offered += f", … ({len(options)} in all)"
    if isinstance(value, str) and PurePath(value).suffix.lower() in MODEL_SUFFIXES:
        return (
            f"model file {value!r} ({name}) is not on the server; put it in ComfyUI's models "
            f"folder (the server lists: {offered})"
        )
    return f"{name}={value!r} is not offered by the server (it offers: {offered})"


def _options(declaration: Any) -> list[Any] | None:
    """The allowed values of a choice input, or None for free inputs (numbers, text)."""
    if not isinstance(declaration, (list, tuple)) or not declaration:
        return None
    head = declaration[0]
    if isinstance(head, list):
        return head
    if head == "COMBO" and len(declaration) > 1 and isinstance(declaration[1], dict):
        options = declaration[1].get("options")
        return list(options) if isinstance(options, list) else None
    return None


def _is_link(value: Any) -> bool:
    return (
        isinstance(value, list)
        and len(value) == 2
        and isinstance(value[0], str)
        and isinstance(value[1], int)
    )
