"""Stage II: adapt a model to target documents — fine-tune on them, then inject a skill (θ = θ_T^sft + λ·v).

The one Stage II of the project: ``past adapt``, the studio's Adapt job and ``bench/quality.py`` all call
:func:`adapt` with an :class:`AdaptConfig`; the studio's choices are :data:`~past.adapt_params.PRESETS` of it.
A config is a curriculum of one or more SFT stages, each with its data recipe (:mod:`past.pipeline.data_recipe`: which
texts the documents yield, synthetic ones included) and its SFT settings; a later stage continues the
earlier stage's LoRA. The presets, modes and epoch override are the light :mod:`past.adapt_params`, whose
:class:`~past.adapt_params.AdaptParams` every caller builds and :meth:`AdaptConfig.from_params` turns into a
config. Modes (the paper's transfer strategies):

- ``past`` (default): SFT from the base, then inject: the result is base + ΔT + λ·v;
- ``sft``: SFT only (the baseline);
- ``pre_injection``: add λ·v to the base first, then SFT on top of it;
- ``sequential``: SFT on top of the source model θ_S^rl (``source_model``), no injection.

All weight arithmetic goes through :mod:`past.skills` (fingerprint check, atomic writes). The output is a
PEFT adapter over ``result.base`` (exact, by LoRA concatenation) or a merged checkpoint. Every stage is
recorded in the run directory's ``state.json``, so rerunning resumes: synthetic data is not generated twice
and training resumes from its last checkpoint.
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from past.adapt_params import (
    DEFAULT_PRESET,
    MODES,
    NEEDS_SKILL,
    OUTPUTS,
    TARGET_SFT,
    AdaptParams,
    preset_mismatch,
)
from past.documents.ingest import Document
from past.errors import ConfigError, PastError
from past.generators.base import ChatGenerator
from past.pipeline.data_recipe import DataRecipe, document_chunks, item_quality, synthesize_items, training_texts
from past.pipeline.state import RunState
from past.progress import NullReporter, Reporter, ScaledReporter
from past.skills.lambdas import LambdaSpec
from past.training.runs import config_from_dict


class StoppedError(PastError):
    """The user asked to stop; the run directory keeps what was done, and a rerun resumes."""


@dataclass
class AdaptStage:
    """One fine-tuning stage: what it trains on and how."""

    name: str = "documents"
    data: DataRecipe = field(default_factory=DataRecipe)
    sft: dict[str, Any] = field(default_factory=lambda: dict(TARGET_SFT))

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AdaptStage:
        raw = dict(data)
        recipe = DataRecipe.from_dict(raw.pop("data", {}) or {})
        stage = config_from_dict(cls, {**raw, "data": recipe})
        stage.sft_config()  # validate early
        return stage

    def sft_config(self, seed: int = 0) -> Any:
        from past.training.sft import SFTTrainConfig

        config = SFTTrainConfig.from_dict({**self.sft, "seed": seed})
        if config.method != "lora":
            raise ConfigError("Stage II fine-tunes a LoRA adapter: sft.method must be 'lora'")
        return config


@dataclass
class AdaptConfig:
    """Everything Stage II does, JSON-serialisable (runs and jobs record it)."""

    mode: str = "past"
    lam: LambdaSpec | None = None  # None: the skill's default λ
    output: str = "adapter"
    seed: int = 0
    preset: str = DEFAULT_PRESET
    stages: list[AdaptStage] = field(default_factory=lambda: _preset_stages(AdaptParams()))

    @classmethod
    def from_params(cls, params: AdaptParams) -> AdaptConfig:
        """The config of checked choices: the preset's stages (with the epoch override), mode, λ, seed, output."""
        config = cls(params.mode, params.lam, params.output, params.seed, params.preset, _preset_stages(params))
        config.validate()
        return config

    @classmethod
    def from_preset(cls, preset: str = DEFAULT_PRESET, **overrides: Any) -> AdaptConfig:
        """``from_params(AdaptParams(preset, **overrides))``: overrides are mode, lam, epochs, seed, output."""
        unknown = sorted(set(overrides) - {"mode", "lam", "epochs", "seed", "output"})
        if unknown:
            raise ConfigError(f"unknown adapt setting {', '.join(map(repr, unknown))}")
        return cls.from_params(AdaptParams(preset=preset, **overrides))

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AdaptConfig:
        raw = dict(data)
        stages = raw.pop("stages", None)
        preset = raw.get("preset", DEFAULT_PRESET)
        config = config_from_dict(cls, raw)
        config.stages = (
            [AdaptStage.from_dict(s) for s in stages] if stages is not None else _preset_stages(AdaptParams(preset))
        )
        config.validate()
        return config

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "lam": None if self.lam is None else self.lam.to_json()}

    def validate(self) -> None:
        if self.mode not in MODES:
            raise ConfigError(f"unknown adaptation mode {self.mode!r}: choose one of {', '.join(MODES)}")
        if self.output not in OUTPUTS:
            raise ConfigError(f"unknown output {self.output!r}: choose one of {', '.join(OUTPUTS)}")
        if self.lam is not None:
            self.lam = LambdaSpec.coerce(self.lam, "lam")  # a spec as it is; a number or a schedule read once
        if not self.stages:
            raise ConfigError("an adaptation needs at least one fine-tuning stage")
        names = [s.name for s in self.stages]
        if len(set(names)) != len(names) or not all(n and n.replace("-", "").replace("_", "").isalnum() for n in names):
            raise ConfigError(f"stage names must be distinct words (letters, digits, '-', '_'), got {names}")
        for stage in self.stages:
            stage.data.validate()
            stage.sft_config(self.seed)


def _preset_stages(params: AdaptParams) -> list[AdaptStage]:
    return [AdaptStage.from_dict(s) for s in params.stages()]


@dataclass
class AdaptResult:
    """Where the adapted model is. ``adapter`` applies to ``base``; ``baseline_adapter`` is target SFT alone."""

    mode: str
    lam: float | dict | None  # LambdaSpec.to_json(): what records hold
    base: str
    adapter: str | None = None
    model_dir: str | None = None
    baseline_adapter: str | None = None
    stages: list[dict[str, Any]] = field(default_factory=list)
    stage_seconds: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def adapt(
    base: str | Path,
    documents: Sequence[Document],
    config: AdaptConfig,
    run_dir: str | Path,
    *,
    skill: Any = None,
    generator: ChatGenerator | None = None,
    source_model: str | Path | None = None,
    provided: dict[str, list[str]] | None = None,
    reporter: Reporter | None = None,
) -> AdaptResult:
    """Adapt the checkpoint ``base`` to ``documents`` (see the module docstring); resumable in ``run_dir``.

    ``skill``: a :class:`~past.skills.SkillVector` (or a skill directory) for modes that inject. ``generator``
    writes the synthetic data; by default the model being fine-tuned writes it. ``provided``: synthetic
    texts shipped with the documents (doc id → texts), used by recipes with ``provided > 0``.
    """
    from past.skills import SkillVector

    config.validate()
    reporter = reporter or NullReporter()
    if not documents:
        raise ConfigError("no documents to adapt to")
    from past.documents.ingest import MAX_DOCUMENT_CHARS

    for doc in documents:
        if len(doc.text) > MAX_DOCUMENT_CHARS:
            raise ConfigError(
                f"{doc.name} is too long to adapt to ({len(doc.text):,} characters; the limit is "
                f"{MAX_DOCUMENT_CHARS:,}): split it into parts"
            )
    if config.mode in NEEDS_SKILL and skill is None:
        raise ConfigError(f"mode {config.mode!r} needs a skill")
    if config.mode == "sequential" and not source_model:
        raise ConfigError("sequential fine-tuning needs the source model θ_S^rl (source_model)")
    owned = isinstance(skill, str | Path)
    vector = SkillVector.open(skill) if owned else skill
    try:
        lam = _resolve_lambda(config, vector)
        if vector is not None and config.mode in NEEDS_SKILL:
            warning = preset_mismatch(getattr(vector.manifest, "recipe", None), config.preset)
            if warning:
                reporter.log(f"warning: {warning}")
        run_dir = Path(run_dir)
        state = RunState(
            run_dir,
            "adapt",
            {"config": config.to_dict(), "documents": [d.sha256 for d in documents], "lam": _json(lam)},
        )
        start = Path(base)
        if config.mode == "sequential":
            start = Path(str(source_model))
        elif config.mode == "pre_injection":
            start = Path(
                state.run("pre_inject", lambda: _pre_inject(base, vector, lam, run_dir), reporter)["model_dir"]
            )
        adapter: str | None = None
        stages: list[dict[str, Any]] = []
        span = 0.9 / len(config.stages)
        run = _Run(state, config.seed, start, documents, run_dir, generator, provided)
        for i, stage in enumerate(config.stages):
            sub: Reporter = ScaledReporter(reporter, i * span, (i + 1) * span)
            if len(config.stages) > 1:
                sub = _StageReporter(sub, f"stage {i + 1}/{len(config.stages)} {stage.name}")
            outcome = _run_stage(run, stage, adapter, sub)
            stages.append(outcome)
            adapter = outcome["adapter_dir"]
        assert adapter is not None
        reporter.progress(0.92, f"writing the {config.mode} model")
        result = state.run(
            "inject", lambda: _finish(config, Path(base), start, adapter, vector, lam, run_dir), reporter
        )
        if config.mode == "pre_injection":
            shutil.rmtree(run_dir / "pre_injected", ignore_errors=True)
        reporter.progress(1.0, "adapted model ready")
        return AdaptResult(
            mode=config.mode,
            lam=_json(lam),
            base=result["base"],
            adapter=result.get("adapter"),
            model_dir=result.get("model_dir"),
            baseline_adapter=adapter if config.mode in ("past", "sft") else None,
            stages=stages,
            stage_seconds=state.stage_seconds(),
        )
    finally:
        if owned and vector is not None:
            vector.close()


class _StageReporter(ScaledReporter):
    """Prefixes a stage's progress messages with its name, so progress reads per stage (and per window)."""

    def __init__(self, parent: Reporter, label: str) -> None:
        super().__init__(parent, 0.0, 1.0)
        self.label = label

    def progress(self, fraction: float, message: str) -> None:
        super().progress(fraction, f"{self.label}: {message}")


def _resolve_lambda(config: AdaptConfig, vector: Any) -> LambdaSpec | None:
    """The λ to inject: the config's, else the skill's recommended one (checked when its manifest was read)."""
    if config.mode not in NEEDS_SKILL:
        return None
    return config.lam if config.lam is not None else LambdaSpec(vector.manifest.default_lambda)


def _json(lam: LambdaSpec | None) -> float | dict | None:
    return None if lam is None else lam.to_json()


def _pre_inject(base: str | Path, vector: Any, lam: LambdaSpec, run_dir: Path) -> dict[str, str]:
    from past.skills import inject

    result = inject(base, [(vector, lam)], run_dir / "pre_injected", output="merged", register=False, overwrite=True)
    return {"model_dir": str(result.path)}


@dataclass(frozen=True)
class _Run:
    """What every stage of one adapt run works with: its state, seed, starting model, documents, run directory,
    synthetic data writer and provided texts."""

    state: RunState
    seed: int
    start: Path
    documents: Sequence[Document]
    run_dir: Path
    generator: ChatGenerator | None
    provided: dict[str, list[str]] | None


def _run_stage(run: _Run, stage: AdaptStage, init_adapter: str | None, reporter: Reporter) -> dict[str, Any]:
    """Synthesis (stored, so a resumed run skips it) and the stage's fine-tune."""
    from past.documents.chunking import load_tokenizer
    from past.training.data import build_sft_dataset
    from past.training.sft import train_sft

    tokenizer = load_tokenizer(run.start)
    sft_config = stage.sft_config(run.seed)
    truncated = 0
    if stage.data.tool_docs:
        synthesized, records, counts = _tool_stage(run, stage, reporter)
        dataset = build_sft_dataset(tokenizer, records=records)
        truncated = over_length(tokenizer, dataset["text"], sft_config.max_length)
        if truncated:  # the end of a record is its answer (a ReAct step): cut, it is never learnt
            reporter.log(
                f"warning: {truncated} of {len(dataset)} tool training texts are longer than max_length "
                f"{sft_config.max_length} tokens and are cut at the end (raise sft.max_length)"
            )
    else:
        synthesized, texts, counts = _document_stage(run, stage, tokenizer, reporter)
        dataset = build_sft_dataset(tokenizer, texts=texts)

    def fine_tune() -> dict[str, Any]:
        sub = ScaledReporter(reporter, 0.25 if stage.data.needs_generator else 0.0, 1.0)
        result = train_sft(run.start, dataset, sft_config, run.run_dir / f"sft-{stage.name}", sub, init_adapter)
        stopped = "stopped on request during fine-tuning; rerun to resume from the last checkpoint"
        return trained_outputs(result, reporter, stopped, SFT_OUTPUTS)

    trained = run.state.run(f"{stage.name}.sft", fine_tune, reporter)
    reporter.log(
        f"{stage.name}: {len(dataset)} training texts {counts}, {trained['steps']} steps, "
        f"loss {trained['first_loss']} -> {trained['last_loss']}"
    )
    extra = {"truncated_texts": truncated} if stage.data.tool_docs else {}
    return {"name": stage.name, **trained, "texts": counts, "synthesis": synthesized, **extra}


SFT_OUTPUTS = ("adapter_dir", "steps", "seconds", "first_loss", "last_loss", "seed")


def trained_outputs(result: Any, reporter: Reporter, stopped: str, fields: Sequence[str]) -> dict[str, Any]:
    """A training stage's recorded outputs, the ``fields`` of the trainer's result; a run stopped on request
    raises :class:`StoppedError` (``stopped``) instead, so the stage is not done and a rerun resumes it."""
    if result.stopped or reporter.should_stop():
        raise StoppedError(stopped)
    return {name: getattr(result, name) for name in fields}


def over_length(tokenizer: Any, texts: Sequence[str], max_length: int) -> int:
    """How many training texts are longer than ``max_length`` tokens (SFT cuts them at the end)."""
    if not texts:
        return 0
    return sum(len(ids) > max_length for ids in tokenizer(list(texts), add_special_tokens=False)["input_ids"])


def _tool_stage(
    run: _Run, stage: AdaptStage, reporter: Reporter
) -> tuple[dict[str, Any], list[dict[str, Any]], dict[str, int]]:
    """A tools collection's SFT records (stored, so a resumed run does not write them again). Descriptions and
    usage requests come from the run's ``generator`` when it has one, else from templates."""
    from past.datasets import read_jsonl, write_jsonl
    from past.tools.documents import tool_sft_records

    records_path = run.run_dir / f"{stage.name}.tool-records.jsonl"

    def synthesis() -> dict[str, Any]:
        records, counts, writer = tool_sft_records(
            run.documents, stage.data.tool_questions, run.generator, run.seed, ScaledReporter(reporter, 0.0, 0.25)
        )
        write_jsonl(records_path, records)
        return {"items": len(records), "generator": writer, "counts": counts}

    synthesized = run.state.run(f"{stage.name}.synthesis", synthesis, reporter)
    return synthesized, read_jsonl(records_path), dict(synthesized["counts"])


def _document_stage(
    run: _Run, stage: AdaptStage, tokenizer: Any, reporter: Reporter
) -> tuple[dict[str, Any], list[str], dict[str, int]]:
    """The documents' windows and the synthetic data written from them (stored, so a resumed run skips it)."""
    from past.datasets import read_jsonl
    from past.synthesis.items import SynthItem, write_items

    chunks = document_chunks(run.documents, tokenizer, stage.data)
    reporter.progress(0.0, f"{len(chunks)} windows of {stage.data.chunking} tokens")
    items_path = run.run_dir / f"{stage.name}.synthetic.jsonl"

    def synthesis() -> dict[str, Any]:
        if not stage.data.needs_generator:
            write_items(items_path, [])
            return {"items": 0, "quality": {}}
        writer = run.generator or _local_generator(run.start)
        items, stats = synthesize_items(chunks, writer, stage.data, run.seed, ScaledReporter(reporter, 0.0, 0.25))
        if stats.stopped:
            raise StoppedError("stopped on request while writing synthetic data; rerun to resume")
        write_items(items_path, items)
        return {"items": len(items), "generator": writer.name, "quality": item_quality(chunks, items, stats)}

    synthesized = run.state.run(f"{stage.name}.synthesis", synthesis, reporter)
    items = [SynthItem.from_dict(row) for row in read_jsonl(items_path)]
    texts, counts = training_texts(chunks, items, stage.data, tokenizer, run.seed, run.provided)
    return synthesized, texts, counts


def _local_generator(model_dir: Path) -> ChatGenerator:
    from past.generators.local import LocalGenerator
    from past.training.modeling import load_for_generation

    model, tokenizer = load_for_generation(model_dir)
    return LocalGenerator(model, tokenizer, name=f"local:{model_dir.name}")


def _finish(
    config: AdaptConfig,
    base: Path,
    start: Path,
    adapter: str,
    vector: Any,
    lam: LambdaSpec | None,
    run_dir: Path,
) -> dict[str, str]:
    """The final weights: an adapter over ``base`` (or over θ_S^rl, sequential), or a merged checkpoint."""
    from past.skills import inject

    skills = [(vector, lam)] if config.mode in NEEDS_SKILL else []
    # pre-injection trained ΔT on base + λ·v: base + ΔT + λ·v is the same sum written over the base
    over = start if config.mode == "sequential" else base
    out = run_dir / "final"
    if config.output == "adapter" and not skills:
        return {"base": str(over), "adapter": adapter}
    result = inject((over, Path(adapter)), skills, out, output=config.output, register=False, overwrite=True)
    key = "adapter" if config.output == "adapter" else "model_dir"
    return {"base": str(over), key: str(result.path)}
