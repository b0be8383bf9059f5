"""The Skill library's plain-language card, rendered from the bundled skill's manifest and analysis."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from past.skills import SkillManifest
from studio.skill_card import HOW_TO_MEASURE, skill_card, wilson

BUNDLED = Path(__file__).resolve().parent.parent / "assets" / "skills" / "closed-book-qa-smollm2-135m"


def test_card_of_the_bundled_skill() -> None:
    manifest = SkillManifest.read(BUNDLED)
    card = skill_card(manifest, BUNDLED)
    # what it was built on, from which documents
    assert manifest.description in card and "closed-book QA on fictional documents" in card
    assert "brightwater-observatory.md" in card and "tern-island-wrens.qa.json" in card
    assert "2 round(s)" in card and "62bcafa08d1a52b8" in card
    # what it measurably does, with what it was measured on and intervals (42 questions: 2 of 42 correct)
    assert "42 questions" in card and "isle-of-vessary" in card and "RuleJudge" in card and "λ 1" in card
    assert "| fine-tuned on the documents | 5% (2 of 42) |" in card
    low, high = wilson(2, 42)
    assert f"[{low:.0%} – {high:.0%}]" in card and "Wilson 95 % intervals" in card
    # size and orthogonality, in words; never the tensor-shape list of the raw manifest
    assert "4.9 MB" in card and f"{len(manifest.params)} weight matrices" in card and "rank 8" in card
    assert "SFT (round 2) vs RL skill (round 2): mean |cos| 0.002" in card
    assert "control: SFT round 1 vs SFT round 2: mean |cos| 0.020" in card
    assert "model.layers.0.mlp" not in card


def test_card_without_measurements_or_analysis(tmp_path: Path) -> None:
    manifest = dataclasses.replace(SkillManifest.read(BUNDLED), metrics={})
    card = skill_card(manifest, tmp_path)
    assert HOW_TO_MEASURE in card and "Evaluate it" in card
    assert "No orthogonality analysis is stored" in card


def test_stored_intervals_win_over_wilson() -> None:
    manifest = SkillManifest.read(BUNDLED)
    evaluation = {**manifest.metrics["evaluation"], "accuracy_ci": {"sft": [0.01, 0.2]}}
    card = skill_card(dataclasses.replace(manifest, metrics={"evaluation": evaluation}), BUNDLED)
    assert "| fine-tuned on the documents | 5% (2 of 42) | [1% – 20%] |" in card


def test_wilson_interval() -> None:
    low, high = wilson(0, 20)
    assert low == 0.0 and 0.15 < high < 0.17
    low, high = wilson(10, 20)
    assert abs((low + high) / 2 - 0.5) < 1e-9 and high - low < 0.45
