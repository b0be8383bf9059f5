"""Documents and closed-book QA sets for the pipeline, from files or directories.

Documents are plain text / Markdown files; QA sets are ``*.qa.json`` files (``{doc_id, title, document,
questions: [{id, question, answer, split}]}``, the schema of ``assets/documents``) or JSONL records with
``question`` and ``answer``/``answers``. A directory contributes all of its documents and QA files.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from past.training.data import TrainingDataError, load_qa_pairs

DOC_SUFFIXES = {".md", ".txt", ".markdown"}


@dataclass
class Document:
    doc_id: str
    text: str
    path: str = ""


@dataclass
class Corpus:
    documents: list[Document] = field(default_factory=list)
    qa: list[dict[str, Any]] = field(default_factory=list)

    def questions(self, split: str | None = None) -> list[dict[str, Any]]:
        return [q for q in self.qa if split is None or q.get("split", "train") == split]


def load_qa_file(path: Path) -> list[dict[str, Any]]:
    if path.name.endswith(".qa.json"):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise TrainingDataError(f"{path} is not valid JSON: {exc}") from exc
        doc_id = data.get("doc_id", path.name.removesuffix(".qa.json"))
        return [
            {
                "id": q.get("id", ""),
                "question": q["question"],
                "answers": q.get("answers") or [q["answer"]],
                "doc_id": doc_id,
                "split": q.get("split", "train"),
            }
            for q in data.get("questions", [])
        ]
    return [{**p, "split": "train"} for p in load_qa_pairs(path)]


def load_corpus(paths: Iterable[str | Path]) -> Corpus:
    """Documents and QA pairs from files and directories (sorted, so the order is reproducible)."""
    corpus = Corpus()
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            files = sorted(p for p in path.iterdir() if p.is_file())
        elif path.is_file():
            files = [path]
        else:
            raise TrainingDataError(f"document or QA file not found: {path}")
        for file in files:
            if file.name.endswith(".qa.json") or file.suffix == ".jsonl":
                corpus.qa.extend(load_qa_file(file))
            elif file.suffix.lower() in DOC_SUFFIXES and file.name.lower() != "readme.md":
                text = file.read_text(encoding="utf-8", errors="replace").strip()
                if text:
                    corpus.documents.append(Document(doc_id=file.stem, text=text, path=str(file)))
    return corpus


def chunk_text(text: str, tokenizer: Any, max_tokens: int) -> list[str]:
    """Paragraph-greedy chunks of at most ~``max_tokens`` tokens (long paragraphs split by sentences)."""
    pieces: list[str] = []
    for para in [p.strip() for p in text.split("\n\n") if p.strip()]:
        if len(tokenizer(para)["input_ids"]) <= max_tokens:
            pieces.append(para)
        else:
            pieces.extend(s.strip() + "." for s in para.split(". ") if s.strip())
    chunks: list[str] = []
    current = ""
    for piece in pieces:
        candidate = f"{current}\n\n{piece}" if current else piece
        if current and len(tokenizer(candidate)["input_ids"]) > max_tokens:
            chunks.append(current)
            current = piece
        else:
            current = candidate
    if current:
        chunks.append(current)
    return chunks
