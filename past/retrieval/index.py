"""A BM25 index over the token chunks of a set of documents, built with ``bm25s``.

Chunks come from the project's chunker (:func:`past.documents.chunk_text`, preset ``qa-128`` by default, the
model's own tokenizer). On disk an index is a folder: ``bm25s``'s arrays (``.npy``, written and read with
``allow_pickle=False``) and vocabulary (JSON), plus ``chunks.json`` (the chunk texts and where they come
from) and ``index.json`` (the fingerprint of the documents and settings it was built from). Nothing is
pickled. :func:`ensure_index` builds it once and rebuilds it only when the fingerprint changes (a document
added, removed or edited, another chunking or tokenizer).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from past.documents.chunking import ChunkSpec, chunk_spec, chunk_text
from past.documents.ingest import Document
from past.errors import ConfigError

DEFAULT_CHUNKING = "qa-128"
DEFAULT_K = 3
FORMAT_VERSION = 1
META_FILE = "index.json"
CHUNKS_FILE = "chunks.json"
BM25_DIR = "bm25"


@dataclass(frozen=True)
class Hit:
    """One retrieved chunk: its text, the document it comes from, its index there and its BM25 score."""

    text: str
    doc_name: str
    chunk: int
    score: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def collection_fingerprint(documents: Sequence[Document], chunking: str | ChunkSpec, tokenizer_id: str) -> str:
    """What an index depends on: the documents' contents (in name order), the chunking and the tokenizer."""
    spec = chunk_spec(chunking)
    parts = sorted(f"{d.name}\0{d.sha256}" for d in documents)
    raw = json.dumps([FORMAT_VERSION, parts, spec.size, spec.overlap, tokenizer_id])
    return hashlib.sha256(raw.encode()).hexdigest()


def _tokenize(texts: list[str]) -> Any:
    import bm25s

    return bm25s.tokenize(texts, stopwords="en", show_progress=False)


class RetrievalIndex:
    """BM25 over chunks: :meth:`build` from documents, :meth:`save` / :meth:`load` a folder, :meth:`retrieve`."""

    def __init__(self, retriever: Any, chunks: list[dict[str, Any]], meta: dict[str, Any]):
        self.retriever = retriever
        self.chunks = chunks
        self.meta = meta

    def __len__(self) -> int:
        return len(self.chunks)

    @property
    def fingerprint(self) -> str:
        return str(self.meta.get("fingerprint", ""))

    @classmethod
    def build(
        cls,
        documents: Sequence[Document],
        tokenizer: Any,
        chunking: str | ChunkSpec = DEFAULT_CHUNKING,
        tokenizer_id: str = "",
    ) -> RetrievalIndex:
        import bm25s

        spec = chunk_spec(chunking)
        chunks = [
            {"doc_name": doc.name, "chunk": c.index, "text": c.text}
            for doc in documents
            for c in chunk_text(doc.text, tokenizer, spec, doc_id=doc.name)
            if c.text.strip()
        ]
        if not chunks:
            raise ConfigError("there is no text to retrieve from: the collection's documents are empty")
        retriever = bm25s.BM25()
        retriever.index(_tokenize([c["text"] for c in chunks]), show_progress=False)
        meta = {
            "format": FORMAT_VERSION,
            "fingerprint": collection_fingerprint(documents, spec, tokenizer_id),
            "chunking": f"{spec.size}:{spec.overlap}",
            "tokenizer": tokenizer_id,
            "documents": sorted(d.name for d in documents),
            "n_chunks": len(chunks),
        }
        return cls(retriever, chunks, meta)

    def save(self, folder: str | os.PathLike[str]) -> Path:
        """Write the index to ``folder`` (replaced whole, through a staging folder next to it)."""
        target = Path(folder)
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
        try:
            self.retriever.save(str(staging / BM25_DIR), allow_pickle=False, show_progress=False)
            (staging / CHUNKS_FILE).write_text(json.dumps(self.chunks, ensure_ascii=False), encoding="utf-8")
            (staging / META_FILE).write_text(json.dumps(self.meta, indent=1), encoding="utf-8")
            if target.exists():
                shutil.rmtree(target)
            os.replace(staging, target)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        return target

    @classmethod
    def load(cls, folder: str | os.PathLike[str]) -> RetrievalIndex:
        import bm25s

        folder = Path(folder)
        try:
            meta = json.loads((folder / META_FILE).read_text(encoding="utf-8"))
            chunks = json.loads((folder / CHUNKS_FILE).read_text(encoding="utf-8"))
            retriever = bm25s.BM25.load(str(folder / BM25_DIR), allow_pickle=False, show_progress=False, verbosity=0)
        except (OSError, ValueError) as exc:
            raise ConfigError(f"the retrieval index in {folder} cannot be read ({exc}): delete it to rebuild") from exc
        if not isinstance(chunks, list) or meta.get("format") != FORMAT_VERSION:
            raise ConfigError(f"the retrieval index in {folder} has an unknown format: delete it to rebuild")
        return cls(retriever, chunks, meta)

    def retrieve(self, query: str, k: int = DEFAULT_K) -> list[Hit]:
        """The ``k`` best chunks for ``query``, best first; chunks sharing no word with it are left out."""
        if k < 1:
            raise ConfigError(f"k must be at least 1, got {k}")
        tokens = _tokenize([query or ""])
        if not tokens.ids or not tokens.ids[0]:
            return []
        k = min(k, len(self.chunks))
        ids, scores = self.retriever.retrieve(tokens, k=k, show_progress=False, n_threads=1)
        hits = []
        for index, score in zip(ids[0].tolist(), scores[0].tolist(), strict=True):
            if score <= 0.0:
                continue
            chunk = self.chunks[int(index)]
            hits.append(Hit(chunk["text"], chunk["doc_name"], int(chunk["chunk"]), float(score)))
        return hits


def ensure_index(
    folder: str | os.PathLike[str],
    documents: Sequence[Document],
    tokenizer: Any,
    chunking: str | ChunkSpec = DEFAULT_CHUNKING,
    tokenizer_id: str = "",
) -> RetrievalIndex:
    """The index in ``folder`` if it was built from these documents and settings, else built and saved there."""
    wanted = collection_fingerprint(documents, chunking, tokenizer_id)
    folder = Path(folder)
    if (folder / META_FILE).is_file():
        try:
            index = RetrievalIndex.load(folder)
        except ConfigError:
            index = None
        if index is not None and index.fingerprint == wanted:
            return index
    index = RetrievalIndex.build(documents, tokenizer, chunking, tokenizer_id)
    index.save(folder)
    return index
