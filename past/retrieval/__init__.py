"""Retrieval over a document collection: a BM25 index (``bm25s``) over the collection's token chunks, stored
as JSON/npy (never pickle). The prompt that puts the best chunks in front of a question is an evaluation prompt
(:func:`past.evaluation.prompts.documents_conversation`); an index is handed to the evaluator, never imported by it."""

from past.retrieval.index import (
    DEFAULT_CHUNKING,
    DEFAULT_K,
    Hit,
    RetrievalIndex,
    collection_fingerprint,
    ensure_index,
)

__all__ = [
    "DEFAULT_CHUNKING",
    "DEFAULT_K",
    "Hit",
    "RetrievalIndex",
    "collection_fingerprint",
    "ensure_index",
]
