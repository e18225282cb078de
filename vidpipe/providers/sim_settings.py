"""The `sim` benchmark provider's settings: VIDPIPE_SIM_<FIELD>, or `[sim]` in vidpipe.toml.

A module of its own so reading the settings never imports NumPy or Pillow (sim.py does).
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from vidpipe.config import ProviderSettings


class SimSettings(ProviderSettings):
    """How slow the simulated provider pretends to be."""

    provider_id: ClassVar[str] = "sim"

    latency: dict[str, float] = Field(
        default_factory=lambda: {"storyboard": 0.5, "image": 0.2, "video": 2.0},
        description="Seconds per call of the `sim` benchmark provider, by role (JSON).",
    )
    jitter: float = Field(
        default=0.2, ge=0, lt=1, description="± fraction of the sim video latency."
    )
    poll_interval: float = Field(
        default=0.5,
        gt=0,
        description="How often `wait` polls a sim operation after its first poll.",
    )
