"""User-facing errors of the job system."""

from __future__ import annotations

from past.errors import PastError


class JobError(PastError):
    """A job operation failed."""


class JobSpecError(JobError):
    """A submitted job spec is invalid (the message says which field and why)."""


class UnknownJobKindError(JobSpecError):
    """No job kind of that name is registered."""


class MissingInputError(JobSpecError):
    """A required input is absent or names no job of an accepted kind."""


class ParamTypeError(JobSpecError):
    """A parameter has the wrong type or an unknown name."""


class JobStateError(JobError):
    """The operation does not apply to the job in its current state."""


class RunnerBusyError(JobError):
    """Another job runner already serves this data directory."""


class StorageError(JobError):
    """An artifact could not be written (disk full, read-only or unwritable data directory)."""
