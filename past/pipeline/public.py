"""Readers for the public data sets under ``shared/data``: SQuAD passages (SEAL) and LooGLE samples.

Each returns documents, a closed-book QA set over them with matching doc ids, and (SQuAD train file only)
the published implications as synthetic items with provenance, ready for SFT.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from past.datasets import iter_jsonl
from past.datasets.jsonl import loads_json
from past.documents.ingest import Document, slugify
from past.errors import EvaluationError, PastError
from past.evaluation.loogle import parse_loogle_rows
from past.evaluation.qa_set import QASet, qa_set_from_json, qa_set_from_loogle
from past.synthesis.items import Provenance, SynthItem
from past.synthesis.parsing import parse_lines

SEAL_GENERATOR = "Qwen2.5-7B (SEAL release)"


@dataclass
class PublicSet:
    documents: list[Document]
    qa: QASet
    items: list[SynthItem] = field(default_factory=list)


def _document(doc_id: str, title: str, text: str, source: str) -> Document:
    sha = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return Document(doc_id=doc_id, name=title, format="text", text=text, sha256=sha, source=source)


def load_squad(path: str | os.PathLike[str], limit: int | None = None) -> PublicSet:
    """SEAL's SQuAD passage files: ``[{title, context, questions: [{question, answer}], implications?}]``."""
    path = Path(path)
    try:
        passages = loads_json(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise PastError(f"cannot read the SQuAD file {path}: {exc}") from exc
    chosen = passages[:limit] if limit else passages
    out = PublicSet([], qa_set_from_json(chosen, path.name))  # the one QA loader reads the questions
    for index, passage in enumerate(chosen):
        doc_id = f"{slugify(passage['title'])}-{index:04d}"
        out.documents.append(_document(doc_id, passage["title"], passage["context"], str(path)))
        for sample, block in enumerate(passage.get("implications", [])):
            provenance = Provenance(doc_id, 0, SEAL_GENERATOR, "implications", sample, "2025-01-01T00:00:00+00:00")
            out.items.extend(SynthItem("implication", "", line, provenance) for line in parse_lines(block))
    return out


def load_loogle(path: str | os.PathLike[str], limit: int | None = None) -> PublicSet:
    """LooGLE JSONL: ``{input, title, qa_pairs}`` with ``qa_pairs`` a Python literal ``[{Q, A, S}]``, parsed by
    :mod:`past.evaluation.loogle` (``ast.literal_eval``; a malformed line is an error naming it)."""
    path = Path(path)
    rows = parse_loogle_rows(iter_jsonl(path, EvaluationError), path.name, limit)
    qa = qa_set_from_loogle(rows)
    return PublicSet([_document(r.doc_id, r.title, r.text, str(path)) for r in rows], qa)
