"""The Skill library's practice chart (``studio.practice_chart``): one line a round for the reward and for the
share of groups holding a right answer, from the manifest's metrics; nothing drawn from what is not a curve."""

from __future__ import annotations

import json
from pathlib import Path

from studio.practice_chart import NOT_RECORDED, practice_figure

ROOT = Path(__file__).resolve().parent.parent
K2 = ROOT / "assets/skills/recall-practice-k2-smollm2-135m/skill.json"


def test_both_panels_hold_every_round_of_the_bundled_recall_skill() -> None:
    metrics = json.loads(K2.read_text())["metrics"]
    fig = practice_figure(metrics)
    assert [(t.name, t.xaxis, len(t.y)) for t in fig.data] == [
        ("round 1", "x", 24),
        ("round 1", "x2", 24),
        ("round 2", "x", 24),
        ("round 2", "x2", 24),
    ]
    assert list(fig.data[3].y) == metrics["grpo_correct_group_curve"][1]
    assert fig.data[0].line.color == fig.data[1].line.color != fig.data[2].line.color, "a colour a round"
    assert NOT_RECORDED not in fig.layout.annotations[1].text


def test_a_skill_without_group_shares_says_so_and_no_curve_draws_nothing() -> None:
    fig = practice_figure({"grpo_reward_curve": [[0.1, 0.2, 0.3]]})
    assert [t.xaxis for t in fig.data] == ["x"] and NOT_RECORDED in fig.layout.annotations[1].text
    assert practice_figure(None) is None and practice_figure({"grpo_reward_curve": []}) is None
    # a hand-edited manifest: what is not a number is left out, never drawn or raised on
    odd = {"grpo_reward_curve": [[0.5, "x", True, None, 1]], "grpo_correct_group_curve": "?"}
    assert list(practice_figure(odd).data[0].y) == [0.5, 1.0]
    assert practice_figure({"grpo_reward_curve": "nope"}) is None
