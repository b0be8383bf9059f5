"""End to end on the real default model with tiny settings: Stage I (K=2), Stage II, the one evaluator.

Asserts real effects: the SFT loss falls; GRPO moves the adapter and round 2 starts from v_1; a skill vector
whose keys are the model's projections lands in the library with its manifest and its orthogonality analysis
(SFT vs RL, and the SFT-vs-SFT control); a rerun resumes without training again; Stage II's injected adapter
is exactly ΔT + λ·v; evaluation scores every question. Tiny settings keep it to a few minutes on 2 cores.
"""

from __future__ import annotations

import json
from difflib import SequenceMatcher
from pathlib import Path

import pytest
import torch

from past.evaluation import EvalConfig, evaluate_loaded, load_qa_set
from past.judges import RuleQAJudge
from past.models import ModelRegistry
from past.pipeline import AdaptConfig, SkillRecipe, load_sources
from past.pipeline.adapted import adapt_and_publish
from past.pipeline.build_skill import build_skill
from past.pipeline.records import read_adapted
from past.skills import SkillLibrary
from past.skills.forms.lora import LoraDelta
from past.training.modeling import load_model, load_with_adapter

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "assets" / "corpora" / "skill-source"
TARGET = ROOT / "assets" / "documents"

pytestmark = pytest.mark.slow


class FuzzyJudge:
    """A graded judge (character similarity): with 8-token samples it still separates a group's answers, so
    every GRPO step gets non-zero advantages and really moves the adapter."""

    name = "fuzzy"

    def score(self, question: str, prediction: str, references) -> float:
        refs = [references] if isinstance(references, str) else list(references)
        return max(SequenceMatcher(None, prediction.lower(), r.lower()).ratio() for r in refs)

    def score_batch(self, questions, predictions, references) -> list[float]:
        return [self.score(q, p, r) for q, p, r in zip(questions, predictions, references, strict=True)]


def dense(adapter: Path) -> dict[str, torch.Tensor]:
    delta = LoraDelta(adapter)
    try:
        return {name: delta.dense(name) for name in delta.names()}
    finally:
        delta.close()


TINY_SFT = {"max_steps": 4, "batch_size": 2, "max_length": 128, "lora_r": 8, "lora_alpha": 16, "save_steps": 0}


def test_every_stage_on_the_default_model(session_settings, tmp_path: Path) -> None:
    base = ModelRegistry(session_settings).resolve("default").path
    recipe = SkillRecipe.from_dict(
        {
            "name": "e2e-skill",
            "rounds": [
                [str(SOURCE / "saffron-rail.md"), str(SOURCE / "saffron-rail.qa.json")],
                [str(SOURCE / "tern-island-wrens.md"), str(SOURCE / "tern-island-wrens.qa.json")],
            ],
            "data": {"chunking": "96:16", "synthesis": []},
            "sft": TINY_SFT,
            "grpo": {
                "max_steps": 1,
                "prompts_per_step": 2,
                "num_generations": 2,
                "max_completion_length": 8,
                "lora_r": 4,
                "lora_alpha": 8,
            },
        }
    )
    run_dir = tmp_path / "build"
    manifest = build_skill(recipe, session_settings, run_dir, judge=FuzzyJudge())

    for info in manifest["extra"]["round_details"]:  # SFT learned the source documents
        assert info["sft"]["last_loss"] < info["sft"]["first_loss"]
        assert info["grpo"]["steps"] == 1
    skill_dir = session_settings.skills_dir / "e2e-skill"
    model, _ = load_model(base)
    params = dict(model.named_parameters())
    skill = dense(skill_dir)
    assert len(skill) == 7 * model.config.num_hidden_layers
    assert all(skill[k].shape == params[k].shape for k in skill)
    assert manifest["rank"] == 4 and manifest["rounds"] == 2 and manifest["dtype"] == "bfloat16"
    assert manifest["base_fingerprint"] == ModelRegistry(session_settings).fingerprint("default")
    assert SkillLibrary(session_settings).load("e2e-skill").manifest.form == "lora"  # verified by the library
    # GRPO moved the weights; round 2 started from v_1 and moved on; the skill is v_2 up to bf16 rounding
    v1 = dense(run_dir / "round-1" / "grpo" / "adapter")
    v2 = dense(run_dir / "round-2" / "grpo" / "adapter")
    assert any(v.abs().max() > 0 for v in v1.values())
    assert any(not torch.equal(v1[k], v2[k]) for k in v1)
    for k in v2:
        assert (v2[k] - skill[k]).norm() <= 0.02 * v2[k].norm() + 1e-8
    # Stage I wrote its own analysis: SFT vs RL per round, and the SFT-vs-SFT control in round 2
    analysis = json.loads((skill_dir / "orthogonality.json").read_text())
    labels = [table["label"] for table in analysis]
    assert labels[0].startswith("SFT (round 1) vs RL") and any(label.startswith("control") for label in labels)
    assert all(len(table["rows"]) == 7 * model.config.num_hidden_layers for table in analysis)
    assert set(manifest["metrics"]["orthogonality"]) == set(labels)

    again = build_skill(recipe, session_settings, run_dir, judge=FuzzyJudge())  # resumes: nothing trains again
    assert again["extra"]["timing"] == manifest["extra"]["timing"]

    # Stage II, as the studio and `past adapt` do it: target SFT, then the exact adapter ΔT + λ·v
    lam = 0.5
    config = AdaptConfig.from_preset("passage-only", mode="past", lam=lam)
    config.stages[0].sft = {**TINY_SFT, "max_steps": 6, "max_length": 256}  # each window seen several times
    config.stages[0].data.chunking = "256:16"
    documents = load_sources([TARGET / "isle-of-vessary.md"]).documents
    record = adapt_and_publish(
        session_settings,
        name="vessary-e2e",
        base_ref="default",
        documents=documents,
        config=config,
        run_dir=tmp_path / "adapt",
        skill_name="e2e-skill",
    )
    assert read_adapted(session_settings, "vessary-e2e")["injected"] == record["injected"]
    stage = record["stages"][0]
    assert stage["last_loss"] < stage["first_loss"] and stage["texts"]["passage"] >= 1
    baseline, injected = dense(Path(record["baseline"])), dense(Path(record["injected"]))
    for key, v in skill.items():
        torch.testing.assert_close(injected[key] - baseline[key], lam * v, rtol=0, atol=1e-6)
    assert (Path(record["path"]) / "orthogonality.json").is_file()

    # the one evaluator: a score per held-out question, the rule metrics alongside
    qa = load_qa_set(TARGET / "isle-of-vessary.qa.json").filter(split="test")
    model, tokenizer = load_with_adapter(base, record["injected"])
    result = evaluate_loaded(model, tokenizer, qa, RuleQAJudge(), EvalConfig(max_new_tokens=12), label="past")
    assert len(result.questions) == len(qa) == 4 and result.prompt == "paper" and result.judge == "rule"
    assert all(0.0 <= q.f1 <= 1.0 and q.prediction for q in result.questions)
