"""Orchestration: the state machine, leases, and run_pipeline."""

from vidpipe.orchestrator.pipeline import run_pipeline

__all__ = ["run_pipeline"]
