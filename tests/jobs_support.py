"""Helpers for the job runner tests: a fresh data dir, a service, an in-process runner, waiting."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from backend.jobs import JobRunner, JobService
from past.settings import DATA_DIR_ENV, Settings

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def job_settings(tmp_path: Path) -> Settings:
    return Settings.load(tmp_path / "data").ensure()


@pytest.fixture
def service(job_settings: Settings) -> Iterator[JobService]:
    svc = JobService(job_settings)
    yield svc
    svc.store.close()


@pytest.fixture
def runner(job_settings: Settings) -> Iterator[JobRunner]:
    r = JobRunner(job_settings, slots={"cpu": 2}, grace_s=1.5).start()
    yield r
    r.stop()


def wait_until(predicate: Callable[[], bool], timeout: float = 30.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def past_cli(settings: Settings, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    """``past ARGS`` with the backend's ``job`` command, whatever the installed entry points say."""
    env = {**os.environ, DATA_DIR_ENV: str(settings.data_dir)}
    return subprocess.run(
        [sys.executable, "-m", "backend.cli", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def start_daemon(settings: Settings, log: Path, *extra: str) -> subprocess.Popen:
    """``past job daemon`` as its own process (stands in for the studio process holding the runner)."""
    env = {**os.environ, DATA_DIR_ENV: str(settings.data_dir), "PYTHONUNBUFFERED": "1"}
    with open(log, "ab") as handle:
        return subprocess.Popen(
            [sys.executable, "-m", "backend.cli", "job", "daemon", "--grace", "2", *extra],
            cwd=ROOT,
            env=env,
            stdout=handle,
            stderr=subprocess.STDOUT,
        )


def pid_alive(pid: int) -> bool:
    import psutil

    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False
