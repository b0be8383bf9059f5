"""``pipeline.adapt``: PaST Stage II as one job — synthesis, target SFT, skill injection.

Takes a document collection from the store and a skill from the library. The result is published as
two LoRA adapters over the same base under ``<data>/adapters/<name>/``: ``baseline`` (target SFT only)
and ``injected`` (target SFT + λ·skill, an exact concatenated adapter), which A/B chat serves with one
copy of the base weights. Resumable: completed stages are skipped when the job is resumed.
"""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from backend.jobs.kind import JobContext, JobKind
from backend.jobs.params import param

MODES = ["past", "sft"]  # the paper's other alternatives (sequential, pre-injection): ``past adapt``


@dataclass
class AdaptParams:
    collection: str = param("default", help="document collection to learn (Documents screen)")
    skill: str = param("", help="skill from the library to inject (empty: fine-tune only)")
    lam: float | None = param(None, help="strength λ of the skill; empty = the skill's default")
    base: str = param("default", help="base model (must be the skill's base)")
    name: str = param("", help="name of the adapted model (default: collection + skill)")
    synthesize: bool = param(True, help="first write implications of each passage with the base model")
    synth_max_new_tokens: int = param(96, help="length of each synthetic implication (tokens)")
    sft_steps: int = param(30, help="fine-tuning steps on the documents")
    seed: int = param(0, help="random seed")
    mode: str = param("past", help="past = SFT + skill; sft = SFT only (baseline)", choices=MODES)

    def validate(self) -> None:
        if self.mode == "past" and not self.skill:
            raise ValueError("pick a skill to inject (or choose mode 'sft')")
        if self.sft_steps < 1:
            raise ValueError("sft_steps must be at least 1")
        if self.lam is not None and not -4.0 <= self.lam <= 4.0:
            raise ValueError("lam must lie between -4 and 4")
        if self.name and not re.fullmatch(r"[A-Za-z0-9][\w.-]{0,63}", self.name):
            raise ValueError("name may hold letters, digits, '.', '_' and '-' (64 at most)")


def adapted_name(params: AdaptParams, job_id: str) -> str:
    if params.name:
        return params.name
    raw = f"{params.collection}-{params.skill or 'sft'}-{job_id[:6]}"
    return re.sub(r"[^\w.-]+", "-", raw).strip("-")[:64]


def run(params: AdaptParams, ctx: JobContext) -> dict:
    from backend.documents import DocumentService
    from backend.store import Store
    from past.documents.chunking import chunk_spec, chunk_text
    from past.generators.local import local_generator
    from past.models import ModelRegistry
    from past.pipeline.build_skill import StoppedError
    from past.progress import ScaledReporter
    from past.skills import SkillLibrary, check, inject
    from past.synthesis.pipeline import SynthesisConfig, synthesize
    from past.training.data import build_sft_dataset
    from past.training.sft import SFTTrainConfig, train_sft

    reporter = ctx.reporter
    registry = ModelRegistry(ctx.settings)
    base = registry.resolve(params.base)
    skill_dir, lam = None, 0.0
    if params.mode == "past":
        library = SkillLibrary(ctx.settings)
        with library.load(params.skill) as skill:
            check(skill, base.path)  # raises with the reason when the skill belongs to another base
            lam = params.lam if params.lam is not None else skill.manifest.default_lambda
        skill_dir = library.path_for(params.skill)
    docs = DocumentService(ctx.settings, Store(ctx.settings.db_path)).documents(params.collection)
    if not docs:
        raise ValueError(f"the collection '{params.collection}' has no documents: upload some first")
    reporter.log(f"adapting {base.label} to {len(docs)} document(s) of '{params.collection}'")

    loaded = registry.load(params.base)
    chunks = [c for d in docs for c in chunk_text(d.text, loaded.tokenizer, chunk_spec("qa-256"), doc_id=d.doc_id)]
    texts = [c.text for c in chunks]
    if params.synthesize:
        reporter.progress(0.0, f"writing implications of {len(chunks)} passage(s)")
        config = SynthesisConfig(tasks=("implications",), max_new_tokens=params.synth_max_new_tokens, seed=params.seed)
        result = synthesize(chunks, local_generator(loaded), config, ScaledReporter(reporter, 0.0, 0.3))
        texts += [item.completion for item in result.items if item.kind == "implication"]
        reporter.log(f"synthesis: {len(result.items)} item(s) kept")
    dataset = build_sft_dataset(loaded.tokenizer, texts=texts)
    del loaded

    run_dir = ctx.checkpoint_dir or ctx.output_dir / "run"
    sft_reporter = ScaledReporter(reporter, 0.3 if params.synthesize else 0.0, 0.9)
    sft_config = SFTTrainConfig.from_dict({"max_steps": params.sft_steps, "seed": params.seed, "save_steps": 10})
    sft = train_sft(base.path, dataset, sft_config, run_dir / "sft", sft_reporter)
    if sft.stopped:
        raise StoppedError("stopped on request during fine-tuning; press Resume to continue from the checkpoint")
    reporter.log(
        f"fine-tuning: {sft.steps} steps in {sft.seconds:.1f} s, loss {sft.first_loss:.3f} -> {sft.last_loss:.3f}"
    )
    injected = None
    if skill_dir is not None:
        reporter.progress(0.92, f"adding the skill with λ = {lam:g}")
        with SkillLibrary(ctx.settings).load(params.skill) as skill:
            result = inject(
                (base.path, sft.adapter_dir), [(skill, lam)], run_dir / "injected", output="adapter", overwrite=True
            )
        injected = result.path
    outcome = {"baseline": Path(sft.adapter_dir), "injected": injected}
    analysis = None
    if skill_dir is not None:
        reporter.progress(0.95, "measuring how independent the fine-tune and the skill are")
        analysis = orthogonality(ctx, base, Path(sft.adapter_dir), params.skill, run_dir)
    name = adapted_name(params, ctx.job_id)
    published = publish(ctx, ctx.settings.data_dir / "adapters" / name, outcome, analysis)
    reporter.progress(1.0, f"'{name}' is ready to chat with")
    return {
        "name": name,
        "base": params.base,
        "skill": params.skill,
        "lam": lam,
        "mode": params.mode,
        "baseline_adapter": str(published["baseline"]),
        "injected_adapter": str(published.get("injected", "")),
        "sft": {"steps": sft.steps, "seconds": sft.seconds, "first_loss": sft.first_loss, "last_loss": sft.last_loss},
        "documents": [d.name for d in docs],
    }


def orthogonality(ctx: JobContext, base, sft_adapter: Path, skill_name: str, run_dir: Path) -> list[dict]:
    """SFT update vs the skill, layer by layer (the reason PaST's sum works), as analysis tables."""
    from past.models import ModelRegistry
    from past.skills import SkillLibrary, SkillVector, analyze, skill_from_adapter

    sft_skill = run_dir / "sft-delta"
    if not (sft_skill / "skill.json").is_file():
        fingerprint = ModelRegistry(ctx.settings).fingerprint(base.ref)
        skill_from_adapter(sft_adapter, sft_skill, name="target-sft", base_fingerprint=fingerprint, overwrite=True)
    with SkillVector.open(sft_skill) as left, SkillLibrary(ctx.settings).load(skill_name) as right:
        table = analyze(left, right, label=f"your fine-tune vs skill '{skill_name}'")
    return [table.to_dict()]


def publish(
    ctx: JobContext, target: Path, outcome: dict[str, Path | None], analysis: list[dict] | None = None
) -> dict[str, Path]:
    """The baseline and injected adapters under ``target``, replaced whole (once, on the main rank)."""

    def fill(staging: Path) -> None:
        for key, source in outcome.items():
            if source is not None:
                shutil.copytree(source, staging / key)
        if analysis is not None:
            (staging / "orthogonality.json").write_text(json.dumps(analysis, indent=2))

    ctx.publish(target, fill)
    found = {"baseline": target / "baseline"}
    if outcome.get("injected") is not None:
        found["injected"] = target / "injected"
    return found


KIND = JobKind(
    name="pipeline.adapt",
    params=AdaptParams,
    run=run,
    description="Teach a model a document collection and inject a skill (synthesis → SFT → injection).",
    resumable=True,
    prefers_gpu=True,
)
