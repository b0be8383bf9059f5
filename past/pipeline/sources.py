"""Documents, their questions and any synthetic items they come with, read from files for the pipeline.

The one loader Stage I and Stage II use when they are given paths (the CLI, recipes, benchmarks); the
studio passes documents from its collections directly. Accepted inputs, files or directories of them:

* documents in any format :mod:`past.documents` ingests (Markdown, text, HTML, PDF, DOCX), one
  :class:`~past.documents.ingest.Document` each;
* question files (``*.qa.json``, JSONL) read by :func:`past.evaluation.load_qa_set`;
* SQuAD-style passage files (``[{title, context, questions, implications?}]``, as in
  ``shared/data/squad``): each passage becomes a document with its questions, and its ``implications``
  (if present) become provided synthetic items, recorded as such.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from past.datasets.jsonl import loads_json
from past.documents.ingest import Document, ingest_file
from past.errors import ConfigError, DocumentError
from past.evaluation.qa_set import QASet, load_qa_set

QA_SUFFIXES = (".qa.json", ".jsonl")
SKIPPED_NAMES = {"readme.md"}


@dataclass
class Sources:
    """Documents with their questions; ``provided`` holds synthetic texts shipped with a document."""

    documents: list[Document] = field(default_factory=list)
    qa: QASet = field(default_factory=lambda: QASet([]))
    provided: dict[str, list[str]] = field(default_factory=dict)  # doc_id -> implication texts

    def subset(self, doc_ids: Iterable[str]) -> Sources:
        wanted = list(doc_ids)
        keep = set(wanted)
        return Sources(
            [d for d in self.documents if d.doc_id in keep],
            self.qa.filter(docs=keep),
            {k: v for k, v in self.provided.items() if k in keep},
        )

    def extend(self, other: Sources) -> None:
        taken = {d.doc_id for d in self.documents}
        clash = taken & {d.doc_id for d in other.documents}
        if clash:
            raise ConfigError(f"two sources define the same document id(s): {', '.join(sorted(clash))}")
        self.documents.extend(other.documents)
        self.qa.items.extend(other.qa.items)
        self.qa.contexts.update(other.qa.contexts)
        self.provided.update(other.provided)


def _squad_sources(path: Path, limit: int | None) -> Sources:
    """Passages of a SQuAD-style file (:func:`past.pipeline.public.load_squad`), implications as provided texts."""
    from past.pipeline.public import load_squad

    public = load_squad(path, limit=limit)
    provided: dict[str, list[str]] = {}
    blocks: dict[tuple[str, int | None], list[str]] = {}
    for item in public.items:
        blocks.setdefault((item.provenance.doc_id, item.provenance.seed), []).append(item.completion)
    for (doc_id, _), lines in blocks.items():
        provided.setdefault(doc_id, []).append("\n".join(lines))
    return Sources(public.documents, public.qa, provided)


def _is_loogle(path: Path) -> bool:
    """A ``.jsonl`` whose first row has LooGLE's ``input`` and ``qa_pairs`` (documents and their questions)."""
    from past.evaluation.loogle import is_loogle_row

    try:
        with path.open(encoding="utf-8") as handle:
            first = next((line for line in handle if line.strip()), "")
        return is_loogle_row(loads_json(first))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return False


def _loogle_sources(path: Path, limit: int | None) -> Sources:
    """The long documents of a LooGLE file with their questions (:func:`past.pipeline.public.load_loogle`)."""
    from past.pipeline.public import load_loogle

    public = load_loogle(path, limit=limit)
    return Sources(public.documents, public.qa)


def _check_squad_file(path: Path) -> None:
    try:
        data = loads_json(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DocumentError(path.name, f"is not readable JSON: {exc}") from exc
    if not (isinstance(data, list) and data and all(isinstance(p, dict) and "context" in p for p in data)):
        raise DocumentError(path.name, "is JSON but neither a .qa.json question file nor a SQuAD-style passage list")


def _files(paths: Sequence[str | os.PathLike[str]]) -> list[Path]:
    files: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            files.extend(sorted(p for p in path.iterdir() if p.is_file() and p.name.lower() not in SKIPPED_NAMES))
        elif path.is_file():
            files.append(path)
        else:
            raise ConfigError(f"document or question file not found: {path}")
    return files


def load_sources(paths: Sequence[str | os.PathLike[str]], *, limit: int | None = None) -> Sources:
    """Documents and questions from files and directories (sorted, so the order is reproducible).

    ``limit`` keeps the first ``limit`` documents (with their questions) of SQuAD-style passage files and of
    LooGLE ``.jsonl`` files (long documents with their questions).
    """
    sources = Sources()
    question_files: list[Path] = []
    for path in _files(paths):
        name = path.name.lower()
        if name.endswith(".jsonl") and _is_loogle(path):
            sources.extend(_loogle_sources(path, limit))
            continue
        if name.endswith(QA_SUFFIXES):
            question_files.append(path)
            continue
        if name.endswith(".json"):
            _check_squad_file(path)
            sources.extend(_squad_sources(path, limit))
        else:
            sources.extend(Sources([ingest_file(path)]))
    if question_files:
        qa = load_qa_set(question_files)
        sources.qa.items.extend(qa.items)
    return sources
