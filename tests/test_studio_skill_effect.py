"""The Skill library's "measured effect" column says what was measured, on what, and never "not measured"
when numbers exist (the bundled skill keeps them under ``metrics.evaluation``)."""

from __future__ import annotations

from pathlib import Path

from past.skills import SkillManifest
from studio.skills_tab import effect_text

BUNDLED = Path(__file__).resolve().parent.parent / "assets" / "skills" / "closed-book-qa-smollm2-135m"


def test_the_bundled_skill_shows_its_measured_accuracy_and_what_it_was_measured_on() -> None:
    manifest = SkillManifest.read(BUNDLED)
    evaluation = manifest.metrics["evaluation"]
    text = effect_text(manifest)
    assert text != "not measured"
    for system, label in (("base", "base"), ("sft", "fine-tuned"), ("past", "fine-tuned + skill")):
        assert f"{label} {evaluation['accuracy'][system]:.1%}" in text
    assert f"{evaluation['questions']} questions" in text and f"{len(evaluation['documents'])} documents" in text
    assert f"λ {evaluation['lam']:g}" in text


def test_effect_text_without_numbers_or_with_plain_ones() -> None:
    assert effect_text(SkillManifest(name="x")) == "not measured"
    assert effect_text(SkillManifest(name="x", metrics={"evaluation": {"judge": "rule"}})) == "not measured"
    assert effect_text(SkillManifest(name="x", metrics={"reward_gain": 0.25})) == "reward_gain 0.25"
    assert effect_text(SkillManifest(name="x", metrics={"summary": "+3 points"})) == "+3 points"
