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
    return CollectionRetrievers(settings, store).get(collection)


class CollectionRetrievers:
    """The studio's retrieval indexes, one per collection, kept in memory and checked against the collection's
    documents on every use (rebuilt when they changed)."""

    def __init__(self, settings: Settings, store: Store | None = None):
        self.settings = settings
        self.store = store or Store(settings.db_path)
        self._tokenizer: tuple[str, object] | None = None
        self._indexes: dict[str, RetrievalIndex] = {}

    def _tokenizer_of_default(self) -> tuple[str, object]:
        if self._tokenizer is None:
            from past.documents.chunking import load_tokenizer
            from past.models import ModelRegistry

            base = ModelRegistry(self.settings).resolve("default")
            tokenizer_id = base.record.name if base.record is not None else base.path.name
            self._tokenizer = (tokenizer_id, load_tokenizer(base.path))
        return self._tokenizer

    def get(self, collection: str) -> RetrievalIndex:
        from past.retrieval import collection_fingerprint

        name = check_collection(collection)
        documents = DocumentService(self.settings, self.store).documents(name)
        if not documents:
            raise ConfigError(f"the collection {name!r} has no documents to retrieve from: upload some first")
        tokenizer_id, tokenizer = self._tokenizer_of_default()
        cached = self._indexes.get(name)
        wanted = collection_fingerprint(documents, DEFAULT_CHUNKING, tokenizer_id)
        if cached is not None and cached.fingerprint == wanted:
            return cached
        index = ensure_index(index_dir(self.settings, name), documents, tokenizer, DEFAULT_CHUNKING, tokenizer_id)
        self._indexes[name] = index
        return index
