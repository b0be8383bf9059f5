"""Executors start a job's worker somewhere and control it: local process, ``accelerate launch``, Ray."""

from backend.jobs.executors.accelerate import AccelerateExecutor
from backend.jobs.executors.base import Executor, LaunchRequest, WorkerHandle, worker_argv
from backend.jobs.executors.local import LocalProcessExecutor

__all__ = ["AccelerateExecutor", "Executor", "LaunchRequest", "LocalProcessExecutor", "WorkerHandle", "worker_argv"]
