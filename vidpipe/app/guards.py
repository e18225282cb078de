"""Refusals shared by the use cases."""

from __future__ import annotations

from typing import TYPE_CHECKING

from vidpipe.errors import NextStep, ProjectBusyError

if TYPE_CHECKING:
    from vidpipe.db.models import Project
    from vidpipe.runners.base import Runner


def refuse_if_running(project: Project, runner: Runner) -> None:
    """A project this runner has, or that someone alive holds, is not touched."""
    from vidpipe.orchestrator.leases import busy_error, is_held

    if runner.is_active(project.id):
        raise ProjectBusyError(
            f"project {project.id} is already running ({project.status}); wait for it to "
            "finish, or ",
            NextStep("stop", str(project.id)),
        )
    if is_held(project):
        raise busy_error(project.id, project.lease_owner or "", project.lease_expires_at)
