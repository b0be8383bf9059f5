"""The Skill library's "measured effect" column says what was measured, on what, and never "not measured"
when numbers exist (the bundled skill keeps them under ``metrics.evaluation``)."""

from __future__ import annotations

from pathlib import Path

from past.skills import SkillManifest
from studio.skills_tab import effect_text

BUNDLED = Path(__file__).resolve().parent.parent / "assets" / "skills" / "closed-book-qa-smollm2-135m"


def test_the_bundled_skill_shows_its_measured_accuracy_and_what_it_was_measured_on() -> None:
    manifest = SkillManifest.read(BUNDLED)
    evaluation = manifest.metrics["evaluation"]  # attached by bench/quality.py --attach-to-skill
    text = effect_text(manifest)
    assert text.startswith("short-answer accuracy: ")
    for system, label in (("base", "base"), ("sft-synth", "fine-tuned"), ("past", "fine-tuned + skill")):
        estimate = evaluation["systems"][system]["correct"]
        assert f"{label} {estimate['mean']:.1%} [{estimate['low']:.1%}, {estimate['high']:.1%}]" in text
    difference = evaluation["paired"]["past − sft-synth"]["correct"]["difference"]
    assert f"skill − fine-tuned {difference['mean'] * 100:+.1f} points" in text
    assert evaluation["measured_on"] in text and "held-out SQuAD dev passages" in text


def test_a_stage_one_evaluation_reads_as_plain_accuracies() -> None:
    evaluation = {
        "accuracy": {"base": 0.0, "sft": 0.05, "past": 0.1},
        "questions": 42,
        "documents": ["a", "b", "c"],
        "judge": "rule",
        "lam": 1.0,
    }
    text = effect_text(SkillManifest(name="x", metrics={"evaluation": evaluation}))
    assert text == "closed-book accuracy: base 0.0%, fine-tuned 5.0%, fine-tuned + skill 10.0% " + (
        "(42 questions, 3 documents, judge rule, λ 1)"
    )


def test_effect_text_without_numbers_or_with_plain_ones() -> None:
    assert effect_text(SkillManifest(name="x")) == "not measured"
    assert effect_text(SkillManifest(name="x", metrics={"evaluation": {"judge": "rule"}})) == "not measured"
    assert effect_text(SkillManifest(name="x", metrics={"reward_gain": 0.25})) == "reward_gain 0.25"
    assert effect_text(SkillManifest(name="x", metrics={"summary": "+3 points"})) == "+3 points"
