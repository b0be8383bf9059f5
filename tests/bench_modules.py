"""Loads a benchmark script under ``bench/`` as a module, so tests can check its pure parts, or runs it whole."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

from past.settings import DATA_DIR_ENV
from tests.machine import TORCH_THREADS

BENCH = Path(__file__).resolve().parent.parent / "bench"


def load_bench(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"bench_{name}", BENCH / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # as an import would: dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def run_bench(name: str, args: Sequence[str], data_dir: Path, timeout: int = 1200) -> subprocess.CompletedProcess:
    """Run ``bench/<name>.py`` with ``args`` in its own process over the data directory ``data_dir``."""
    env = {**os.environ, DATA_DIR_ENV: str(data_dir), "OMP_NUM_THREADS": str(TORCH_THREADS)}
    command = [sys.executable, str(BENCH / f"{name}.py"), *args]
    return subprocess.run(command, cwd=BENCH.parent, env=env, capture_output=True, text=True, timeout=timeout)
