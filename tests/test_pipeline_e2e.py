"""End to end on the real default model with tiny settings: SFT, Stage I (K=2), Stage II, evaluation.

Asserts real effects: the SFT loss falls; a skill vector whose keys are the model's projections lands in
the library with its manifest; injection changes the weights by exactly λ·v; evaluation scores every
question. Tiny settings (a few steps, 2 generations of 8 tokens) keep it to a few minutes on 2 cores.
"""

from __future__ import annotations

from difflib import SequenceMatcher
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from past.models import ModelRegistry
from past.pipeline import AdaptConfig, SkillRecipe, adapt, build_skill, evaluate_closed_book, load_corpus
from past.pipeline.lora_delta import lora_deltas
from past.skills import SkillLibrary
from past.training.modeling import load_model

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "assets" / "corpora" / "skill-source"
TARGET = ROOT / "assets" / "documents"

pytestmark = pytest.mark.slow


class FuzzyJudge:
    """A graded judge (character similarity): with 8-token samples it still separates a group's answers, so
    every GRPO step gets non-zero advantages and really moves the adapter (the rule judge mostly gives 0)."""

    name = "fuzzy"

    def score(self, question: str, prediction: str, references) -> float:
        refs = [references] if isinstance(references, str) else list(references)
        return max(SequenceMatcher(None, prediction.lower(), r.lower()).ratio() for r in refs)

    def score_batch(self, questions, predictions, references) -> list[float]:
        return [self.score(q, p, r) for q, p, r in zip(questions, predictions, references, strict=True)]


def test_every_stage_on_the_default_model(session_settings, tmp_path: Path) -> None:
    base = ModelRegistry(session_settings).resolve("default").path
    recipe = SkillRecipe.from_dict(
        {
            "name": "e2e-skill",
            "rounds": [
                [str(SOURCE / "saffron-rail.md"), str(SOURCE / "saffron-rail.qa.json")],
                [str(SOURCE / "tern-island-wrens.md"), str(SOURCE / "tern-island-wrens.qa.json")],
            ],
            "sft": {"max_steps": 4, "batch_size": 2, "max_length": 128, "lora_r": 8, "lora_alpha": 16},
            "grpo": {
                "max_steps": 1,
                "prompts_per_step": 2,
                "num_generations": 2,
                "max_completion_length": 8,
                "lora_r": 4,
                "lora_alpha": 8,
            },
            "chunk_tokens": 96,
            "keep_source_model": False,
        }
    )
    run_dir = tmp_path / "build"
    manifest = build_skill(recipe, session_settings, run_dir, judge=FuzzyJudge())

    # SFT learned the source documents: the loss falls within each round
    for info in manifest["extra"]["round_details"]:
        assert info["sft"]["last_loss"] < info["sft"]["first_loss"]
        assert info["grpo"]["steps"] == 1
    # the skill is in the library: a LoRA over the model's own projections, bf16, with its manifest
    skill_dir = session_settings.skills_dir / "e2e-skill"
    tensors = load_file(skill_dir / "adapter_model.safetensors")
    model, _ = load_model(base)
    params = dict(model.named_parameters())
    deltas = lora_deltas(skill_dir)
    assert len(tensors) == 2 * 7 * model.config.num_hidden_layers
    assert {t.dtype for t in tensors.values()} == {torch.bfloat16}
    assert set(deltas) <= set(params) and all(deltas[k].shape == params[k].shape for k in deltas)
    assert manifest["rank"] == 4 and manifest["rounds"] == 2 and manifest["extra"]["environment"]["device"] == "cpu"
    assert manifest["base_fingerprint"] == ModelRegistry(session_settings).fingerprint("default")
    assert SkillLibrary(session_settings).load("e2e-skill").manifest.form == "lora"  # verified by the library
    # GRPO moved the weights; round 2 started from v_1 and moved on: v_2 ≠ v_1, still a rank-4 adapter
    v1 = lora_deltas(run_dir / "round-1" / "grpo" / "adapter")
    assert any(v.abs().max() > 0 for v in v1.values())
    v2 = lora_deltas(run_dir / "round-2" / "grpo" / "adapter")  # the fp32 adapter the bf16 skill was made from
    assert any(not torch.equal(v1[k], v2[k]) for k in v1)
    for k in v2:  # the shipped skill is v_2 up to bf16 rounding
        assert (v2[k] - deltas[k]).norm() <= 0.02 * v2[k].norm() + 1e-8

    # rerunning resumes: every stage is recorded done and nothing trains again
    again = build_skill(recipe, session_settings, run_dir, judge=FuzzyJudge())
    assert again["extra"]["timing"] == manifest["extra"]["timing"]

    # Stage II: target SFT, then θ = θ_T^sft + λ·v (exactly)
    lam = 0.5
    doc = TARGET / "isle-of-vessary.md"
    result = adapt(
        base,
        [doc],
        skill_dir,
        AdaptConfig(lam=lam, chunk_tokens=96, sft={"max_steps": 3, "batch_size": 2, "max_length": 128}),
        tmp_path / "adapt",
    )
    assert result["sft"]["last_loss"] < result["sft"]["first_loss"]
    final, _ = load_model(result["model_dir"])
    expected, _ = load_model(base)
    sft_deltas = lora_deltas(result["sft"]["adapter_dir"])
    final_params, expected_params = dict(final.named_parameters()), dict(expected.named_parameters())
    with torch.no_grad():
        for key, delta in sft_deltas.items():
            expected_params[key].add_(delta)  # θ_T^sft
        for key, v in deltas.items():
            change = final_params[key] - expected_params[key]
            torch.testing.assert_close(change, lam * v, rtol=0, atol=1e-6)
        untouched = [k for k in final_params if k not in deltas]
        assert untouched and all(torch.equal(final_params[k], expected_params[k]) for k in untouched)

    # closed-book evaluation: a score per held-out question
    qa = load_corpus([TARGET / "isle-of-vessary.qa.json"]).questions("test")
    report = evaluate_closed_book(result["model_dir"], qa, max_new_tokens=12)
    assert len(report["questions"]) == len(qa) == 4
    assert all(0.0 <= row["score"] <= 1.0 and row["prediction"] for row in report["questions"])
    assert 0.0 <= report["mean"] <= 1.0
