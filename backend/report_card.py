"""The knowledge report card of an adapted model on its collection's questions (job kind and CLI share this).

Reads the adapted model Adapt published (``<data>/adapters/<name>/adapted.json``), the collection's attached
questions and its retrieval index, and calls :func:`past.evaluation.report_card.make_report_card` with the rule
judge built by the same factory call as the Evaluate job. A collection without questions gives a card that
says so in plain words instead of an error.
"""

from __future__ import annotations

from typing import Any

from backend.documents import DocumentService, check_collection
from backend.store import Store
from past.progress import NullReporter, Reporter
from past.settings import Settings

CARD_FILE = "report_card.json"


def no_questions_card(name: str, collection: str) -> dict[str, Any]:
    return {
        "adapted": name,
        "collection": collection,
        "no_questions": True,
        "summary": (
            f"The collection '{collection}' has no questions yet, so there is nothing to score. Attach a question "
            "file (.qa.json) to it on the Evaluate screen (or `past docs add`), then make the report card again."
        ),
    }


def build_report_card(
    settings: Settings,
    adapted: str,
    collection: str | None = None,
    *,
    split: str | None = None,
    limit: int | None = None,
    max_new_tokens: int = 32,
    prompt: str | None = None,
    retrieval_k: int = 3,
    batch_size: int = 16,
    reporter: Reporter | None = None,
) -> dict[str, Any]:
    """The card as a JSON-ready dict (``no_questions`` set when the collection has none). ``prompt``: the prompt
    family, by default the one the adapted model's preset trains (:func:`past.adapt_params.answer_format`)."""
    from backend.retrieval import collection_index
    from past.adapt_params import answer_format
    from past.errors import EvaluationError
    from past.evaluation import EvalConfig
    from past.evaluation.answer_cache import AnswerCache
    from past.evaluation.report_card import make_report_card
    from past.judges import make_judge
    from past.models import ModelRegistry
    from past.pipeline.records import read_adapted

    reporter = reporter or NullReporter()
    record = read_adapted(settings, adapted)
    prompt = prompt or answer_format(record.get("preset"))
    collection = check_collection(collection or record.get("collection") or "default")
    store = Store(settings.db_path)
    docs = DocumentService(settings, store)
    if not docs.qa_rows(collection):
        return no_questions_card(adapted, collection)
    qa_set = docs.qa_pairs(collection).filter(split=split, limit=limit)
    if not len(qa_set):
        raise EvaluationError(f"no questions left in collection {collection!r} after the split/limit filters")
    reporter.log(f"report card of '{adapted}': {len(qa_set)} questions of collection '{collection}'")
    retriever = collection_index(settings, collection, store)
    registry = ModelRegistry(settings)
    judge = make_judge("rule", registry=registry, model_ref="default", batch_size=batch_size)
    config = EvalConfig(max_new_tokens=max_new_tokens, prompt=prompt, retrieval_k=retrieval_k)
    card = make_report_card(
        registry,
        {**record, "collection": collection},
        qa_set,
        retriever,
        judge,
        config=config,
        batch_size=batch_size,
        reporter=reporter,
        cache=AnswerCache(settings.answer_cache_dir),
    )
    reporter.log(card["summary"])
    return card
