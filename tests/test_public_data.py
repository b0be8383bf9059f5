"""The shared public data sets (../shared/data) load into documents, QA sets and synthetic items."""

from __future__ import annotations

from pathlib import Path

import pytest

from past.documents import chunk_text
from past.pipeline.public import load_loogle, load_squad

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "data"
needs_shared = pytest.mark.skipif(not SHARED.is_dir(), reason="../shared/data (public data sets) is absent")


@needs_shared
def test_squad_train_passages_with_implications() -> None:
    data = load_squad(SHARED / "squad" / "train_passages_with_implications.json")
    assert len(data.documents) == 100 and {i.doc_id for i in data.qa.items} == {d.doc_id for d in data.documents}
    assert len(data.items) > 500 and all(i.kind == "implication" for i in data.items)
    assert data.items[0].provenance.doc_id == data.documents[0].doc_id
    first = load_squad(SHARED / "squad" / "dev_passages.json", limit=3)
    assert len(first.documents) == 3 and first.qa.doc_ids == [d.doc_id for d in first.documents]


@needs_shared
def test_loogle_samples_load_and_chunk() -> None:
    from tokenizers import Tokenizer
    from transformers import PreTrainedTokenizerFast

    data = load_loogle(SHARED / "loogle" / "shortdep_qa.jsonl")
    assert len(data.documents) == 5 and len(data.qa) == 80
    assert all(len(d.text) > 60_000 for d in data.documents)
    cloze = load_loogle(SHARED / "loogle" / "shortdep_cloze.jsonl", limit=1)
    assert cloze.qa.items[0].answers[0].startswith("<mask-0>: ")
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=Tokenizer.from_file(str(ROOT / "tests/data/tiny_tokenizer.json"))
    )
    chunks = chunk_text(data.documents[0].text, tokenizer, "memorise-1024", data.documents[0].doc_id)
    assert len(chunks) > 5 and all(c.n_tokens == 1024 for c in chunks[:-1])
