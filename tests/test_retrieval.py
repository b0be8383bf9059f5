"""The retrieval index (build, save, load, retrieve, rebuild on change, nothing pickled) and its prompt."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from transformers import PreTrainedTokenizerFast

from past.documents import ingest_bytes
from past.errors import ConfigError
from past.evaluation.prompts import render_documents_prompt, render_prompt
from past.retrieval import RetrievalIndex, ensure_index

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "assets" / "documents"


@pytest.fixture(scope="module")
def tokenizer() -> PreTrainedTokenizerFast:
    return PreTrainedTokenizerFast(tokenizer_file=str(ROOT / "tests" / "data" / "tiny_tokenizer.json"))


def documents(*names: str):
    return [ingest_bytes((DOCS / n).read_bytes(), n) for n in names]


def test_build_save_load_retrieve(tmp_path: Path, tokenizer) -> None:
    docs = documents("isle-of-vessary.md", "orvane-glass-lichen.md", "quillmere-handbook.md")
    index = RetrievalIndex.build(docs, tokenizer, "qa-128", tokenizer_id="tiny")
    assert len(index) > 3 and index.meta["documents"] == sorted(d.name for d in docs)
    hits = index.retrieve("Who led the first settlers of the Isle of Vessary?", k=3)
    assert 1 <= len(hits) <= 3 and hits[0].doc_name == "isle-of-vessary.md"
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True) and hits[-1].score > 0
    assert index.retrieve("glass lichen pika", k=1)[0].doc_name == "orvane-glass-lichen.md"
    assert index.retrieve("zzqx wvvy", k=3) == [] and index.retrieve("", k=3) == []  # nothing in common: no hits
    assert len(index.retrieve("Vessary", k=500)) <= len(index)  # k beyond the index is clamped
    with pytest.raises(ConfigError, match="k must be at least 1"):
        index.retrieve("Vessary", k=0)

    folder = index.save(tmp_path / "index")
    loaded = RetrievalIndex.load(folder)
    assert loaded.fingerprint == index.fingerprint and loaded.chunks == index.chunks
    query = "What is the only town on the island?"
    assert loaded.retrieve(query, 3) == index.retrieve(query, 3)


def test_nothing_on_disk_is_pickled(tmp_path: Path, tokenizer) -> None:
    folder = RetrievalIndex.build(documents("isle-of-vessary.md"), tokenizer).save(tmp_path / "index")
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    assert files and {p.suffix for p in files} <= {".json", ".npy"}
    for path in files:
        if path.suffix == ".npy":
            assert np.load(path, allow_pickle=False).dtype != object  # plain arrays, readable without pickle
        else:
            json.loads(path.read_text(encoding="utf-8"))
        assert not path.read_bytes().startswith(b"\x80")  # no pickle stream anywhere


def test_ensure_index_builds_once_and_rebuilds_when_the_collection_changes(tmp_path: Path, tokenizer) -> None:
    folder = tmp_path / "retrieval" / "islands"
    first = ensure_index(folder, documents("isle-of-vessary.md"), tokenizer, tokenizer_id="tiny")
    stamp = (folder / "index.json").stat().st_mtime_ns
    again = ensure_index(folder, documents("isle-of-vessary.md"), tokenizer, tokenizer_id="tiny")
    assert again.fingerprint == first.fingerprint and (folder / "index.json").stat().st_mtime_ns == stamp  # reused
    assert {c["doc_name"] for c in again.chunks} == {"isle-of-vessary.md"}
    grown = ensure_index(
        folder, documents("isle-of-vessary.md", "orvane-glass-lichen.md"), tokenizer, tokenizer_id="tiny"
    )
    assert grown.fingerprint != first.fingerprint  # a document added: rebuilt, and it is found
    assert RetrievalIndex.load(folder).retrieve("glass lichen pika", 1)[0].doc_name == "orvane-glass-lichen.md"
    edited = [ingest_bytes(b"# Isle\n\nThe ferry to Vessary leaves from Dunmore.", "isle-of-vessary.md")]
    assert ensure_index(folder, edited, tokenizer, tokenizer_id="tiny").fingerprint != grown.fingerprint
    other_tokenizer = ensure_index(folder, edited, tokenizer, tokenizer_id="other")
    assert other_tokenizer.meta["tokenizer"] == "other"  # another tokenizer: rebuilt too
    (folder / "chunks.json").write_text("{broken")
    assert ensure_index(folder, edited, tokenizer, tokenizer_id="other").retrieve("ferry Dunmore", 1)  # repaired
    with pytest.raises(ConfigError, match="no text"):
        RetrievalIndex.build([], tokenizer)


def test_the_documents_prompt_puts_passages_before_the_same_question() -> None:
    question = "Who led the first settlers?"
    text = render_documents_prompt(question, ["Ossian Rudd led them.", "Tallowmere is the town."], "paper")
    assert text.endswith(render_prompt(question, "paper"))
    assert text.index("Passage 1:\nOssian Rudd") < text.index("Passage 2:\nTallowmere") < text.index("Question:")
    assert render_documents_prompt(question, [], "question") == render_prompt(question, "question")


def test_a_chat_side_shows_the_passages_it_read() -> None:
    from past.retrieval import Hit
    from studio.ab_reply import passages_text

    text = passages_text([Hit("Tallowmere is the only town.\nIt has a harbour.", "isle.md", 1, 2.5)])
    assert "**1. isle.md** (passage 2, score 2.50)" in text and "> Tallowmere is the only town.\n> It has a" in text
    assert passages_text(None) == "" and "no passage matched" in passages_text([])
