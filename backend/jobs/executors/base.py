"""The executor interface: launch a worker for a job and get a handle to poll, stop and kill it."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

PROJECT_ROOT = Path(__file__).resolve().parents[3]


@dataclass
class LaunchRequest:
    job_id: str
    attempt: int
    data_dir: Path
    log_path: Path
    options: dict[str, Any] = field(default_factory=dict)  # the job's executor_options
    env: dict[str, str] = field(default_factory=dict)  # extra environment (CUDA_VISIBLE_DEVICES, ...)


def worker_argv(job_id: str, data_dir: Path, python: str = sys.executable) -> list[str]:
    return [python, "-m", "backend.jobs.worker", job_id, "--data-dir", str(data_dir)]


def worker_env(request: LaunchRequest) -> dict[str, str]:
    """The environment of a worker: ours, the project importable, unbuffered output, the data dir."""
    env = dict(os.environ)
    path = env.get("PYTHONPATH")
    env["PYTHONPATH"] = f"{PROJECT_ROOT}{os.pathsep}{path}" if path else str(PROJECT_ROOT)
    env["PYTHONUNBUFFERED"] = "1"
    env["PAST_DATA_DIR"] = str(request.data_dir)
    env.update(request.env)
    return env


class WorkerHandle(Protocol):
    pid: int | None  # local process (group leader), None when remote
    pid_started: float | None
    external_id: str | None  # e.g. the Ray submission id

    def poll(self) -> int | None:
        """The exit code once finished (negative = killed by that signal), else None."""

    def terminate(self) -> None:
        """Ask the job to stop cooperatively (SIGTERM to the whole group)."""

    def kill(self) -> None:
        """Force: kill the whole process tree."""


class Executor(Protocol):
    name: str

    def launch(self, request: LaunchRequest) -> WorkerHandle: ...

    def stop_orphan(self, pid: int | None, pid_started: float | None, external_id: str | None) -> None:
        """Stop a worker left over by a dead runner (restart recovery)."""
