"""What each Google model accepts and costs, read from the model catalog (catalog/google.toml).

Prices are list prices in USD and change; override any of them with the `prices` setting (model
id or "google:<role>"). Deprecated ids stay in the catalog with their capabilities, so a project
made with one still plans and resumes; `generate` refuses them (catalog.check_model).
"""

from __future__ import annotations

from dataclasses import dataclass

from vidpipe.errors import BadInputError
from vidpipe.providers.base import Capabilities
from vidpipe.providers.catalog import ModelEntry, load_catalog

IMAGEN_ASPECT_RATIOS = ("1:1", "3:4", "4:3", "9:16", "16:9")
DEFAULT_IMAGE_PRICE = 0.067  # an image model missing from the catalog: Gemini 3.1 Flash Image's
DEFAULT_TEXT_PRICE = 0.013  # a text model missing from the catalog: Gemini 3.8 Flash's


def entry(model: str, role: str, setting: str) -> ModelEntry:
    """The catalog entry of a Google model in `role`; one line naming `setting` otherwise."""
    catalog = load_catalog()
    found = catalog.find("google", model)
    if found is None or found.role != role:
        close = catalog.closest(model, provider="google", role=role, live=True)
        hint = f" (closest: {', '.join(close)})" if close else ""
        raise BadInputError(
            f"unknown Google {role} model {model!r}{hint}; check {setting} (vidpipe models "
            f"--role {role})"
        )
    return found


def is_imagen(model: str) -> bool:
    found = load_catalog().find("google", model)
    if found is not None:
        return found.request.get("api") == "imagen"
    return model.startswith("imagen-")


# ---------------------------------------------------------------- video


@dataclass(frozen=True)
class VideoModel:
    """A Google video model as the provider uses it: Veo (generate_videos) or Gemini Omni
    (the Interactions API)."""

    entry: ModelEntry

    @property
    def name(self) -> str:
        return self.entry.id

    @property
    def api(self) -> str:
        return str(self.entry.request.get("api", "generate_videos"))

    @property
    def audio(self) -> bool:
        return self.entry.native_audio

    @property
    def last_frame(self) -> bool:
        return self.entry.end_frame

    @property
    def durations(self) -> tuple[float, ...]:
        return self.entry.durations

    @property
    def resolutions(self) -> tuple[str, ...]:
        return self.entry.resolutions

    @property
    def typical_seconds(self) -> float:
        return float(self.entry.request.get("typical_seconds", 75))  # type: ignore[arg-type]

    @property
    def requests_per_minute(self) -> float:
        return float(self.entry.request.get("requests_per_minute", 10))  # type: ignore[arg-type]

    @property
    def sends_resolution(self) -> bool:
        return bool(self.entry.request.get("sends_resolution", True))

    @property
    def vertex_only(self) -> bool:
        return bool(self.entry.request.get("vertex_only", False))

    @property
    def vertex_id(self) -> str | None:
        """The model's id on Vertex AI when it differs from the Gemini API's."""
        found = self.entry.request.get("vertex_id")
        return str(found) if found else None

    @property
    def vertex_location(self) -> str | None:
        """The one Vertex AI region that serves the model, when the configured one does not."""
        found = self.entry.request.get("vertex_location")
        return str(found) if found else None

    @property
    def full_hd_durations(self) -> tuple[int, ...]:
        raw = self.entry.request.get("full_hd_durations", [8])
        return tuple(int(d) for d in raw)  # type: ignore[attr-defined]

    def capabilities(self) -> Capabilities:
        durations = self.durations
        return Capabilities(
            min_duration=self.entry.min_duration or min(durations),
            max_duration=self.entry.max_duration or max(durations),
            durations=durations or None,
            aspect_ratios=self.entry.aspect_ratios,
            resolutions=self.resolutions,
            supports_audio=self.audio,
            max_concurrency=4,
        )

    def price(self, with_audio: bool) -> float:
        return self.entry.unit_price(with_audio=with_audio)

    def refusal(self, duration: float, aspect_ratio: str, resolution: str) -> BadInputError | None:
        """Why this model cannot make such a clip, or None. Covers combinations too."""
        who = self.name
        if not self.last_frame:
            usable = [
                e.id
                for e in load_catalog().entries(role="video", provider="google")
                if e.end_frame and not e.is_shut_down()
            ]
            return BadInputError(
                f"{who} cannot take a last frame, which every vidpipe clip needs; use "
                f"{', '.join(usable)} (VIDPIPE_GOOGLE_VIDEO_MODEL)"
            )
        if self.durations and duration not in self.durations:
            allowed = ", ".join(f"{d:g}" for d in self.durations)
            return BadInputError(
                f"{duration:g}s; {who} takes {allowed} seconds", field="clip_duration"
            )
        if aspect_ratio not in self.entry.aspect_ratios:
            allowed = ", ".join(self.entry.aspect_ratios)
            return BadInputError(f"{aspect_ratio}; {who} takes {allowed}", field="aspect_ratio")
        if resolution not in self.resolutions:
            allowed = ", ".join(self.resolutions)
            return BadInputError(f"{resolution}; {who} takes {allowed}", field="resolution")
        if (
            self.api == "generate_videos"
            and resolution == "1080p"
            and int(duration) not in self.full_hd_durations
        ):
            allowed = ", ".join(str(d) for d in self.full_hd_durations)
            return BadInputError(
                f"{duration:g}s; {who} makes 1080p only at {allowed}s", field="clip_duration"
            )
        return None


def video_model(name: str) -> VideoModel:
    return VideoModel(entry(name, "video", "VIDPIPE_GOOGLE_VIDEO_MODEL"))
