"""Token chunking: window sizes and overlaps exact in the model's tokens, presets from the paper."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from past.documents import CHUNK_PRESETS, ChunkSpec, chunk_spec, chunk_text, ingest_file, load_tokenizer
from past.documents.chunking import token_windows
from past.errors import ConfigError
from past.models import ModelRegistry

ROOT = Path(__file__).resolve().parent.parent


def test_presets_are_the_papers() -> None:
    assert {k: (v.size, v.overlap) for k, v in CHUNK_PRESETS.items()} == {
        "memorise-1024": (1024, 256),
        "memorise-2048": (2048, 256),
        "memorise-4096": (4096, 256),
        "qa-128": (128, 16),
        "qa-256": (256, 16),
        "qa-512": (512, 16),
    }
    assert chunk_spec("100:10") == ChunkSpec(100, 10)
    with pytest.raises(ConfigError):
        chunk_spec("huge")
    with pytest.raises(ConfigError):
        ChunkSpec(16, 16)


def test_windows_cover_everything_with_exact_overlap() -> None:
    assert token_windows(0, ChunkSpec(4, 1)) == []
    assert token_windows(3, ChunkSpec(4, 1)) == [(0, 3)]
    assert token_windows(10, ChunkSpec(4, 1)) == [(0, 4), (3, 7), (6, 10)]
    assert token_windows(11, ChunkSpec(4, 1)) == [(0, 4), (3, 7), (6, 10), (9, 11)]


@pytest.mark.slow
def test_chunks_are_exact_in_the_default_models_tokens(session_settings) -> None:
    tokenizer = load_tokenizer(ModelRegistry(session_settings).resolve("default").path)
    text = "\n\n".join(ingest_file(p).text for p in sorted((ROOT / "assets" / "documents").glob("*-*.md")))
    ids = tokenizer(text, add_special_tokens=False)["input_ids"]
    assert len(ids) > 600
    for spec in (CHUNK_PRESETS["qa-128"], CHUNK_PRESETS["qa-256"], ChunkSpec(100, 30)):
        chunks = chunk_text(text, tokenizer, spec, doc_id="d")
        assert [c.index for c in chunks] == list(range(len(chunks)))
        assert all(c.n_tokens == spec.size for c in chunks[:-1]) and 0 < chunks[-1].n_tokens <= spec.size
        assert chunks[0].token_start == 0 and chunks[-1].token_end == len(ids)
        for a, b in itertools.pairwise(chunks):
            assert a.token_end - b.token_start == spec.overlap
        for c in chunks:  # the text is the exact slice its tokens cover
            assert tokenizer(c.text, add_special_tokens=False)["input_ids"] == ids[c.token_start : c.token_end]
    single = chunk_text(text, tokenizer, "memorise-2048", doc_id="d")
    assert len(single) == 1 and single[0].text == text
