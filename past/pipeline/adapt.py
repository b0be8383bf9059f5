"""Stage II: adapt a model to target documents with a skill: target SFT, then inject λ·v.

Modes (the paper's comparison):
- ``past`` (default): SFT on the target documents from the base, then θ = θ_T^sft + λ·v;
- ``sequential``: target SFT on top of the source model θ_S^rl (needs ``source_model``), no injection;
- ``pre_injection``: add λ·v to the base first, then target SFT;
- ``sft``: target SFT only (the baseline).
Injection is ``merged`` (a full checkpoint) or ``adapter``: one exact PEFT adapter over the base whose
delta is ΔT + λ·v (LoRA concatenation). Outputs go to a run directory; completed stages are skipped.
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from past.errors import ConfigError, PastError
from past.models import ModelRecord, fingerprint_checkpoint
from past.models.record import write_record
from past.pipeline.corpus import load_corpus
from past.pipeline.lora_delta import add_deltas, concat_adapters, lora_deltas
from past.pipeline.state import RunState
from past.progress import NullReporter, Reporter, ScaledReporter
from past.training.modeling import load_model, save_model
from past.training.runs import config_from_dict
from past.training.sft import SFTTrainConfig, train_sft

MODES = ("past", "sequential", "pre_injection", "sft")
INJECTIONS = ("merged", "adapter")


@dataclass
class AdaptConfig:
    mode: str = "past"
    lam: float = 1.0
    inject: str = "merged"
    chunk_tokens: int = 192
    sft: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AdaptConfig:
        cfg = config_from_dict(cls, data)
        cfg.validate()
        return cfg

    def validate(self) -> None:
        if self.mode not in MODES:
            raise ConfigError(f"unknown adaptation mode {self.mode!r}: choose one of {', '.join(MODES)}")
        if self.inject not in INJECTIONS:
            raise ConfigError(f"unknown injection {self.inject!r}: choose one of {', '.join(INJECTIONS)}")
        if self.inject == "adapter" and self.mode != "past":
            raise ConfigError("adapter injection applies to mode 'past' only")

    def sft_config(self) -> SFTTrainConfig:
        return SFTTrainConfig.from_dict(self.sft)


def adapt(
    base: str | Path,
    targets: Sequence[str | Path],
    skill_dir: str | Path | None,
    config: AdaptConfig,
    run_dir: str | Path,
    output_dir: str | Path | None = None,
    reporter: Reporter | None = None,
    source_model: str | Path | None = None,
    dataset: Any = None,
) -> dict[str, Any]:
    """Adapt ``base`` to ``targets`` (documents); returns ``{model_dir | adapter_dir, stage seconds, ...}``."""
    from transformers import AutoTokenizer

    from past.pipeline.build_skill import sft_dataset_for

    config.validate()
    reporter = reporter or NullReporter()
    run_dir = Path(run_dir)
    output = Path(output_dir) if output_dir else run_dir / "model"
    state = RunState(
        run_dir,
        "adapt",
        {
            "config": asdict(config),
            "targets": [str(t) for t in targets],
            "skill": str(skill_dir) if skill_dir else None,
        },
    )
    if config.mode != "sft" and skill_dir is None:
        raise ConfigError(f"mode {config.mode!r} needs a skill")
    skill_deltas = (lambda: lora_deltas(skill_dir)) if skill_dir else None
    start_model = Path(base)
    if config.mode == "sequential":
        if not source_model:
            raise ConfigError("sequential fine-tuning needs the source model θ_S^rl (--source-model)")
        start_model = Path(source_model)
    if config.mode == "pre_injection":
        pre = run_dir / "pre_injected"
        state.run(
            "pre_inject",
            lambda: {"model_dir": str(_add_and_save(base, [(skill_deltas(), config.lam)], pre))},
            ScaledReporter(reporter, 0.0, 0.1),
        )
        start_model = pre
    if dataset is None:
        tokenizer = AutoTokenizer.from_pretrained(start_model)
        corpus = load_corpus(targets)
        if not corpus.documents:
            raise PastError("no target documents (.md/.txt) to adapt to")
        dataset = sft_dataset_for(corpus, tokenizer, config.chunk_tokens)
    sft_reporter = ScaledReporter(reporter, 0.1, 0.85)
    sft = state.run(
        "target_sft", lambda: _sft(start_model, dataset, config.sft_config(), run_dir / "sft", sft_reporter), reporter
    )

    def inject() -> dict[str, Any]:
        reporter.progress(0.88, f"writing the {config.mode} model")
        if config.inject == "adapter":
            adapter = concat_adapters([(sft["adapter_dir"], 1.0), (skill_dir, config.lam)], output / "adapter")
            return {"adapter_dir": str(adapter), "base": str(base)}
        parts = [(lora_deltas(sft["adapter_dir"]), 1.0)]
        if config.mode == "past":
            parts.append((skill_deltas(), config.lam))
        model_dir = _add_and_save(start_model, parts, output)
        return {"model_dir": str(model_dir)}

    result = state.run("inject", inject, reporter)
    if config.mode == "pre_injection" and (run_dir / "pre_injected").exists():
        shutil.rmtree(run_dir / "pre_injected")
    reporter.progress(1.0, "adapted model ready")
    return {**result, "mode": config.mode, "lam": config.lam, "sft": sft, "stage_seconds": state.stage_seconds()}


def _sft(model: Path, dataset: Any, cfg: SFTTrainConfig, out: Path, reporter: Reporter) -> dict[str, Any]:
    result = train_sft(model, dataset, cfg, out, reporter)
    if result.stopped:
        from past.pipeline.build_skill import StoppedError

        raise StoppedError("target SFT stopped on request; rerun the same command to resume")
    return {
        "adapter_dir": result.adapter_dir,
        "steps": result.steps,
        "seconds": result.seconds,
        "first_loss": result.first_loss,
        "last_loss": result.last_loss,
        "seed": result.seed,
    }


def _add_and_save(model_dir: str | Path, parts: list[tuple[dict, float]], out: Path) -> Path:
    model, tokenizer = load_model(model_dir)
    for deltas, lam in parts:
        add_deltas(model, deltas, lam)
    return save_model(model, tokenizer, out)


def register_adapted(model_dir: str | Path, name: str, base_dir: str | Path, info: dict[str, Any]) -> ModelRecord:
    """Write a ``model.json`` so the model store (and the chat screen) lists the adapted model."""
    model_dir = Path(model_dir)
    import json

    config = json.loads((model_dir / "config.json").read_text())
    record = ModelRecord(
        name=name,
        display_name=name,
        kind="injected" if info.get("mode") == "past" else "sft",
        source=str(base_dir),
        architecture=(config.get("architectures") or [""])[0],
        fingerprint=fingerprint_checkpoint(model_dir),
        base_fingerprint=fingerprint_checkpoint(base_dir),
        dtype=str(config.get("torch_dtype") or config.get("dtype") or ""),
        extra=info,
    )
    write_record(model_dir, record)
    return record
