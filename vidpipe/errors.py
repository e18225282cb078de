"""Exception hierarchy. Each docstring is the default message (procrastinate's pattern)."""

from __future__ import annotations


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


class ProjectNotFoundError(BadInputError):
    """No project matches that id."""


class ProjectBusyError(VidpipeError):
    """Another runner holds this project's lease."""


class NotResumableError(BadInputError):
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
