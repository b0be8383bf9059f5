"""Benchmark records hold no machine paths, and bench/results holds no weights."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tests.bench_modules import BENCH, load_bench

records = load_bench("records")


def test_paths_become_relative_or_symbolic(tmp_path: Path) -> None:
    out = tmp_path / "out"
    value = {
        "adapter_dir": str(out / "p0001-s0" / "adapter"),
        "recipe": str(BENCH.parent / "assets" / "recipes" / "gemma_skill.json"),
        "runs": ["/work/runs/gemma-skill/round-1/theta_sft", "/work/main"],
        "question": "what is /etc for?",
        "n": 3,
    }
    record = out / "results.json"
    out.mkdir()
    records.write_record(record, value, out)
    assert json.loads(record.read_text()) == {
        "adapter_dir": "$OUT/p0001-s0/adapter",
        "recipe": "assets/recipes/gemma_skill.json",
        "runs": ["$RUNS/gemma-skill/round-1/theta_sft", "."],
        "question": "what is /etc for?",
        "n": 3,
    }


def test_committed_results_hold_no_weights_and_no_machine_paths() -> None:
    tracked = subprocess.run(
        ["git", "ls-files", "bench/results"], cwd=BENCH.parent, capture_output=True, text=True, check=True
    ).stdout.split()
    assert not [name for name in tracked if name.endswith((".safetensors", ".bin", ".pt", ".pth", ".gguf"))]
    leaked = [
        name
        for name in tracked
        if name.endswith(".json") and any(p in (BENCH.parent / name).read_text() for p in ('"/work/', '"/tmp/'))
    ]
    assert not leaked
