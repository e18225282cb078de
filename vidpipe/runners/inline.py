"""The CLI's runner: the run happens now, in this process, in the caller's session, with the
caller's progress display; `enqueue` returns when it has ended.

A run that fails is recorded on the project by `run_pipeline` (and stays resumable): the runner
keeps the exception in `failures` for the door to render, and raises only refusals made before
anything ran (bad input, someone else holds the lease).
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from vidpipe.errors import BadInputError, ProjectBusyError
from vidpipe.runners.progress import ProgressHub

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from vidpipe.config import Settings
    from vidpipe.pipeline.context import ProgressCallback
    from vidpipe.providers.registry import ProviderRegistry


class InlineRunner:
    """Runs a project in the foreground (the CLI without --detach)."""

    def __init__(
        self,
        session: AsyncSession,
        settings: Settings,
        registry: ProviderRegistry,
        progress: ProgressCallback | None = None,
    ) -> None:
        self.session, self.settings, self.registry = session, settings, registry
        self.progress = progress
        self.hub = ProgressHub()
        self.failures: dict[uuid.UUID, BaseException] = {}
        self._active: set[uuid.UUID] = set()

    async def enqueue(self, project_id: uuid.UUID) -> bool:
        """Run the project to its end (or a review gate) before returning."""
        from vidpipe.orchestrator.pipeline import run_pipeline

        if project_id in self._active:
            return False
        self._active.add(project_id)
        self.failures.pop(project_id, None)
        try:
            await run_pipeline(
                self.session,
                project_id,
                self.progress,
                settings=self.settings,
                registry=self.registry,
            )
        except (BadInputError, ProjectBusyError):
            raise  # refused before anything ran (bad input met later is a recorded failure)
        except Exception as exc:  # recorded on the project (failed, resumable)
            self.failures[project_id] = exc
        finally:
            self._active.discard(project_id)
        return True

    def failed(self, project_id: uuid.UUID) -> bool:
        return project_id in self.failures

    def is_active(self, project_id: uuid.UUID) -> bool:
        return project_id in self._active

    def is_queued(self, project_id: uuid.UUID) -> bool:
        return False

    async def withdraw(self, project_id: uuid.UUID) -> bool:
        return False  # nothing waits: a run starts when it is handed over

    @property
    def active_count(self) -> int:
        return len(self._active)

    @property
    def running_count(self) -> int:
        return len(self._active)
