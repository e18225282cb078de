"""The one interface every runner offers, so that a use case never asks which one it has.

Three implementations: `InlineRunner` (the CLI's foreground run, in this process, now),
`BackgroundRunner` (a capped pool inside the API server) and `QueueRunner` (a job for
`vidpipe worker`s, PostgreSQL only). A use case hands a project to `runner.enqueue`; the inline
runner returns when the run has ended, the others as soon as it is handed over.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from vidpipe.runners.progress import ProgressHub


@runtime_checkable
class Runner(Protocol):
    """Where a project's run happens; the lease (not the runner) says whether it runs."""

    hub: ProgressHub  # live progress of the runs it knows of (re-stitches report there too)

    async def enqueue(self, project_id: uuid.UUID) -> bool:
        """Hand the project over for a run; False when this runner already has it."""
        ...

    def is_active(self, project_id: uuid.UUID) -> bool:
        """Running here, or waiting here for a slot."""
        ...

    def is_queued(self, project_id: uuid.UUID) -> bool:
        """Waiting here for a slot (not yet running)."""
        ...

    async def withdraw(self, project_id: uuid.UUID) -> bool:
        """Take the project out of the queue before its run starts (a stop); True when it was
        waiting and will not run."""
        ...

    @property
    def active_count(self) -> int: ...

    @property
    def running_count(self) -> int: ...
