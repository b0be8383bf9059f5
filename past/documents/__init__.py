"""Documents: ingest PDF/DOCX/HTML/Markdown/text into clean text, and chunk it by tokens."""

from past.documents.chunking import CHUNK_PRESETS, Chunk, ChunkSpec, chunk_spec, chunk_text, load_tokenizer
from past.documents.ingest import (
    DEFAULT_MAX_BYTES,
    Document,
    IngestResult,
    ingest_bytes,
    ingest_file,
    ingest_many,
    read_documents,
    write_documents,
)
from past.documents.sniff import sniff_format

__all__ = [
    "CHUNK_PRESETS",
    "DEFAULT_MAX_BYTES",
    "Chunk",
    "ChunkSpec",
    "Document",
    "IngestResult",
    "chunk_spec",
    "chunk_text",
    "ingest_bytes",
    "ingest_file",
    "ingest_many",
    "load_tokenizer",
    "read_documents",
    "sniff_format",
    "write_documents",
]
