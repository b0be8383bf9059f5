"""A collection's retrieval index: built once from its documents, kept under ``<data>/retrieval/<collection>/``.

The index (:class:`past.retrieval.RetrievalIndex`, BM25 over ``qa-128`` token chunks) is chunked with the
tokenizer of the default model, so each collection has one index whatever model answers with it. It is
rebuilt when the collection's documents change (its fingerprint covers their contents, the chunking and
the tokenizer). Used by the Evaluate and report-card jobs and by A/B chat's "answer with the documents".
"""

from __future__ import annotations

from pathlib import Path

from backend.documents import DocumentService, check_collection
from backend.store import Store
from past.errors import ConfigError
from past.retrieval import DEFAULT_CHUNKING, RetrievalIndex, ensure_index
from past.settings import Settings

RETRIEVAL_DIR = "retrieval"


def index_dir(settings: Settings, collection: str) -> Path:
    return settings.data_dir / RETRIEVAL_DIR / check_collection(collection)


def collection_index(settings: Settings, collection: str, store: Store | None = None) -> RetrievalIndex:
    """The retrieval index of ``collection`` (built or rebuilt here when missing or out of date)."""
    from past.documents.chunking import load_tokenizer
    from past.models import ModelRegistry

    documents = DocumentService(settings, store or Store(settings.db_path)).documents(check_collection(collection))
    if not documents:
        raise ConfigError(f"the collection {collection!r} has no documents to retrieve from: upload some first")
    base = ModelRegistry(settings).resolve("default")
    tokenizer_id = base.record.name if base.record is not None else base.path.name
    return ensure_index(
        index_dir(settings, collection),
        documents,
        load_tokenizer(base.path),
        DEFAULT_CHUNKING,
        tokenizer_id=tokenizer_id,
    )
