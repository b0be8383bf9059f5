"""Token chunking with overlap, using the model's own tokenizer.

Windows are ``size`` tokens long and consecutive windows share exactly ``overlap`` tokens (the last one
may be shorter). Each chunk's text is the exact slice of the source text its tokens cover. Presets follow
the paper: memorisation chunks of 1024/2048/4096 tokens with 256 overlap, QA chunks of 128/256/512 with 16.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from past.errors import ConfigError


@dataclass(frozen=True)
class ChunkSpec:
    size: int
    overlap: int

    def __post_init__(self) -> None:
        if self.size < 1:
            raise ConfigError(f"chunk size must be at least 1 token, got {self.size}")
        if not 0 <= self.overlap < self.size:
            raise ConfigError(f"chunk overlap must be in [0, size), got {self.overlap} for size {self.size}")


CHUNK_PRESETS: dict[str, ChunkSpec] = {
    "memorise-1024": ChunkSpec(1024, 256),
    "memorise-2048": ChunkSpec(2048, 256),
    "memorise-4096": ChunkSpec(4096, 256),
    "qa-128": ChunkSpec(128, 16),
    "qa-256": ChunkSpec(256, 16),
    "qa-512": ChunkSpec(512, 16),
}


def chunk_spec(name_or_spec: str | ChunkSpec) -> ChunkSpec:
    """A preset by name, ``SIZE:OVERLAP``, or a spec passed through."""
    if isinstance(name_or_spec, ChunkSpec):
        return name_or_spec
    if name_or_spec in CHUNK_PRESETS:
        return CHUNK_PRESETS[name_or_spec]
    size, sep, overlap = name_or_spec.partition(":")
    if sep and size.isdigit() and overlap.isdigit():
        return ChunkSpec(int(size), int(overlap))
    raise ConfigError(f"unknown chunking '{name_or_spec}': use one of {', '.join(CHUNK_PRESETS)} or SIZE:OVERLAP")


@dataclass(frozen=True)
class Chunk:
    """A token window of one document."""

    doc_id: str
    index: int
    text: str
    token_start: int
    token_end: int

    @property
    def n_tokens(self) -> int:
        return self.token_end - self.token_start

    def to_dict(self) -> dict:
        return asdict(self)


def token_windows(n_tokens: int, spec: ChunkSpec) -> list[tuple[int, int]]:
    """[start, end) windows covering ``n_tokens`` with the spec's size and overlap."""
    if n_tokens <= 0:
        return []
    step = spec.size - spec.overlap
    windows, start = [], 0
    while True:
        end = min(start + spec.size, n_tokens)
        windows.append((start, end))
        if end >= n_tokens:
            return windows
        start += step


def chunk_text(text: str, tokenizer: Any, spec: ChunkSpec | str, doc_id: str = "") -> list[Chunk]:
    """Split ``text`` into overlapping token windows of ``tokenizer`` (a fast Hugging Face tokenizer)."""
    spec = chunk_spec(spec)
    encoded = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
    offsets = encoded["offset_mapping"]
    chunks = []
    for index, (start, end) in enumerate(token_windows(len(offsets), spec)):
        piece = text[offsets[start][0] : offsets[end - 1][1]]
        chunks.append(Chunk(doc_id=doc_id, index=index, text=piece, token_start=start, token_end=end))
    return chunks


def load_tokenizer(path: Any) -> Any:
    """The tokenizer of a checkpoint directory (no weights loaded)."""
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(path)
