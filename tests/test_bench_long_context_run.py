"""bench/long_context.py end to end on a 662-character slice of a LooGLE document (one step a stage): it adapts
with the PaST arm, asks the one question whose evidence lies in the slice of base, SFT and PaST, records the
cost, and a rerun skips the row it holds. Files and fields, not the effect size."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from backend.bootstrap import seed_default_skills
from tests.bench_modules import BENCH, run_bench

LOOGLE = BENCH.parent.parent / "shared" / "data" / "loogle" / "longdep_qa.jsonl"
SKILL = "closed-book-qa-smollm2-135m"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not LOOGLE.is_file(), reason="needs ../shared/data/loogle (the shared data beside the project)"),
]


def test_long_context_bench_adapts_asks_three_systems_and_resumes(session_settings, tmp_path: Path) -> None:
    seed_default_skills(session_settings)
    out = tmp_path / "lc"
    args = ["--targets", "longdep_qa:1", "--chars", "1000", "--steps", "1", "--skill", SKILL, "--out", str(out)]
    done = run_bench("long_context", args, session_settings.data_dir)
    assert done.returncode == 0, done.stderr[-3000:]

    [row] = json.loads((out / "long_context.json").read_text())
    assert row["target"] == "longdep_qa:1" and row["chars"] == 662 and row["skill"] == SKILL
    assert len(row["questions"]) == 1 and set(row["scores"]) == {"base", "sft", "past"}
    for answers in row["scores"].values():
        assert [a["qid"] for a in answers] == row["questions"] and answers[0]["prediction"].strip()
    assert row["estimate_s"] > 0 and row["wall_s"] > 0 and row["cpu_s"] > 0 and not row["resumed"]
    assert set(row["stage_seconds"]) >= {"memorise.sft", "qa.synthesis", "qa.sft"}
    table = (out / "summary.md").read_text()
    assert "| past |" in table and "past − sft (paired per question" in table and "| longdep_qa:1 | 662 |" in table

    again = run_bench("long_context", args, session_settings.data_dir, timeout=600)
    assert again.returncode == 0, again.stderr[-3000:]
    assert len(json.loads((out / "long_context.json").read_text())) == 1  # the row it holds is not run again
