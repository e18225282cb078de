"""Exception hierarchy. Each docstring is the default message (procrastinate's pattern)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


class VidpipeError(Exception):
    """vidpipe failed."""

    def __init__(self, message: str | None = None, *, field: str | None = None) -> None:
        super().__init__(message or (self.__doc__ or "").strip())
        # The input the error is about (an option's name, e.g. "clip_duration"): the CLI shows
        # it as its flag, the API as the `loc` of a 422, the page next to the input.
        self.field = field

    def worded(self, name: str | None = None) -> str:
        """One line for a person, naming the field as the door spells it (`--clip-duration`,
        `clip_duration`)."""
        if self.field is None:
            return str(self)
        return f"invalid {name or self.field}: {self}"


class BadInputError(VidpipeError):
    """The request is invalid; nothing was written."""


SLOT_WORDS = {"clip": "clip", "end": "end frame", "start": "start frame"}


@dataclass(frozen=True)
class NextStep:
    """A step a refusal suggests, as data: a use case (`select`, `redo`, `edit`) and what it
    would be given. The API and the page say it in words; the CLI spells it as the command to
    type (vidpipe/cli/flags.py)."""

    # select, redo, edit, stitch, stop, resume, or force (select the same take again, forced)
    action: str
    project: str
    scene: int | None = None
    slot: str | None = None  # clip, end or start
    take: int | None = None
    clip_duration: float | None = None

    def words(self) -> str:
        if self.action == "force":
            return "by forcing the selection"
        if self.action == "stitch":
            return "stitch"
        if self.action == "stop":
            return "stop it first"
        if self.action == "resume":
            return "resume it"
        if self.action == "edit" and self.clip_duration is not None:
            return f"set the clip duration back to {self.clip_duration:g} s"
        what = f"scene {self.scene}'s {SLOT_WORDS[self.slot or 'clip']}"
        if self.action == "select":
            return f"select take {self.take} of {what}" if self.take else f"select a take of {what}"
        return f"{self.action} {what}"


class Guided(VidpipeError):
    """An error whose message names next steps as data (`NextStep`s between its text), which each
    door spells its own way (`spelled`); `str()` has them in words."""

    def __init__(self, *parts: str | NextStep, field: str | None = None) -> None:
        self.parts = parts
        super().__init__(self.spelled(NextStep.words) or None, field=field)

    def spelled(self, spell: Callable[[NextStep], str]) -> str:
        return "".join(part if isinstance(part, str) else spell(part) for part in self.parts)


class GuidedError(Guided, BadInputError):
    """A refusal that names next steps."""


class UnknownProviderError(BadInputError):
    """No provider of that name is registered for the role (built in or from a plugin)."""

    def __init__(
        self, role: str, name: str, known: str, hint: str | None = None, *, field: str | None = None
    ) -> None:
        self.role, self.name, self.known = role, name, known
        said = f"unknown {role} provider {name!r} (known: {known})"
        super().__init__(f"{said}; {hint}" if hint else said, field=field)


class ProjectNotFoundError(BadInputError):
    """No project matches that id."""


class ProjectBusyError(Guided):
    """Another runner holds this project's lease."""


class NotResumableError(GuidedError):
    """This project cannot be resumed."""


class ProviderError(VidpipeError):
    """A provider call failed."""

    def __init__(self, message: str | None = None, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status  # the HTTP status of the provider's answer, when there was one


class ContentFilteredError(ProviderError):
    """The provider refused the request for content-safety reasons."""


class OperationFailedError(ProviderError):
    """A submitted operation ended in an error on the provider's side (not a content refusal).

    Polling it again cannot help; resubmitting can: the pipeline forgets the operation id, so
    `resume` submits the clip afresh.
    """

    # Whether the provider may have billed the failed request: assumed so (the budget errs on
    # the safe side) unless the provider's own rules say it does not bill this failure.
    billed: bool = True


class UnbilledFailureError(OperationFailedError):
    """The service failed the request with its own (server) error, which it does not bill;
    `resume` sends it again."""

    billed = False


class ProviderTimeoutError(ProviderError):
    """The provider did not finish in time."""


class FFmpegError(VidpipeError):
    """ffmpeg failed."""


class BudgetExceededError(VidpipeError):
    """budget exceeded"""


class OverBudgetError(BadInputError):
    """The estimate is above the budget: refused before anything is written or paid."""

    def __init__(self, estimate: float, limit: float) -> None:
        self.estimate, self.limit = estimate, limit
        super().__init__(self.worded(), field="max_cost")

    def worded(self, name: str | None = None) -> str:
        return (
            f"budget exceeded: the estimate is ${self.estimate:.2f}, above {name or 'max_cost'} "
            f"${self.limit:.2f}"
        )


class StitchFailedError(VidpipeError):
    """The stitch failed (ffmpeg or the disk); the previous output is kept."""


class VersionRequiredError(BadInputError):
    """If-Match is required: send the ETag of GET .../storyboard"""


class PipelineError(VidpipeError):
    """A step cannot go on with what it was given (recorded on the project; resumable)."""
