"""Durable jobs: typed kinds, worker processes, a scheduler with slots and DAGs, and a service API."""

from backend.jobs.errors import (
    JobError,
    JobSpecError,
    JobStateError,
    MissingInputError,
    ParamTypeError,
    RunnerBusyError,
    StorageError,
    UnknownJobKindError,
)
from backend.jobs.kind import InputSpec, JobContext, JobKind
from backend.jobs.registry import KIND_MODULES, JobRegistry
from backend.jobs.runner import JobRunner
from backend.jobs.service import JobService, JobSpec

__all__ = [
    "KIND_MODULES",
    "InputSpec",
    "JobContext",
    "JobError",
    "JobKind",
    "JobRegistry",
    "JobRunner",
    "JobService",
    "JobSpec",
    "JobSpecError",
    "JobStateError",
    "MissingInputError",
    "ParamTypeError",
    "RunnerBusyError",
    "StorageError",
    "UnknownJobKindError",
]
