"""Shared fixtures: a session data directory with the real default model converted once."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from backend.jobs.registry import EXTRA_KINDS_ENV
from past.models import ModelRegistry
from past.models.bundled import CACHE_ENV
from past.settings import DATA_DIR_ENV, Settings
from tests.machine import TORCH_THREADS, WORKERS

if WORKERS > 1:  # pytest-xdist: this worker, and every process it starts, gets its share of the cores
    os.environ["OMP_NUM_THREADS"] = str(TORCH_THREADS)

ROOT = Path(__file__).resolve().parent.parent
OUTPUT_DIR = ROOT / "test-output"


@pytest.fixture(scope="session", autouse=True)
def count_job_kind() -> Iterator[None]:
    """The test job kind ``selftest.count`` (``tests/count_kind.py``), opted in for this process and every
    process it starts (job workers, ``past job daemon``, studios); the product's registry does not have it."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(EXTRA_KINDS_ENV, "tests.count_kind")
        yield


@pytest.fixture(scope="session", autouse=True)
def model_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """This session's conversion cache, for this process and every process it starts: the default model is
    converted once per session (by ``session_settings``) and copied into every other data directory a test makes;
    never the user's own cache, so each session converts for real once."""
    if WORKERS > 1:  # pytest-xdist workers share one cache (their base folders have a common parent)
        path = tmp_path_factory.getbasetemp().parent / "model-cache"
    else:
        path = tmp_path_factory.mktemp("model-cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(CACHE_ENV, str(path))
        yield path


@pytest.fixture(scope="session")
def session_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """A data directory with the bundled default model converted (once per test session)."""
    settings = Settings.load(tmp_path_factory.mktemp("past-data")).ensure()
    ModelRegistry(settings).ensure_default()
    return settings


@pytest.fixture(scope="session")
def default_model(session_settings: Settings):
    return ModelRegistry(session_settings).load("default")


@pytest.fixture
def output_dir(request: pytest.FixtureRequest) -> Path:
    """Where a test keeps what a person may want to look at afterwards (screenshots, logs)."""
    path = OUTPUT_DIR / request.node.name
    path.mkdir(parents=True, exist_ok=True)
    return path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_http(url: str, process: subprocess.Popen, timeout: float = 120) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the studio exited early with code {process.returncode}")
        try:
            if httpx.get(url, timeout=2).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise TimeoutError(f"{url} did not answer within {timeout} s")


@contextmanager
def launched_studio(settings: Settings, args: list[str], log_path: Path, timeout: float = 120) -> Iterator[str]:
    """A real studio process (launch.py ``args`` on a free port) over ``settings``' data directory; its URL on
    the loopback address. The studio's output goes to ``log_path``; its tail is printed if it fails to start."""
    port = free_port()
    env = {**os.environ, DATA_DIR_ENV: str(settings.data_dir), "PYTHONUNBUFFERED": "1"}
    with open(log_path, "wb") as log:  # a file, never an undrained pipe
        process = subprocess.Popen(
            [sys.executable, str(ROOT / "launch.py"), *args, "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}/"
    try:
        try:
            wait_for_http(url, process, timeout)
        except Exception:
            print(log_path.read_text(errors="replace")[-4000:])
            raise
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture(scope="session")
def studio_url(session_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real studio process (launch.py) on a free loopback port, over the session data directory."""
    with launched_studio(session_settings, [], tmp_path_factory.mktemp("studio-log") / "studio.log", 300) as url:
        yield url
