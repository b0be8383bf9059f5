"""Readers for the public data sets under ``shared/data``: SQuAD passages (SEAL) and LooGLE samples.

Each returns documents, a closed-book QA set over them with matching doc ids, and (SQuAD train file only)
the published implications as synthetic items with provenance, ready for SFT.
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from past.documents.ingest import Document, slugify
from past.errors import PastError
from past.evaluation.qa_set import QAItem, QASet, qa_set_from_json
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
        passages = json.loads(path.read_text(encoding="utf-8"))
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
    """LooGLE JSONL: ``{input, title, qa_pairs}`` with ``qa_pairs`` a Python literal ``[{Q, A, S}]``.
    Cloze answers (a dict of masks) become ``"<mask-0>: X; <mask-1>: Y"``."""
    path = Path(path)
    out = PublicSet([], QASet([]))
    try:
        lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    except (OSError, json.JSONDecodeError) as exc:
        raise PastError(f"cannot read the LooGLE file {path}: {exc}") from exc
    for index, row in enumerate(lines[:limit] if limit else lines):
        doc_id = f"{slugify(row['title'])}-{index:02d}"
        out.documents.append(_document(doc_id, row["title"], row["input"].strip(), str(path)))
        try:
            pairs = ast.literal_eval(row["qa_pairs"]) if isinstance(row["qa_pairs"], str) else row["qa_pairs"]
        except (ValueError, SyntaxError) as exc:
            raise PastError(f"{path.name} line {index + 1}: qa_pairs is not a Python literal") from exc
        for n, pair in enumerate(pairs):
            answer = pair["A"]
            if isinstance(answer, dict):
                answer = "; ".join(f"{k}: {v}" for k, v in sorted(answer.items()))
            out.qa.items.append(QAItem(f"{doc_id}-{n:03d}", doc_id, pair["Q"], (str(answer),)))
    return out
