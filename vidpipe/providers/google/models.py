"""What each Google model accepts and costs. Checked 2026-11-24; see docs/providers.md.

Sources: the Vertex AI model pages (veo/2-0-generate, veo/3-0-generate-001, veo/3-1-generate),
the Gemini API video guide and the Vertex AI / Gemini API pricing pages. Prices are list prices
in USD and change; override any of them with the `prices` setting (model name or "google:<role>").
"""

from __future__ import annotations

from dataclasses import dataclass

from vidpipe.providers.base import Capabilities

# ---------------------------------------------------------------- Veo


@dataclass(frozen=True)
class VeoModel:
    name: str
    durations: tuple[int, ...]
    resolutions: tuple[str, ...]
    audio: bool  # generates a soundtrack (and takes `generateAudio`)
    last_frame: bool  # takes a last frame (first+last-frame interpolation)
    price_with_audio: float  # USD per second of video
    price_without_audio: float
    typical_seconds: float  # submit → done, for the first poll
    requests_per_minute: float  # per project, from the model page
    sends_resolution: bool = True  # Veo 2 has one output size and no `resolution` parameter
    full_hd_durations: tuple[int, ...] = (8,)  # 1080p only at these lengths

    def capabilities(self) -> Capabilities:
        return Capabilities(
            min_duration=min(self.durations),
            max_duration=max(self.durations),
            durations=tuple(float(d) for d in self.durations),
            aspect_ratios=("16:9", "9:16"),
            resolutions=self.resolutions,
            supports_audio=self.audio,
            max_concurrency=4,
        )

    def price(self, with_audio: bool) -> float:
        return self.price_with_audio if (with_audio and self.audio) else self.price_without_audio

    def refusal(self, duration: float, aspect_ratio: str, resolution: str) -> str | None:
        """Why this model cannot make such a clip, or None. Covers combinations too."""
        who = f"{self.name}"
        if not self.last_frame:
            return (
                f"{who} cannot take a last frame, which every vidpipe clip needs; use "
                "veo-3.1-generate-001, veo-3.1-fast-generate-001 or veo-2.0-generate-001 "
                "(VIDPIPE_GOOGLE_VIDEO_MODEL)"
            )
        if duration not in self.durations:
            allowed = ", ".join(str(d) for d in self.durations)
            return f"invalid --clip-duration: {duration:g}s; {who} takes {allowed} seconds"
        if aspect_ratio not in ("16:9", "9:16"):
            return f"invalid --aspect-ratio: {aspect_ratio}; {who} takes 16:9, 9:16"
        if resolution not in self.resolutions:
            return f"invalid --resolution: {resolution}; {who} takes " + ", ".join(self.resolutions)
        if resolution == "1080p" and int(duration) not in self.full_hd_durations:
            allowed = ", ".join(str(d) for d in self.full_hd_durations)
            return f"invalid --clip-duration: {duration:g}s; {who} makes 1080p only at {allowed}s"
        return None


_VEO_31 = {"durations": (4, 6, 8), "resolutions": ("720p", "1080p"), "audio": True}

VEO_MODELS: dict[str, VeoModel] = {
    m.name: m
    for m in [
        VeoModel("veo-3.1-generate-001", **_VEO_31, last_frame=True, price_with_audio=0.40,
                 price_without_audio=0.20, typical_seconds=75, requests_per_minute=50),
        VeoModel("veo-3.1-generate-preview", **_VEO_31, last_frame=True, price_with_audio=0.40,
                 price_without_audio=0.20, typical_seconds=75, requests_per_minute=10),
        VeoModel("veo-3.1-fast-generate-001", **_VEO_31, last_frame=True, price_with_audio=0.15,
                 price_without_audio=0.10, typical_seconds=45, requests_per_minute=50),
        VeoModel("veo-3.1-fast-generate-preview", **_VEO_31, last_frame=True,
                 price_with_audio=0.15, price_without_audio=0.10, typical_seconds=45,
                 requests_per_minute=10),
        VeoModel("veo-3.0-generate-001", **_VEO_31, last_frame=False, price_with_audio=0.40,
                 price_without_audio=0.20, typical_seconds=75, requests_per_minute=10),
        VeoModel("veo-3.0-fast-generate-001", **_VEO_31, last_frame=False,
                 price_with_audio=0.15, price_without_audio=0.10, typical_seconds=45,
                 requests_per_minute=10),
        VeoModel("veo-2.0-generate-001", durations=(5, 6, 7, 8), resolutions=("720p",),
                 audio=False, last_frame=True, price_with_audio=0.50, price_without_audio=0.50,
                 typical_seconds=60, requests_per_minute=10, sends_resolution=False),
    ]
}  # fmt: skip


def veo_model(name: str) -> VeoModel:
    try:
        return VEO_MODELS[name]
    except KeyError:
        known = ", ".join(VEO_MODELS)
        raise KeyError(f"unknown Veo model {name!r} (known: {known})") from None


# ---------------------------------------------------------------- images

# USD per image. Gemini image models bill output tokens (~1,290 per 1K image); Imagen per image.
IMAGE_PRICES: dict[str, float] = {
    "gemini-2.5-flash-image": 0.039,
    "gemini-2.5-flash-image-preview": 0.039,
    "gemini-3-pro-image-preview": 0.134,
    "imagen-4.0-generate-001": 0.04,
    "imagen-4.0-fast-generate-001": 0.02,
    "imagen-4.0-ultra-generate-001": 0.06,
    "imagen-3.0-generate-002": 0.04,
    "imagen-3.0-capability-001": 0.04,
}
DEFAULT_IMAGE_PRICE = 0.04
IMAGEN_ASPECT_RATIOS = ("1:1", "3:4", "4:3", "9:16", "16:9")


def is_imagen(model: str) -> bool:
    return model.startswith("imagen-")


# ---------------------------------------------------------------- storyboard (text)

# USD per storyboard call: ~2k input + ~3k output tokens at list prices per million tokens.
TEXT_PRICES: dict[str, float] = {
    "gemini-2.5-flash": 0.008,  # $0.30 in / $2.50 out
    "gemini-2.5-flash-lite": 0.002,  # $0.10 / $0.40
    "gemini-2.5-pro": 0.033,  # $1.25 / $10
    "gemini-3-pro-preview": 0.040,  # $2 / $12
}
DEFAULT_TEXT_PRICE = 0.01
