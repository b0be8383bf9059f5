"""Fast unit tests of the training/pipeline plumbing: data, reporter callback, LoRA delta math, state, recipes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from peft import LoraConfig, get_peft_model
from transformers import LlamaForCausalLM, TrainerControl, TrainerState

from past.errors import ConfigError, PastError
from past.pipeline.corpus import chunk_text, load_corpus
from past.pipeline.lora_delta import AdapterError, add_deltas, concat_adapters, copy_adapter, lora_deltas
from past.pipeline.recipe import SkillRecipe
from past.pipeline.state import RunState
from past.progress import NullReporter
from past.training.callbacks import ReporterCallback
from past.training.data import TrainingDataError, build_grpo_dataset, load_qa_pairs, load_records
from past.training.grpo import GRPOTrainConfig, judge_reward
from past.training.sft import SFTTrainConfig
from tests.tiny_models import make_tiny_llama

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


def test_records_and_qa_pairs(tmp_path: Path) -> None:
    path = tmp_path / "data.jsonl"
    path.write_text('{"question": "Q1?", "answer": "A1"}\n\n{"question": "Q2?", "answers": ["A2", "B2"]}\n')
    pairs = load_qa_pairs(path)
    assert [p["answers"] for p in pairs] == [["A1"], ["A2", "B2"]]
    ds = build_grpo_dataset(pairs)
    assert ds[0]["prompt"] == [{"role": "user", "content": "Q1?"}]  # closed book: the question only
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "ok"}\n{not json}\n')
    with pytest.raises(TrainingDataError, match=r"bad.jsonl:2"):
        load_records(bad)
    with pytest.raises(TrainingDataError, match="question and an answer"):
        load_qa_pairs([{"question": "no answer"}])


def test_judge_reward_scores_completions() -> None:
    from past.judges import RuleJudge

    reward = judge_reward(RuleJudge())
    completions = [[{"role": "assistant", "content": "It was Edda Morrow."}], [{"role": "assistant", "content": "No"}]]
    assert reward(prompts=[None, None], completions=completions, answers=[["Edda Morrow"], ["Edda Morrow"]]) == [
        1.0,
        0.0,
    ]


def test_corpus_loads_the_shipped_sources_and_chunks() -> None:
    corpus = load_corpus([ROOT / "assets" / "corpora" / "skill-source"])
    assert len(corpus.documents) == 4 and len(corpus.qa) == 40
    assert {q["doc_id"] for q in corpus.qa} == {d.doc_id for d in corpus.documents}

    class WordTokenizer:
        def __call__(self, text: str) -> dict:
            return {"input_ids": text.split()}

    chunks = chunk_text(corpus.documents[0].text, WordTokenizer(), 60)
    assert len(chunks) > 1 and all(len(c.split()) <= 60 for c in chunks)
    assert " ".join(" ".join(chunks).split()) == " ".join(corpus.documents[0].text.split())


def _tiny_adapter(tmp_path: Path, name: str, r: int, alpha: int, seed: int) -> tuple[Path, Path]:
    base = make_tiny_llama(tmp_path / "base")
    torch.manual_seed(seed)
    model = get_peft_model(
        LlamaForCausalLM.from_pretrained(base), LoraConfig(r=r, lora_alpha=alpha, target_modules="all-linear")
    )
    for n, p in model.named_parameters():
        if "lora_B" in n:
            torch.nn.init.normal_(p, std=0.1)  # a non-zero delta
    model.save_pretrained(tmp_path / name)
    return base, tmp_path / name


def test_lora_delta_matches_peft_merge(tmp_path: Path) -> None:
    from peft import PeftModel

    base, adapter = _tiny_adapter(tmp_path, "a", r=4, alpha=8, seed=1)
    merged = PeftModel.from_pretrained(LlamaForCausalLM.from_pretrained(base), adapter).merge_and_unload()
    ours = LlamaForCausalLM.from_pretrained(base)
    count = add_deltas(ours, lora_deltas(adapter), 1.0)
    assert count == 2 * 7  # 2 layers × 7 projections
    for (name, a), (_, b) in zip(merged.state_dict().items(), ours.state_dict().items(), strict=True):
        assert torch.allclose(a, b, atol=1e-6), name


def test_concat_adapter_is_exactly_the_weighted_sum(tmp_path: Path) -> None:
    _, first = _tiny_adapter(tmp_path, "a", r=4, alpha=8, seed=1)
    _, second = _tiny_adapter(tmp_path, "b", r=2, alpha=16, seed=2)
    out = concat_adapters([(first, 1.0), (second, 0.5)], tmp_path / "cat")
    cat, da, db = lora_deltas(out), lora_deltas(first), lora_deltas(second)
    assert json.loads((out / "adapter_config.json").read_text())["r"] == 6
    for key in da:
        assert torch.allclose(cat[key], da[key] + 0.5 * db[key], atol=1e-6)


def test_copy_adapter_bf16_and_errors(tmp_path: Path) -> None:
    _base, adapter = _tiny_adapter(tmp_path, "a", r=4, alpha=8, seed=1)
    copied = copy_adapter(adapter, tmp_path / "skill", torch.bfloat16)
    from safetensors.torch import load_file

    assert {t.dtype for t in load_file(copied / "adapter_model.safetensors").values()} == {torch.bfloat16}
    with pytest.raises(AdapterError, match="not a LoRA adapter"):
        lora_deltas(tmp_path)
    wrong = make_tiny_llama(tmp_path / "wide", hidden=48)
    with pytest.raises(AdapterError, match="shape mismatch"):
        add_deltas(LlamaForCausalLM.from_pretrained(wrong), lora_deltas(adapter), 1.0)


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
    assert len(recipe.rounds) == 2 and all(Path(p).is_file() for r in recipe.rounds for p in r)
    assert recipe.sft_config().lora_r == 32 and recipe.grpo_config().num_generations >= 2
    bad = tmp_path / "r.json"
    bad.write_text(json.dumps({"name": "x", "rounds": [["a.md"]], "sft": {"lr": 1}}))
    with pytest.raises(ConfigError, match="unknown SFTTrainConfig setting"):
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
