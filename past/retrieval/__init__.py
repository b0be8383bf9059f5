"""Retrieval over a document collection: a BM25 index (``bm25s``) over the collection's token chunks, stored
as JSON/npy (never pickle), and the prompt that puts the best chunks in front of a question."""

from past.retrieval.index import (
    DEFAULT_CHUNKING,
    DEFAULT_K,
    Hit,
    RetrievalIndex,
    collection_fingerprint,
    ensure_index,
)
from past.retrieval.prompt import DOCUMENTS_INTRO, documents_conversation, render_documents_prompt

__all__ = [
    "DEFAULT_CHUNKING",
    "DEFAULT_K",
    "DOCUMENTS_INTRO",
    "Hit",
    "RetrievalIndex",
    "collection_fingerprint",
    "documents_conversation",
    "ensure_index",
    "render_documents_prompt",
]
