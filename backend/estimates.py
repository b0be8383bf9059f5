"""How long an adaptation or a skill build will take, said before Launch: the Adapt and Build screens ask here,
never the cost models themselves.

The cost models are :mod:`past.pipeline.cost` (the base model's tokenizer counts the collection's windows) and
:mod:`past.pipeline.build_cost` (Stage I: the same for each round's sources, plus GRPO); this service reads the
collection as it is now (a deleted document no longer counts) and its attached questions (the report card that
follows a run; the rounds of a build), and gives the note in plain words.
"""

from __future__ import annotations

from typing import Any

from backend.documents import DocumentService
from backend.jobs.errors import JobSpecError
from backend.jobs.kinds.build_skill import CUSTOM, SOURCE_PRESETS, BuildSkillParams, recipe_for, round_sources
from backend.jobs.params import build_params
from past.adapt_params import DEFAULT_PRESET, AdaptParams
from past.errors import PastError
from past.models import ModelRegistry

ESTIMATE_NAME = "estimate"  # the build's name is not chosen yet when its time is estimated


def adapt_estimate(
    registry: ModelRegistry,
    documents: DocumentService,
    base: str | None,
    collection: str | None,
    preset: str | None = None,
    epochs: float | None = None,
) -> str:
    """The estimate of adapting ``base`` to ``collection`` with ``preset`` (``epochs``: the override for every
    stage, None for the preset's own), as :func:`past.pipeline.cost.launch_note` words it; '' when there is
    nothing to estimate (no base model, no collection, or a collection without documents)."""
    if not base or not collection:
        return ""
    docs = documents.documents(collection)
    if not docs:
        return ""
    from past.pipeline.cost import estimate_preset, launch_note  # a heavy package: on demand

    cost = estimate_preset(registry.resolve(base).path, docs, AdaptParams(preset or DEFAULT_PRESET, epochs=epochs))
    questions = len(documents.qa_pairs(collection)) if documents.qa_rows(collection) else 0
    return launch_note(cost, len(docs), card_questions=questions)


def build_estimate(registry: ModelRegistry, documents: DocumentService, params: dict[str, Any]) -> str:
    """The estimate of a skill build of these job parameters (as the Build screen submits them; the name may be
    missing), as :func:`past.pipeline.build_cost.build_note` words it; '' until a collection with documents is
    chosen (or for a preset that is not one); a plain sentence when these choices cannot be built (the collection
    has no questions, too few documents for the rounds, a round without questions, a setting out of range)."""
    collection = params.get("collection")
    if not collection or params.get("preset", CUSTOM) not in (*SOURCE_PRESETS, CUSTOM):
        return ""  # nothing chosen yet, or a preset that is none (what a share link may send: not echoed)
    try:
        docs = documents.documents(collection)
        if not docs:
            return ""
        chosen = build_params(BuildSkillParams, {**params, "name": params.get("name") or ESTIMATE_NAME})
        rounds = round_sources(docs, documents.qa_pairs(collection), chosen.rounds)
    except (JobSpecError, PastError, ValueError) as exc:
        return f"Cannot estimate: {exc}"
    from past.documents.chunking import load_tokenizer  # heavy packages: on demand
    from past.pipeline.build_cost import build_note, estimate_build_cost

    recipe = recipe_for(chosen, collection)
    return build_note(estimate_build_cost(recipe, rounds, load_tokenizer(registry.resolve(chosen.base).path)))
