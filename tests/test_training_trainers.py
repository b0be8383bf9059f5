"""SFT and GRPO through the real TRL trainers on a tiny random Llama: outputs, resume and cooperative stop."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from datasets import Dataset
from safetensors.torch import load_file

from past.progress import NullReporter
from past.training.grpo import GRPOTrainConfig, train_grpo
from past.training.sft import SFTTrainConfig, train_sft
from tests.tiny_models import make_tiny_llama

ROOT = Path(__file__).resolve().parent.parent
TEXT = "the history of the island was written by a scholar in 1 8 4 3 . it is on the map ."


def tiny_checkpoint(path: Path) -> Path:
    make_tiny_llama(path)
    shutil.copy(ROOT / "tests" / "data" / "tiny_tokenizer.json", path / "tokenizer.json")
    config = {
        "tokenizer_class": "PreTrainedTokenizerFast",
        "eos_token": "</s>",
        "pad_token": "</s>",
        "unk_token": "<unk>",
    }
    config["chat_template"] = "{% for m in messages %}{{ m['content'] }} {% endfor %}"
    (path / "tokenizer_config.json").write_text(json.dumps(config))
    return path


class StopAfter(NullReporter):
    def __init__(self, steps: int) -> None:
        self.steps, self.seen = steps, 0

    def metric(self, step: int, name: str, value: float) -> None:
        self.seen = max(self.seen, step)

    def should_stop(self) -> bool:
        return self.seen >= self.steps


def test_sft_lora_checkpoints_resume_and_stop(tmp_path: Path) -> None:
    model = tiny_checkpoint(tmp_path / "model")
    data = Dataset.from_dict({"text": [TEXT] * 8})
    config = SFTTrainConfig(max_steps=6, batch_size=2, lora_r=4, lora_alpha=8, learning_rate=1e-2, save_steps=2)
    stopped = train_sft(model, data, config, tmp_path / "run", StopAfter(2))
    assert stopped.stopped and stopped.steps < 6  # ended cleanly on request
    assert (tmp_path / "run" / "checkpoints" / "checkpoint-2").is_dir()
    resumed = train_sft(model, data, config, tmp_path / "run")
    assert resumed.resumed_from and resumed.resumed_from.endswith("checkpoint-2") and resumed.steps == 6
    assert resumed.losses[-1] < stopped.losses[0]
    files = {p.name for p in Path(resumed.adapter_dir).iterdir()}
    assert "adapter_model.safetensors" in files and not any(f.endswith((".bin", ".pt")) for f in files)
    assert not any(p.suffix in (".bin", ".pt") for p in (tmp_path / "run" / "checkpoints").rglob("*model*"))
    result = json.loads((tmp_path / "run" / "result.json").read_text())
    assert result["seed"] == 0 and result["config"]["lora_r"] == 4


def test_sft_full_fine_tuning_writes_a_checkpoint(tmp_path: Path) -> None:
    model = tiny_checkpoint(tmp_path / "model")
    data = Dataset.from_dict({"text": [TEXT] * 4})
    result = train_sft(
        model, data, SFTTrainConfig(method="full", max_steps=3, batch_size=2, learning_rate=1e-3), tmp_path / "run"
    )
    weights = load_file(Path(result.model_dir) / "model.safetensors")
    before = load_file(model / "model.safetensors")
    assert result.adapter_dir is None and result.steps == 3
    assert any(not (weights[k] == before[k]).all() for k in before)


def test_grpo_tiny_run_and_warm_start(tmp_path: Path) -> None:
    model = tiny_checkpoint(tmp_path / "model")
    qa = [{"question": "where is the island ?", "answers": ["on the map"]}] * 4
    config = GRPOTrainConfig(
        max_steps=1, prompts_per_step=2, num_generations=2, max_completion_length=4, lora_r=2, lora_alpha=4
    )
    first = train_grpo(model, qa, config, tmp_path / "g1", NullReporter())
    assert first.steps == 1 and len(first.rewards) == 1
    second = train_grpo(model, qa, config, tmp_path / "g2", NullReporter(), init_adapter=first.adapter_dir)
    cfg = json.loads((Path(second.adapter_dir) / "adapter_config.json").read_text())
    assert cfg["r"] == 2 and second.steps == 1
