"""``pipeline.adapt``: PaST Stage II as a job — a thin wrapper over :func:`past.pipeline.adapted.adapt_and_publish`.

Its training choices (preset, epochs, λ, seed, mode) are checked once, as the one
:class:`past.adapt_params.AdaptParams` that ``past adapt`` and the studio build too; it takes the documents of a
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
from past.adapt_params import DEFAULT_PRESET, PRESET_NAMES, TOOL_PRESET, AdaptParams
from past.numbers import SEED
from past.paths import check_name

MODES = ["past", "sft", "pre_injection"]  # sequential needs θ_S^rl of the skill's source run: ``past adapt``
LAM_HELP = (
    "strength λ of the skill: a number, or a per-module/per-layer schedule as JSON "
    '({"default": 0.8, "modules": {"mlp": 1.0}, "layers": [[0, 9, 0.3]]}) or as past adapt --lam writes it '
    "(0.8,mlp=1.0,layers=0-9:0.3); empty = the skill's default"
)


@dataclass
class AdaptJobParams:
    collection: str = param("default", help="document collection to learn (Documents screen)", ref="collection")
    skill: str = param("", help="skill from the library to inject (empty: fine-tune only)", ref="skill")
    lam: float | dict | str | None = param(None, help=LAM_HELP)  # noqa: RUF009
    base: str = param("default", help="base model (must be the skill's base)", ref="model")
    name: str = param("", help="name of the adapted model (default: collection + skill)")
    preset: str = param(DEFAULT_PRESET, help="what to train on (see the presets)", choices=PRESET_NAMES)
    epochs: float | None = param(None, help="passes over the training texts; empty = the preset's")
    seed: int = param(0, bounds=SEED, help="random seed")
    mode: str = param("past", help="past = SFT + skill; sft = SFT only; pre_injection = skill first", choices=MODES)

    def validate(self) -> None:
        if self.mode != "sft" and not self.skill:
            raise ValueError("pick a skill to inject (or choose mode 'sft')")
        # the training choices, checked once here (the same type past adapt builds from its flags)
        self._adapt = AdaptParams(self.preset, self.mode, self.lam, self.epochs, self.seed)
        self.lam = self._adapt.lam_json()  # stored as a number or a schedule's JSON form
        if self.name:
            check_name(self.name, "adapted model")

    def adapt_params(self) -> AdaptParams:
        """The checked training choices (built by :meth:`validate`, which the job runner calls)."""
        if not hasattr(self, "_adapt"):
            self.validate()
        return self._adapt


def adapted_name(params: AdaptJobParams, job_id: str) -> str:
    if params.name:
        return params.name
    raw = f"{params.collection}-{params.skill or 'sft'}-{job_id[:6]}"
    return re.sub(r"[^\w.-]+", "-", raw).strip("-")[:64]


def run(params: AdaptJobParams, ctx: JobContext) -> dict:
    from backend.documents import DocumentService
    from backend.store import Store
    from past.pipeline.adapt import AdaptConfig
    from past.pipeline.adapted import adapt_and_publish

    store = Store(ctx.settings.db_path)
    docs = tool_documents(ctx, params, store) or DocumentService(ctx.settings, store).documents(params.collection)
    if not docs:
        raise ValueError(f"the collection '{params.collection}' has no documents: upload some first")
    ctx.reporter.log(f"adapting {params.base} to {len(docs)} document(s) of '{params.collection}'")
    config = AdaptConfig.from_params(params.adapt_params())
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


def tool_documents(ctx: JobContext, params: AdaptJobParams, store) -> list:
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
    params=AdaptJobParams,
    run=run,
    description="Teach a model a document collection and inject a skill (synthesis → SFT → injection).",
    resumable=True,
    prefers_gpu=True,
)
