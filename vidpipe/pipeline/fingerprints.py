"""Fingerprints: a hash of everything that determines an artifact, so changed inputs mark it stale.

ninja's rule: an artifact is rebuilt when what made it changed, not only its inputs — so a
fingerprint holds the provider and its options (the model), the prompt texts, the content hash of
each input image, the sizes and durations, and the style guide the provider receives. A stored
fingerprint that differs from the one computed now means *stale*; none stored (a row made before
fingerprints) means "accepted as it is".
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from vidpipe.db.models import Project, Scene, clip_seconds
from vidpipe.pipeline.sound_fields import fingerprint_part
from vidpipe.providers.base import Provider, VideoProvider, frame_size

# Provider options that say where a provider is, not what it makes.
_LOCATION_OPTIONS = frozenset({"url", "base_url", "api_key", "timeout"})


def digest(*parts: Any) -> str:
    text = json.dumps(parts, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:40]


def file_hash(path: Path) -> str:
    """The content hash of an artifact file (what is drawn or animated from it depends on it)."""
    hasher = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            hasher.update(block)
    return hasher.hexdigest()[:40]


def bytes_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:40]


def provider_identity(provider: Provider) -> dict[str, Any]:
    """The provider and the options that decide its output (model, audio, workflow...)."""
    identity: dict[str, Any] = {"provider": provider.provider_id}
    options = getattr(provider, "options", None)
    if isinstance(options, BaseModel):
        dumped = options.model_dump(mode="json")
        identity["options"] = {k: v for k, v in dumped.items() if k not in _LOCATION_OPTIONS}
    return identity


def keyframe_fingerprint(
    project: Project,
    provider: Provider,
    prompt: str,
    reference_hash: str | None,
    references: tuple[tuple[str, str, str | None], ...] = (),
) -> str:
    """A keyframe: drawn from `prompt` (and, for end frames, the image with `reference_hash`),
    showing `references` (name, content hash, description) when its scenes list any.
    Without references the fingerprint is what it was before references existed."""
    return digest(
        "keyframe",
        provider_identity(provider),
        prompt,
        reference_hash,
        frame_size(project.aspect_ratio, project.resolution),
        project.aspect_ratio,
        project.style_guide,
        *([[list(item) for item in references]] if references else []),
    )


def clip_fingerprint(
    project: Project, provider: Provider, scene: Scene, start_hash: str, end_hash: str
) -> str:
    """A clip: its two frames, its motion prompt, duration, size, fps and style; and, for a
    model that makes audio, the scene's dialogue and sound (its prompt carries them)."""
    sound = fingerprint_part(scene, provider) if isinstance(provider, VideoProvider) else []
    return digest(
        "clip",
        provider_identity(provider),
        scene.video_motion_prompt,
        start_hash,
        end_hash,
        clip_seconds(project, scene),
        frame_size(project.aspect_ratio, project.resolution),
        project.fps,
        project.style_guide,
        *sound,
    )


def output_fingerprint(project: Project, clip_hashes: list[str | None]) -> str:
    """The final video: the selected clips in order (None for a missing scene), the crossfade."""
    return digest("final", clip_hashes, project.crossfade, project.fps)
