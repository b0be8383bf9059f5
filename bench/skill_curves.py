"""Stage I's practice curves: GRPO reward and the share of groups holding a correct rollout, per step and round.

Reads skill manifests (``skill.json``: ``metrics.grpo_reward_curve``, ``grpo_correct_group_curve``,
``source_accuracy_before_rl``) or build run records (``state.json``: the ``roundK.grpo`` and ``roundK.before_rl``
stage outputs, for a probe that published no skill) and writes one SVG with two panels — reward, correct-group
share — one line per skill and round (a running mean over ``--window`` steps; the raw steps in the table), plus a
Markdown table: steps, the source model's accuracy before RL, and the first and second half of each curve.

    python bench/skill_curves.py assets/skills/closed-book-qa-smollm2-135m/skill.json \\
        bench/results/stage1-recall/state.json assets/skills/recall-practice-k2-smollm2-135m/skill.json \\
        --out bench/results/recall-skill-k2/curves.svg
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from svg import PALETTE, Axes, document
from tables import table


@dataclass
class Round:
    """One Stage I round's practice record."""

    skill: str
    round: int
    reward: str  # what the reward scores, in words
    rewards: list[float]
    correct_groups: list[float] = field(default_factory=list)  # empty when the build did not record it
    before_rl: dict[str, Any] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return f"{self.skill} round {self.round}"


def reward_words(reward: dict[str, Any] | None, prompts: list[str], tokens: int | None) -> str:
    """The reward a build used, in words (manifest ``metrics.reward`` or the recipe's ``reward``)."""
    kind = (reward or {}).get("kind", "?")
    if kind == "short-answer":
        text = f"token F1 + brevity bonus {reward.get('bonus')} (≤ {reward.get('max_words')} words)"
    elif kind == "rule":
        text = "token F1 of the answer line" if "recall" in prompts else "token F1 of the reply"
    else:
        text = kind
    return f"{text}, {'/'.join(prompts) or '?'} prompt, {tokens or '?'} tokens"


def read(path: Path) -> list[Round]:
    """The rounds of a skill manifest or a build run record."""
    data = json.loads(path.read_text(encoding="utf-8"))
    if "metrics" in data:  # a skill manifest
        metrics, grpo = data["metrics"], (data.get("recipe") or {}).get("grpo") or {}
        words = reward_words(metrics.get("reward"), grpo.get("prompts") or [], grpo.get("max_completion_length"))
        groups = metrics.get("grpo_correct_group_curve") or []
        before = metrics.get("source_accuracy_before_rl") or []
        return [
            Round(
                data["name"],
                k + 1,
                words,
                rewards,
                groups[k] if k < len(groups) else [],
                before[k] if k < len(before) else {},
            )
            for k, rewards in enumerate(metrics.get("grpo_reward_curve") or [])
        ]
    spec, stages = data["spec"], data["stages"]  # a build run record
    grpo = spec.get("grpo") or {}
    words = reward_words(spec.get("reward"), grpo.get("prompts") or [], grpo.get("max_completion_length"))
    rounds = sorted(int(m.group(1)) for key in stages if (m := re.fullmatch(r"round(\d+)\.grpo", key)))
    out = []
    for k in rounds:
        practice = stages[f"round{k}.grpo"].get("outputs") or {}
        before = (stages.get(f"round{k}.before_rl") or {}).get("outputs") or {}
        out.append(
            Round(spec["name"], k, words, practice.get("rewards") or [], practice.get("correct_groups") or [], before)
        )
    return out


def running_mean(values: list[float], window: int) -> list[tuple[float, float]]:
    """(step, mean of the last ``window`` steps up to it), steps counted from 1."""
    windows = [values[max(0, i - window + 1) : i + 1] for i in range(len(values))]
    return [(i + 1, sum(w) / len(w)) for i, w in enumerate(windows)]


def halves(values: list[float]) -> str:
    """Mean of the first half → mean of the second half; "—" when there is nothing."""
    if not values:
        return "—"
    half = max(1, len(values) // 2)
    first, second = values[:half], values[half:] or values[:half]
    return f"{sum(first) / len(first):.2f} → {sum(second) / len(second):.2f}"


def before_words(before: dict[str, Any]) -> str:
    if not before.get("n_questions"):
        return "—"
    right = round(before["accuracy"] * before["n_questions"])
    return f"{right}/{before['n_questions']} ({before['accuracy']:.1%})"


def chart(rounds: list[Round], window: int) -> str:
    """Two panels (reward, correct-group share) over the GRPO step within a round; a numbered legend below."""
    width, panel, gap = 920, 250, 60
    steps = max([len(r.rewards) for r in rounds] + [1])
    reward_max = math.ceil(max([max(r.rewards, default=0.0) for r in rounds] + [0.1]) * 10) / 10
    reward = Axes(steps, reward_max, left=70, right=width - 20, top=40, bottom=40 + panel)
    groups = Axes(steps, 1.0, left=70, right=width - 20, top=40 + panel + gap, bottom=40 + 2 * panel + gap)
    parts = reward.frame("GRPO step within the round", "reward (running mean)", x_format="{:.0f}")
    parts += groups.frame(
        "GRPO step within the round", "groups with a correct rollout", x_format="{:.0f}", y_format="{:.0%}"
    )
    legend_top = 40 + 2 * panel + gap + 56
    skills = list(dict.fromkeys(r.skill for r in rounds))  # one colour a skill, dashed after its first round
    for n, r in enumerate(rounds, start=1):
        color = PALETTE[skills.index(r.skill) % len(PALETTE)]
        dashed = r.round > 1
        parts.append(reward.line(running_mean(r.rewards, window), color, dashed=dashed))
        if r.correct_groups:
            parts.append(groups.line(running_mean(r.correct_groups, window), color, dashed=dashed))
        measured = [f"sources right before RL {before_words(r.before_rl)}"] if r.before_rl.get("n_questions") else []
        measured += [] if r.correct_groups else ["correct groups not recorded"]
        text = " · ".join([f"{r.label}: {r.reward}", *measured])
        y = legend_top + 16 * (n - 1)
        dash = ' stroke-dasharray="3 3"' if dashed else ""
        parts.append(f'<line x1="70" y1="{y - 4}" x2="96" y2="{y - 4}" stroke="{color}" stroke-width="2"{dash}/>')
        parts.append(f'<text x="102" y="{y}">{escape(text)}</text>')
    title = f"Stage I practice: GRPO reward and groups with a correct rollout (running mean over {window} steps)"
    return document(width, legend_top + 16 * len(rounds) + 4, title, parts)


def markdown(rounds: list[Round]) -> str:
    rows = [
        [r.label, len(r.rewards), before_words(r.before_rl), halves(r.rewards), halves(r.correct_groups), r.reward]
        for r in rounds
    ]
    header = ["skill, round", "GRPO steps", "sources right before RL", "reward (1st → 2nd half)"]
    header += ["groups with a correct rollout (1st → 2nd half)", "reward"]
    return "\n".join(table(header, rows)) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("records", nargs="+", type=Path, help="skill.json manifests or build state.json records")
    parser.add_argument("--out", type=Path, required=True, help="the SVG to write")
    parser.add_argument("--window", type=int, default=4, help="steps in the running mean (default 4)")
    args = parser.parse_args()
    if args.window < 1:
        parser.error("--window must be at least 1")
    rounds = [r for path in args.records for r in read(path)]
    if not rounds:
        parser.error("no GRPO rounds in these records")
    args.out.write_text(chart(rounds, args.window), encoding="utf-8")
    print(markdown(rounds))


if __name__ == "__main__":
    main()
