"""Supervised fine-tuning (SFT) on passages and synthetic data with TRL's SFTTrainer: LoRA or full.

``SFTTrainConfig`` holds our defaults (CPU: LoRA r=32, α=64, lr 1e-3 on every linear projection) and
the settings that make a trainer step cost about one raw forward+backward on CPU (see bench/README.md):
fp32 (no bf16 autocast), no gradient checkpointing, and the model's own loss instead of TRL's chunked
full-vocab LM head with entropy/accuracy metrics. ``train_sft`` writes a PEFT
adapter (or a full checkpoint) as safetensors, checkpoints for resuming, and ``result.json``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from datasets import Dataset

from past.device import training_dtype, training_precision
from past.errors import ConfigError
from past.progress import NullReporter, Reporter
from past.training.callbacks import ReporterCallback
from past.training.modeling import load_model
from past.training.runs import train_resumable, write_json


@dataclass
class SFTTrainConfig:
    """What an SFT run does; JSON-serialisable (recipes store it)."""

    method: str = "lora"  # "lora" or "full"
    lora_r: int = 32
    lora_alpha: int = 64
    lora_dropout: float = 0.0
    target_modules: str | list[str] = "all-linear"
    learning_rate: float = 1e-3
    max_steps: int = 30
    num_train_epochs: float = 1.0  # used only when max_steps <= 0
    batch_size: int = 4
    gradient_accumulation_steps: int = 1
    max_length: int = 256
    warmup_ratio: float = 0.0
    lr_scheduler_type: str = "constant"
    weight_decay: float = 0.0
    seed: int = 0
    logging_steps: int = 1
    save_steps: int = 0  # 0: no intermediate checkpoints
    save_total_limit: int = 2
    resume: bool = True
    bf16: bool = False  # bf16 autocast; on CPU it is a slowdown for a small fp32 model
    gradient_checkpointing: bool = False
    packing: bool = False
    token_metrics: bool = False  # TRL's entropy/token-accuracy: a chunked full-vocab LM head, ~30% of a CPU step
    extra: dict[str, Any] = field(default_factory=dict)  # passed to trl.SFTConfig as is

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SFTTrainConfig:
        from past.training.runs import config_from_dict

        return config_from_dict(cls, data)

    def to_trl(self, output_dir: Path, use_cpu: bool | None = None) -> Any:
        """TRL's config; precision and device follow :mod:`past.device` (``use_cpu=True`` forces the CPU)."""
        from trl import SFTConfig

        precision = training_precision(force_cpu=bool(use_cpu))
        return SFTConfig(
            output_dir=str(output_dir),
            max_steps=self.max_steps if self.max_steps > 0 else -1,
            num_train_epochs=self.num_train_epochs,
            per_device_train_batch_size=self.batch_size,
            gradient_accumulation_steps=self.gradient_accumulation_steps,
            learning_rate=self.learning_rate,
            lr_scheduler_type=self.lr_scheduler_type,
            warmup_steps=self.warmup_ratio,
            weight_decay=self.weight_decay,
            max_length=self.max_length,
            packing=self.packing,
            seed=self.seed,
            data_seed=self.seed,
            logging_steps=self.logging_steps,
            save_strategy="steps" if self.save_steps > 0 else "no",
            save_steps=self.save_steps if self.save_steps > 0 else 500,
            save_total_limit=self.save_total_limit,
            bf16=self.bf16 or precision.bf16,
            fp16=precision.fp16,
            tf32=precision.tf32,
            activation_checkpointing=self.gradient_checkpointing,  # the v5 name (no deprecation warning)
            dataloader_num_workers=0,
            dataloader_pin_memory=False,
            report_to="none",
            disable_tqdm=True,
            use_cpu=precision.use_cpu,
            **self.extra,
        )


def lean_sft_trainer_class() -> type:
    """SFTTrainer whose loss is the model's own cross-entropy (one LM-head pass, as a raw forward+backward).

    TRL's SFTTrainer computes the loss through a chunked "fused" LM head that also returns entropy and
    top-1 accuracy over the full 49k vocabulary and recomputes the logits in backward: on CPU that is about
    a third of a LoRA step on the default model (see bench/README.md). Only the metrics are lost.
    """
    from transformers import Trainer
    from trl import SFTTrainer

    class LeanSFTTrainer(SFTTrainer):
        def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
            inputs["use_cache"] = False
            return Trainer.compute_loss(self, model, inputs, return_outputs, num_items_in_batch)

    return LeanSFTTrainer


@dataclass
class SFTResult:
    """Where the trained weights are and how training went."""

    output_dir: str
    adapter_dir: str | None  # LoRA: PEFT adapter (adapter_model.safetensors + adapter_config.json)
    model_dir: str | None  # full fine-tuning: a complete checkpoint
    method: str
    steps: int
    seconds: float
    seed: int
    losses: list[float]
    stopped: bool
    resumed_from: str | None = None

    @property
    def first_loss(self) -> float | None:
        return self.losses[0] if self.losses else None

    @property
    def last_loss(self) -> float | None:
        return self.losses[-1] if self.losses else None


def lora_config(r: int, alpha: int, dropout: float, target_modules: str | list[str]) -> Any:
    from peft import LoraConfig

    return LoraConfig(r=r, lora_alpha=alpha, lora_dropout=dropout, target_modules=target_modules, task_type="CAUSAL_LM")


def train_sft(
    model_path: str | Path,
    dataset: Dataset,
    config: SFTTrainConfig,
    output_dir: str | Path,
    reporter: Reporter | None = None,
    init_adapter: str | Path | None = None,
) -> SFTResult:
    """Fine-tune the checkpoint at ``model_path`` on ``dataset`` (a ``text`` column); resumable.

    With ``init_adapter`` (LoRA only) training continues that adapter instead of a fresh one: a curriculum's
    later stage goes on from the earlier stage's weights.
    """
    import torch
    from trl import SFTTrainer

    reporter = reporter or NullReporter()
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    checkpoints = output_dir / "checkpoints"
    torch.manual_seed(config.seed)
    model, tokenizer = load_model(model_path, dtype=training_dtype(config.method))
    model.config.use_cache = False
    peft_config = None
    if config.method not in ("lora", "full"):
        raise ConfigError(f"unknown SFT method {config.method!r}: use 'lora' or 'full'")
    if init_adapter is not None:
        from peft import PeftModel

        if config.method != "lora":
            raise ConfigError("continuing from an adapter needs method 'lora'")
        model = PeftModel.from_pretrained(model, str(init_adapter), is_trainable=True)
    elif config.method == "lora":
        peft_config = lora_config(config.lora_r, config.lora_alpha, config.lora_dropout, config.target_modules)
    callback = ReporterCallback(reporter, label="SFT")
    trainer_class = SFTTrainer if config.token_metrics else lean_sft_trainer_class()
    trainer = trainer_class(
        model=model,
        args=config.to_trl(checkpoints),
        train_dataset=dataset,
        processing_class=tokenizer,
        peft_config=peft_config,
        callbacks=[callback],
    )
    seconds, resume = train_resumable(trainer, checkpoints, config.resume, reporter, "SFT")
    adapter_dir = model_dir = None
    if config.method == "lora":
        adapter_dir = output_dir / "adapter"
        trainer.model.save_pretrained(str(adapter_dir), safe_serialization=True)
    else:
        model_dir = output_dir / "model"
        trainer.save_model(str(model_dir))
        tokenizer.save_pretrained(str(model_dir))
    losses = [h["loss"] for h in callback.history if "loss" in h]
    result = SFTResult(
        output_dir=str(output_dir),
        adapter_dir=str(adapter_dir) if adapter_dir else None,
        model_dir=str(model_dir) if model_dir else None,
        method=config.method,
        steps=trainer.state.global_step,
        seconds=round(seconds, 2),
        seed=config.seed,
        losses=losses,
        stopped=callback.stopped,
        resumed_from=str(resume) if resume else None,
    )
    write_json(output_dir / "result.json", {**asdict(result), "config": asdict(config)})
    reporter.log(f"SFT: {result.steps} steps in {seconds:.1f} s, loss {result.first_loss} -> {result.last_loss}")
    return result
