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
    assert manifest.description in card and "closed-book QA on SQuAD v1.1 train passages" in card
    assert "From the documents (100):" in card and "and 88 more" in card and "estonian-language-0000" in card
    assert "2 round(s)" in card and "62bcafa08d1a52b8" in card
    assert "fine-tuning 2 epoch(s) per round, practice (GRPO) 60 steps per round" in card
    assert "Built for:** no Adapt preset" in card  # its sources were not learned as targets are
    # what it measurably does (the quality benchmark's numbers, with intervals and what they were measured on)
    evaluation = manifest.metrics["evaluation"]
    for system, words in (("base", "the base model alone"), ("past", "fine-tuned + this skill")):
        correct = evaluation["systems"][system]["correct"]
        assert f"| {words} | {correct['mean']:.1%} | [{correct['low']:.1%} – {correct['high']:.1%}] |" in card
    assert evaluation["measured_on"] in card and "The skill's own effect" in card
    # and with the passage in the prompt (bench/open_book.py), where the skill's effect is measurable
    open_book = manifest.metrics["open_book"]
    assert open_book["measured_on"] in card and "With the passage in the prompt" in card
    gain = open_book["paired"]["skill-only+doc − base+doc"]["correct"]["difference"]
    assert f"Effect of adding this skill to the base model (same questions): {gain['mean'] * 100:+.1f} points" in card
    # size and orthogonality, in words; never the tensor-shape list of the raw manifest
    assert "4.9 MB" in card and f"{len(manifest.params)} weight matrices" in card and "rank 8" in card
    assert "SFT (round 2) vs RL skill v2: mean |cos| 0.002" in card
    assert "control: SFT (round 2) vs SFT (round 1), disjoint documents: mean |cos| 0.009" in card
    assert "model.layers.0.mlp" not in card


def test_card_of_a_skill_built_for_a_preset_says_how_its_sources_learned() -> None:
    manifest = SkillManifest.read(BUNDLED)
    recipe = {**manifest.recipe, "preset": "recall-practice", "sft": {}}
    card = skill_card(dataclasses.replace(manifest, recipe=recipe))
    assert "fine-tuning as the Adapt preset 'recall-practice' per round, practice (GRPO) 60 steps" in card
    assert "Built for:** the Adapt preset 'recall-practice'" in card and "no Adapt preset" not in card


def test_card_without_measurements_or_analysis(tmp_path: Path) -> None:
    manifest = dataclasses.replace(SkillManifest.read(BUNDLED), metrics={})
    card = skill_card(manifest, tmp_path)
    assert HOW_TO_MEASURE in card and "Evaluate it" in card
    assert "No orthogonality analysis is stored" in card


def test_stored_intervals_win_over_wilson() -> None:
    manifest = SkillManifest.read(BUNDLED)
    evaluation = {  # a Stage I evaluation (accuracies and a question count) with one stored interval
        "accuracy": {"base": 0.0, "sft": 2 / 42, "past": 1 / 42},
        "questions": 42,
        "documents": ["isle-of-vessary"],
        "judge": "RuleJudge",
        "lam": 1.0,
        "accuracy_ci": {"sft": [0.01, 0.2]},
    }
    card = skill_card(dataclasses.replace(manifest, metrics={"evaluation": evaluation}), BUNDLED)
    assert "| fine-tuned on the documents | 5% (2 of 42) | [1% – 20%] |" in card
    low, high = wilson(1, 42)  # the others fall back to Wilson intervals, and the card says so
    assert f"| fine-tuned + this skill | 2% (1 of 42) | [{low:.0%} – {high:.0%}] |" in card
    assert "Wilson 95 % intervals" in card


def test_wilson_interval() -> None:
    low, high = wilson(0, 20)
    assert low == 0.0 and 0.15 < high < 0.17
    low, high = wilson(10, 20)
    assert abs((low + high) / 2 - 0.5) < 1e-9 and high - low < 0.45
