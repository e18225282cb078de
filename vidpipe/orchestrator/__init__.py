"""Orchestration: the state machine, leases, and run_pipeline.

`run_pipeline` is imported on first use (PEP 562): importing a light module of this package
(`report`, `state`, `projects`) must not load every pipeline step and the media stack with it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from vidpipe.orchestrator.pipeline import run_pipeline

__all__ = ["run_pipeline"]


def __getattr__(name: str) -> Any:
    if name == "run_pipeline":
        from vidpipe.orchestrator.pipeline import run_pipeline

        return run_pipeline
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
