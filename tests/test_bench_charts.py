"""Stage I's practice curves for bench/README (``bench/skill_curves.py``): read from the bundled skill's manifest
and from a build run record, drawn as well-formed SVG with one line per round and curve (the storage curve's
test is in ``tests/test_recall_format.py``)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.bench_modules import BENCH, load_bench

ROOT = BENCH.parent
K2_SKILL = ROOT / "assets/skills/recall-practice-k2-smollm2-135m/skill.json"
NS = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="module")
def curves():
    return load_bench("skill_curves")


def test_rounds_are_read_from_a_manifest_with_what_the_source_model_knew(curves) -> None:
    rounds = curves.read(K2_SKILL)
    assert [(r.round, len(r.rewards), len(r.correct_groups)) for r in rounds] == [(1, 24, 24), (2, 24, 24)]
    assert [r.before_rl["n_questions"] for r in rounds] == [58, 54]
    assert curves.before_words(rounds[1].before_rl) == "9/54 (16.7%)"
    assert rounds[0].reward == "token F1 of the answer line, recall prompt, 96 tokens"


def test_rounds_are_read_from_a_build_record_in_round_order(curves, tmp_path: Path) -> None:
    grpo = {"rewards": [0.0, 0.5], "correct_groups": [0.0, 0.25]}
    state = {
        "spec": {"name": "probe", "reward": {"kind": "rule"}, "grpo": {"prompts": ["paper"]}},
        "stages": {
            "round2.grpo": {"outputs": {**grpo, "rewards": [0.1]}},
            "round1.grpo": {"outputs": grpo},
            "round1.before_rl": {"outputs": {"accuracy": 0.5, "n_questions": 4}},
            "round1.sft": {"outputs": {}},
        },
    }
    path = tmp_path / "state.json"
    path.write_text(json.dumps(state))
    rounds = curves.read(path)
    assert [(r.round, r.rewards) for r in rounds] == [(1, [0.0, 0.5]), (2, [0.1])]
    assert rounds[0].before_rl["n_questions"] == 4 and rounds[1].before_rl == {}
    assert rounds[0].reward.startswith("token F1 of the reply")


def test_running_mean_and_halves(curves) -> None:
    assert curves.running_mean([0.0, 1.0, 1.0, 0.0], 2) == [(1, 0.0), (2, 0.5), (3, 1.0), (4, 0.5)]
    assert curves.halves([0.0, 0.0, 1.0, 0.5]) == "0.00 → 0.75"
    assert curves.halves([]) == "—"


def test_the_practice_chart_draws_one_line_per_round_and_curve(curves) -> None:
    rounds = curves.read(K2_SKILL)
    rounds.append(curves.Round("no-groups", 1, "r", [0.1, 0.2, 0.3]))  # an older build: reward only
    svg = ET.fromstring(curves.chart(rounds, window=4))
    assert len(svg.findall(f"{NS}polyline")) == 3 + 2  # three reward lines, two correct-group lines
    legend = [t.text for t in svg.findall(f"{NS}text") if t.text and "round" in t.text]
    assert any("sources right before RL 5/58" in t for t in legend)
    assert any(t.startswith("no-groups round 1") and "correct groups not recorded" in t for t in legend)
    assert "| recall-practice-k2-smollm2-135m round 2 | 24 | 9/54 (16.7%) |" in curves.markdown(rounds)
