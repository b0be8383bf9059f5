"""The GPU self-check cannot rot: ``bench/gpu_check.sh --dry-run`` runs all of it on tiny shapes on the CPU."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MEASUREMENTS = ("injection", "ab_decode", "sft_lora", "sft_full", "grpo")


@pytest.mark.slow
def test_gpu_check_dry_run_measures_everything_offline(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "PYTHON": sys.executable,
        "HTTPS_PROXY": "http://127.0.0.1:9",
        "HTTP_PROXY": "http://127.0.0.1:9",
    }
    done = subprocess.run(
        ["bash", str(ROOT / "bench" / "gpu_check.sh"), "--dry-run", "--out", str(tmp_path)],
        cwd=tmp_path,  # not the repository root: the script finds the project itself
        env=env,
        capture_output=True,
        text=True,
        timeout=1200,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    report = json.loads((tmp_path / "gpu_check.json").read_text())
    tiny = report["models"]["tiny"]
    for key in MEASUREMENTS:
        assert "error" not in tiny[key] and "skipped" not in tiny[key], (key, tiny[key])
    assert tiny["sft_lora"]["trainer_step_s"] > 0 and tiny["sft_full"]["raw_fwd_bwd_s"] > 0
    assert tiny["ab_decode"]["stacked_lora"] and tiny["ab_decode"]["pair_tokens_per_s"] > 0
    assert tiny["grpo"]["rollouts_per_step"] == 4 and tiny["injection"]["gbs"] > 0
    assert report["versions"]["torch"] and report["versions"]["trl"] and report["bandwidth"]["copy_gbs"] > 0
    table = (tmp_path / "gpu_check.md").read_text()
    assert "| tiny |" in table and "error" not in table and "skipped" not in table


def test_gpu_check_without_a_gpu_says_so(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "gpu_check.py"), "--out", str(tmp_path)],
        env={**os.environ, "CUDA_VISIBLE_DEVICES": ""},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 2 and "no CUDA GPU is visible; use --dry-run" in done.stderr
