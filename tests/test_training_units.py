"""Fast unit tests of the training/pipeline plumbing: data, reporter callback, LoRA delta math, state, recipes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from transformers import TrainerControl, TrainerState

from past.errors import ConfigError, PastError
from past.pipeline.recipe import SkillRecipe
from past.pipeline.state import RunState
from past.progress import NullReporter
from past.training.callbacks import ReporterCallback
from past.training.data import TrainingDataError, build_grpo_dataset, load_records
from past.training.grpo import GRPOTrainConfig, judge_reward
from past.training.sft import SFTTrainConfig

ROOT = Path(__file__).resolve().parent.parent


class RecordingReporter(NullReporter):
    def __init__(self, stop_after: int | None = None) -> None:
        self.metrics: list[tuple[int, str, float]] = []
        self.checks = 0
        self.stop_after = stop_after

    def metric(self, step: int, name: str, value: float) -> None:
        self.metrics.append((step, name, value))

    def should_stop(self) -> bool:
        self.checks += 1
        return self.stop_after is not None and self.checks > self.stop_after


def test_callback_forwards_metrics_and_stops_cleanly() -> None:
    reporter = RecordingReporter(stop_after=1)
    callback = ReporterCallback(reporter)
    state, control = TrainerState(), TrainerControl()
    state.global_step, state.max_steps = 3, 10
    callback.on_log(None, state, control, logs={"loss": 1.5, "reward": 0.25, "kl": 0.01, "learning_rate": 1e-3})
    assert ("loss", 1.5) in [(n, v) for _, n, v in reporter.metrics]
    assert {n for _, n, _ in reporter.metrics} == {"loss", "reward", "kl", "lr"}
    assert control.should_training_stop is False
    callback.on_step_end(None, state, control)
    assert control.should_training_stop is True and callback.stopped


def test_records_and_grpo_prompts(tmp_path: Path) -> None:
    pairs = [{"question": "Q1?", "answers": ["A1"]}, {"question": "Q2?", "answers": ["A2", "B2"]}]
    ds = build_grpo_dataset(pairs)
    assert ds[0]["prompt"] == [{"role": "user", "content": "Q1?"}]  # closed book: the question only
    both = build_grpo_dataset(pairs, styles=("paper", "question"))
    assert len(both) == 4 and both[0]["prompt"][0]["content"].startswith("Let's answer a question directly")
    assert both[0]["answers"] == ["A1"] and both[2]["prompt"][0]["content"] == "Q1?"
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "ok"}\n{not json}\n')
    with pytest.raises(TrainingDataError, match=r"bad.jsonl line 2 is not valid JSON"):
        load_records(bad)


def test_judge_reward_scores_completions() -> None:
    from past.judges import RuleQAJudge

    reward = judge_reward(RuleQAJudge())
    completions = [[{"role": "assistant", "content": "Edda Morrow."}], [{"role": "assistant", "content": "No"}]]
    assert reward(prompts=[None, None], completions=completions, answers=[["Edda Morrow"], ["Edda Morrow"]]) == [
        1.0,
        0.0,
    ]


def test_run_state_skips_completed_stages(tmp_path: Path) -> None:
    calls = []
    state = RunState(tmp_path, "test")
    assert state.run("a", lambda: calls.append(1) or {"x": 1}, NullReporter()) == {"x": 1}
    with pytest.raises(RuntimeError):
        state.run("b", lambda: (_ for _ in ()).throw(RuntimeError("boom")), NullReporter())
    again = RunState(tmp_path, "test")  # a new process resuming
    assert again.run("a", lambda: calls.append(2) or {"x": 2}, NullReporter()) == {"x": 1}
    assert calls == [1] and not again.done("b")


def test_recipe_loading_and_validation(tmp_path: Path) -> None:
    recipe = SkillRecipe.load(ROOT / "assets" / "recipes" / "default_skill.json")
    assert recipe.n_rounds == 2 and all(Path(p).is_absolute() for p in recipe.sources)
    assert recipe.sft_config().lora_r == 32 and recipe.grpo_config().num_generations >= 2
    assert recipe.grpo_config().prompts == ["paper", "question"] and recipe.reward["kind"] == "short-answer"
    bad = tmp_path / "r.json"
    bad.write_text(json.dumps({"name": "x", "rounds": [["a.md"]], "sft": {"lr": 1}}))
    with pytest.raises(ConfigError, match="unknown SFTTrainConfig setting"):
        SkillRecipe.load(bad)
    bad.write_text(json.dumps({"name": "x", "rounds": [["a.md"]], "sources": ["b.md"]}))
    with pytest.raises(ConfigError, match="either per round"):
        SkillRecipe.load(bad)
    bad.write_text(json.dumps({"name": "x", "sources": ["a.md"], "grpo": {"prompts": ["chatty"]}}))
    with pytest.raises(ConfigError, match="unknown prompt style"):
        SkillRecipe.load(bad)
    bad.write_text(json.dumps({"name": "bad name!", "rounds": [["a.md"]]}))
    with pytest.raises(ConfigError, match="skill name"):
        SkillRecipe.load(bad)
    bad.write_text("{")
    with pytest.raises(PastError, match="not valid JSON"):
        SkillRecipe.load(bad)


def test_configs_have_the_cpu_defaults(tmp_path: Path) -> None:
    sft = SFTTrainConfig()
    assert (sft.method, sft.lora_r, sft.lora_alpha, sft.learning_rate, sft.target_modules) == (
        "lora",
        32,
        64,
        1e-3,
        "all-linear",
    )
    args = sft.to_trl(tmp_path, use_cpu=True)
    assert args.bf16 is False and args.gradient_checkpointing is False
    grpo = GRPOTrainConfig(prompts_per_step=3, num_generations=2, use_vllm=True).to_trl(tmp_path, use_cpu=True)
    assert grpo.per_device_train_batch_size == 6 and grpo.num_generations == 2 and grpo.use_vllm
