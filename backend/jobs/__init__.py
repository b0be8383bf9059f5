"""Durable jobs: typed kinds, worker processes, a scheduler with slots and DAGs, and a service API.

Names are imported lazily so that a worker process (``python -m backend.jobs.worker``) loads only
what it uses.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "JobError": "backend.jobs.errors",
    "JobSpecError": "backend.jobs.errors",
    "JobStateError": "backend.jobs.errors",
    "MissingInputError": "backend.jobs.errors",
    "ParamTypeError": "backend.jobs.errors",
    "RunnerBusyError": "backend.jobs.errors",
    "StorageError": "backend.jobs.errors",
    "UnknownJobKindError": "backend.jobs.errors",
    "InputSpec": "backend.jobs.kind",
    "JobContext": "backend.jobs.kind",
    "JobKind": "backend.jobs.kind",
    "KIND_MODULES": "backend.jobs.registry",
    "JobRegistry": "backend.jobs.registry",
    "JobRunner": "backend.jobs.runner",
    "start_embedded": "backend.jobs.runner",
    "JobService": "backend.jobs.service",
    "JobSpec": "backend.jobs.service",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'backend.jobs' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
