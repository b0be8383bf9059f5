"""Where a job's log file lives: one file per job, worker stdout/stderr of all attempts appended.

Its own module so that the runner, the service and the Ray gateway (which receives a remote worker's output) all
name the same path without importing each other.
"""

from __future__ import annotations

from pathlib import Path

from past.settings import Settings


def log_path(settings: Settings, job_id: str) -> Path:
    """The per-job log file (worker stdout/stderr, all attempts appended)."""
    return settings.data_dir / "job-logs" / f"{job_id}.log"
