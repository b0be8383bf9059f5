"""``pipeline.adapt``: PaST Stage II as a job — a thin wrapper over :func:`past.pipeline.adapted.adapt_and_publish`.

Maps the job's parameters onto a Stage II preset (:data:`past.pipeline.PRESETS`), takes the documents of a
collection from the store, and publishes the result under ``<data>/adapters/<name>/`` (``baseline``: target SFT
only; ``injected``: SFT + λ·skill), which A/B chat serves with one copy of the base weights. ``past adapt`` does
the same thing from files. Resumable: completed stages are skipped when the job is resumed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from backend.jobs.kind import JobContext, JobKind
from backend.jobs.params import param
from past.numbers import SEED
from past.paths import check_name
from past.skills.lambdas import check_lambda

MODES = ["past", "sft", "pre_injection"]  # sequential needs θ_S^rl of the skill's source run: ``past adapt``
# literal copy of past.pipeline.PRESETS' names (this module is imported at worker start; a test keeps them equal)
PRESET_NAMES = ["short-notes", "passage-only", "long-document", "tool-docs"]
MAX_EPOCHS = 100.0
TOOL_PRESET = "tool-docs"  # = past.pipeline.adapt.TOOL_PRESET: a tools collection's API schemas


@dataclass
class AdaptParams:
    collection: str = param("default", help="document collection to learn (Documents screen)", ref="collection")
    skill: str = param("", help="skill from the library to inject (empty: fine-tune only)", ref="skill")
    lam: float | None = param(None, help="strength λ of the skill; empty = the skill's default")
    base: str = param("default", help="base model (must be the skill's base)", ref="model")
    name: str = param("", help="name of the adapted model (default: collection + skill)")
    preset: str = param("short-notes", help="what to train on (see the presets)", choices=PRESET_NAMES)
    epochs: float | None = param(None, help="passes over the training texts; empty = the preset's")
    seed: int = param(0, bounds=SEED, help="random seed")
    mode: str = param("past", help="past = SFT + skill; sft = SFT only; pre_injection = skill first", choices=MODES)

    def validate(self) -> None:
        if self.mode != "sft" and not self.skill:
            raise ValueError("pick a skill to inject (or choose mode 'sft')")
        if self.epochs is not None and not 0 < self.epochs <= MAX_EPOCHS:
            raise ValueError(f"epochs must lie in (0, {MAX_EPOCHS:g}]")
        self.lam = None if self.lam is None else check_lambda(self.lam, "lam")
        if self.name:
            check_name(self.name, "adapted model")


def adapted_name(params: AdaptParams, job_id: str) -> str:
    if params.name:
        return params.name
    raw = f"{params.collection}-{params.skill or 'sft'}-{job_id[:6]}"
    return re.sub(r"[^\w.-]+", "-", raw).strip("-")[:64]


def adapt_config(params: AdaptParams):
    """The Stage II config of these parameters (the same one ``past adapt`` builds from its flags)."""
    from past.pipeline import AdaptConfig

    config = AdaptConfig.from_preset(params.preset, mode=params.mode, lam=params.lam, seed=params.seed)
    if params.epochs is not None:
        for stage in config.stages:
            stage.sft = {**stage.sft, "max_steps": 0, "num_train_epochs": params.epochs}
    config.validate()
    return config


def run(params: AdaptParams, ctx: JobContext) -> dict:
    from backend.documents import DocumentService
    from backend.store import Store
    from past.pipeline.adapted import adapt_and_publish

    store = Store(ctx.settings.db_path)
    docs = tool_documents(ctx, params, store) or DocumentService(ctx.settings, store).documents(params.collection)
    if not docs:
        raise ValueError(f"the collection '{params.collection}' has no documents: upload some first")
    ctx.reporter.log(f"adapting {params.base} to {len(docs)} document(s) of '{params.collection}'")
    config = adapt_config(params)
    estimate = launch_estimate(ctx, params.base, docs, config)
    record = adapt_and_publish(
        ctx.settings,
        name=adapted_name(params, ctx.job_id),
        base_ref=params.base,
        documents=docs,
        config=config,
        run_dir=ctx.checkpoint_dir or ctx.output_dir / "run",
        skill_name=params.skill or None,
        reporter=ctx.reporter,
        collection=params.collection,
    )
    return {
        "name": record["name"],
        "base": params.base,
        "skill": params.skill,
        "lam": record["lam"],
        "mode": params.mode,
        "preset": params.preset,
        "baseline_adapter": record.get("baseline", ""),
        "injected_adapter": record.get("injected", ""),
        "stages": record["stages"],
        "documents": [d["name"] for d in record["documents"]],
        "stage_seconds": record["stage_seconds"],
        "estimate_s": round(estimate.seconds, 1) if estimate else None,
    }


def launch_estimate(ctx: JobContext, base: str, docs: list, config: Any) -> Any:
    """The cost model's estimate for this run (logged, and kept in the result beside the stage times); None
    when it cannot be made (advice only: the run itself reports a bad model)."""
    from past.documents.chunking import load_tokenizer
    from past.models import ModelRegistry
    from past.pipeline.cost import estimate_adapt_cost

    try:
        estimate = estimate_adapt_cost(docs, config, load_tokenizer(ModelRegistry(ctx.settings).resolve(base).path))
    except Exception as exc:  # an estimate is advice: it never stops a run
        ctx.reporter.log(f"estimated time: not available ({type(exc).__name__})")
        return None
    ctx.reporter.log(f"estimated time: {estimate.describe()}")
    return estimate


def tool_documents(ctx: JobContext, params: AdaptParams, store) -> list:
    """A tools collection's schema files as pipeline documents (the tool-docs preset); [] for a text collection."""
    from backend.tool_collections import ToolCollections

    tools = ToolCollections(ctx.settings, store)
    is_tools = tools.is_tools(params.collection)
    if is_tools != (params.preset == TOOL_PRESET):
        raise ValueError(
            f"'{params.collection}' is a tools collection (API schemas): choose the preset '{TOOL_PRESET}'"
            if is_tools
            else f"the preset '{TOOL_PRESET}' trains on API schemas: choose a tools collection"
        )
    if not is_tools:
        return []
    if params.skill:
        from past.tools.skill_build import TOOL_USE_KIND

        kind = _skill_kind(ctx, params.skill)
        if kind != TOOL_USE_KIND:
            ctx.reporter.log(f"note: skill '{params.skill}' is not tagged as a tool-use skill (kind: {kind or 'none'})")
    return tools.documents(params.collection)


def _skill_kind(ctx: JobContext, name: str) -> str:
    from past.errors import PastError
    from past.skills import SkillLibrary

    try:
        return SkillLibrary(ctx.settings).info(name).kind
    except PastError:  # the injection step reports a missing skill clearly
        return ""


KIND = JobKind(
    name="pipeline.adapt",
    params=AdaptParams,
    run=run,
    description="Teach a model a document collection and inject a skill (synthesis → SFT → injection).",
    resumable=True,
    prefers_gpu=True,
)
