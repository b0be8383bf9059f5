"""How long an adaptation will take, said before Launch: the Adapt screen asks here, never the cost model itself.

The cost model is :mod:`past.pipeline.cost` (the base model's tokenizer counts the collection's windows); this
service reads the collection as it is now (a deleted document no longer counts) and its attached questions (the
report card that follows a run), and gives the note in plain words.
"""

from __future__ import annotations

from backend.documents import DocumentService
from past.adapt_params import DEFAULT_PRESET, AdaptParams
from past.models import ModelRegistry


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
