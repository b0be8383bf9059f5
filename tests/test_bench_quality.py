"""bench/quality.py end to end on 1 passage × 1 seed (tiny epochs), then its open-book and judge ablations on
the same run: their files and fields, not the effect size."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from backend.bootstrap import seed_default_skills
from past.evaluation.report_card import load_probes
from past.settings import DATA_DIR_ENV
from tests.machine import TORCH_THREADS

ROOT = Path(__file__).resolve().parent.parent
DEV = ROOT.parent / "shared" / "data" / "squad" / "dev_passages.json"
SKILL = "closed-book-qa-smollm2-135m"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not DEV.is_file(), reason="needs ../shared/data/squad (the shared data beside the project)"),
]


def test_quality_benchmark_writes_its_report(session_settings, tmp_path: Path) -> None:
    seed_default_skills(session_settings)
    out = tmp_path / "quality"
    command = [sys.executable, str(ROOT / "bench" / "quality.py"), "--skill", SKILL, "--passages", "50", "--limit", "1"]
    command += ["--seeds", "0", "--epochs", "1", "--lambdas", "0.5", "--threads", str(TORCH_THREADS), "--out", str(out)]
    command += ["--max-questions", "3", "--keep-adapters", str(tmp_path / "kept")]
    env = {**os.environ, DATA_DIR_ENV: str(session_settings.data_dir)}
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=1200)
    assert done.returncode == 0, done.stderr[-3000:]

    results = json.loads((out / "results.json").read_text())
    systems = {"base", "sft-passage", "sft-synth", "past", "skill-only", "past@0.5"}
    assert set(results["systems"]) == systems - {"past@0.5"}  # the λ sweep is reported apart, seed by seed
    sweep = results["lambda_sweep"]
    assert sweep["seeds"] == [0] and set(sweep["systems"]) == {"sft-synth", "past", "past@0.5"}
    assert "past@0.5 − sft-synth" in sweep["paired"]
    for entry in results["systems"].values():
        for metric in ("correct", "f1", "em", "containment"):
            estimate = entry[metric]
            assert estimate["low"] <= estimate["mean"] <= estimate["high"] and estimate["clusters"] == 1
    assert "past − sft-synth" in results["paired"]
    paired = results["paired"]["past − sft-synth"]["f1"]
    assert paired["a_better"] + paired["b_better"] + paired["ties"] == results["systems"]["past"]["questions"]
    assert results["settings"]["passages"] == [0] and results["settings"]["seeds"] == [0]
    assert all(v > 0 for v in results["cpu_minutes_per_passage"].values())
    with open(out / "questions.csv", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert {r["system"] for r in rows} == systems and all(r["prediction"] is not None for r in rows)
    assert "| past − sft-synth |" in (out / "summary.md").read_text()
    assert "plotly" in (out / "chart.html").read_text()[:5000].lower()
    assert len(list((out / "units").glob("p*.json"))) == 2  # the passage: seedless + seed 0
    # the kept fine-tune carries how it was trained: bench/target_recipes.py reuses it only as the same recipe
    (kept,) = (tmp_path / "kept").iterdir()
    record = json.loads((kept / "kept-training.json").read_text())
    assert record["seed"] == 0 and record["stages"][0]["sft"]["num_train_epochs"] == 1 and record["train_cpu_s"] > 0

    again = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert again.returncode == 0 and "done" not in again.stdout  # resumed: every unit was already there

    # systems added on kept fine-tunes only (bench/target_recipes.py keeps them too): no training, no other passage
    added = tmp_path / "added"
    only = [*command[:4], "--passages", "50", "--limit", "2", "--seeds", "0", "--max-questions", "3", "--only-kept"]
    only += ["--systems", "sft-synth,past", "--keep-adapters", str(tmp_path / "kept"), "--out", str(added)]
    only += ["--threads", str(TORCH_THREADS)]
    done = subprocess.run(only, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    assert sorted(p.name for p in (added / "units").glob("p*.json")) == ["p0000-base.json", "p0000-s0.json"]
    unit = json.loads((added / "units" / "p0000-s0.json").read_text())
    assert set(unit["runs"]) == {"sft-synth", "past"} and "sft-synth-training" not in unit["cost"]
    first = json.loads((out / "units" / "p0000-s0.json").read_text())["runs"]["past"]["questions"]
    assert [q["prediction"] for q in unit["runs"]["past"]["questions"]] == [q["prediction"] for q in first]

    # the forgetting probes added later on the same units: nothing answered again, each probe count stored once
    wrong = subprocess.run([*only, "--probes", "sft-passage"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert wrong.returncode == 2 and "sft-passage cannot be probed" in wrong.stderr
    probed = subprocess.run(
        [*only, "--probes", "base,sft-synth,past"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert probed.returncode == 0, probed.stderr[-3000:]
    again = json.loads((added / "units" / "p0000-s0.json").read_text())
    assert again["runs"] == unit["runs"], "the probes were added without answering the questions again"
    n = len(load_probes())
    assert set(again["probes"]) == {"sft-synth", "past"}
    assert all(c["n"] == n and 0 <= c["kept"] <= n for c in again["probes"].values())
    report = json.loads((added / "results.json").read_text())["probes"]
    assert set(report["fixed"]) == {"base"} and report["n"] == n
    assert report["systems"]["past"]["mean"] == again["probes"]["past"]["kept"]
    difference = again["probes"]["past"]["kept"] - again["probes"]["sft-synth"]["kept"]
    assert report["paired"]["past − sft-synth"]["mean"] == difference
    assert "Forgetting probes kept of" in (added / "summary.md").read_text()

    # the open-book ablation reuses the kept fine-tunes: no training, four systems with the passage in the prompt
    book = tmp_path / "open-book"
    command = [sys.executable, str(ROOT / "bench" / "open_book.py"), "--skill", SKILL, "--main", str(out)]
    command += ["--keep-adapters", str(tmp_path / "kept"), "--limit", "1", "--max-questions", "3", "--out", str(book)]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    opened = json.loads((book / "results.json").read_text())
    assert list(opened["systems"]) == [
        "base",
        "base+doc",
        "skill-only",
        "skill-only+doc",
        "sft-synth",
        "sft-synth+doc",
        "past",
        "past+doc",
    ]
    assert {"skill-only+doc − base+doc", "past+doc − sft-synth+doc", "past+doc − past"} <= set(opened["paired"])
    unit = json.loads((book / "units" / "p0000-s0.json").read_text())
    (question, *_) = unit["runs"]["base+doc"]["questions"]
    assert question["retrieved"] == [f"{unit['title']}#0"], "the passage itself was put in the prompt"
    closed = results["systems"]["sft-synth"]["f1"]["mean"]
    assert opened["systems"]["sft-synth"]["f1"]["mean"] == pytest.approx(closed), "paired with the same answers"

    judged = tmp_path / "judges.md"
    command = [sys.executable, str(ROOT / "bench" / "judge_ablation.py"), "--main", str(out), "--seeds", "0"]
    done = subprocess.run([*command, "--out", str(judged)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    lines = [line for line in judged.read_text().splitlines() if line.startswith("| ")]
    assert [line.split(" | ")[0] for line in lines[1:]] == [
        "| EM",
        "| F1 ≥ 0.5 (default)",
        "| F1 ≥ 0.3",
        "| contains",
        "| contains, ≤ 10 words",
    ]
    default_past = results["systems"]["past"]["correct"]["mean"]
    assert f"{default_past:.3f}" in lines[2].split(" | ")[4], "the default judge row is the benchmark's own number"
