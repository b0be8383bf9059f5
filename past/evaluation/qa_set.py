"""Closed-book QA sets: load questions with reference answers, grouped by the document they are about.

Accepted inputs: the studio's ``*.qa.json`` files (``{doc_id, questions: [{id, question, answer, split}]}``),
a directory of them, SQuAD-style passage files (``[{title, context, questions: [{question, answer}]}]``,
as in ``shared/data/squad``), JSONL rows with ``question``, ``answer``/``answers`` and ``doc_id``, and
LooGLE JSONL files (rows with ``input`` and ``qa_pairs``; :mod:`past.evaluation.loogle`).
"""

from __future__ import annotations

import itertools
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from past.datasets import iter_jsonl
from past.datasets.jsonl import loads_json
from past.documents.ingest import slugify
from past.errors import EvaluationError
from past.evaluation.loogle import LoogleRow, is_loogle_row, parse_loogle_lines, parse_loogle_rows


@dataclass(frozen=True)
class QAItem:
    qid: str
    doc_id: str
    question: str
    answers: tuple[str, ...]
    split: str = ""


@dataclass
class QASet:
    items: list[QAItem]
    contexts: dict[str, str] = field(default_factory=dict)  # doc_id -> passage text, where the file has it

    def __len__(self) -> int:
        return len(self.items)

    @property
    def doc_ids(self) -> list[str]:
        return list(dict.fromkeys(i.doc_id for i in self.items))

    def filter(self, split: str | None = None, docs: Iterable[str] | None = None, limit: int | None = None) -> QASet:
        wanted = set(docs) if docs is not None else None
        items = [i for i in self.items if (not split or i.split == split) and (wanted is None or i.doc_id in wanted)][
            : limit if limit else None
        ]
        keep = {i.doc_id for i in items}
        return QASet(items, {k: v for k, v in self.contexts.items() if k in keep})


def _answers(row: dict, where: str) -> tuple[str, ...]:
    raw = row.get("answers", row.get("answer"))
    if isinstance(raw, str):
        raw = [raw]
    if isinstance(raw, dict):  # SQuAD's {"text": [...]}
        raw = raw.get("text")
    if not raw or not isinstance(raw, list | tuple) or not all(isinstance(a, str) and a.strip() for a in raw):
        raise EvaluationError(f"{where}: a question has no answer (expected 'answer' or 'answers')")
    return tuple(raw)


def _question(row: dict, where: str) -> str:
    question = row.get("question")
    if not isinstance(question, str) or not question.strip():
        raise EvaluationError(f"{where}: an entry has no 'question' text")
    return question.strip()


def _from_json(data: object, name: str, stem: str) -> QASet:
    items, contexts = [], {}
    if isinstance(data, dict) and isinstance(data.get("questions"), list):  # studio *.qa.json
        doc_id = str(data.get("doc_id") or slugify(stem))
        for n, row in enumerate(data["questions"]):
            if not isinstance(row, dict):
                raise EvaluationError(f"{name}: question {n + 1} is {row!r}, not an object with a question and answer")
            items.append(
                QAItem(
                    str(row.get("id") or f"{doc_id}-{n:03d}"),
                    doc_id,
                    _question(row, name),
                    _answers(row, name),
                    str(row.get("split", "")),
                )
            )
        return QASet(items, contexts)
    if isinstance(data, list) and all(isinstance(p, dict) and "questions" in p for p in data):  # SQuAD passages
        for p_index, passage in enumerate(data):
            doc_id = f"{slugify(str(passage.get('title') or stem))}-{p_index:04d}"
            if passage.get("context"):
                contexts[doc_id] = passage["context"]
            if not isinstance(passage["questions"], list) or not all(isinstance(r, dict) for r in passage["questions"]):
                raise EvaluationError(f"{name}: passage {p_index + 1} has 'questions' that are not a list of objects")
            for n, row in enumerate(passage["questions"]):
                items.append(QAItem(f"{doc_id}-{n:02d}", doc_id, _question(row, name), _answers(row, name)))
        return QASet(items, contexts)
    raise EvaluationError(f"{name} is not a QA file: expected a studio .qa.json object or a SQuAD-style list")


def qa_set_from_json(data: object, name: str = "questions.qa.json") -> QASet:
    """A QA set from already-parsed JSON (a studio ``.qa.json`` object or a SQuAD-style list)."""
    return _from_json(data, name, name.split(".")[0])


def _from_jsonl(path: Path) -> QASet:
    """A JSONL file, read once: LooGLE rows when its first row is one, else question rows (or synthetic QA rows)."""
    rows = iter_jsonl(path, EvaluationError)
    first = next(rows, None)
    if first is None:
        return QASet([])
    rows = itertools.chain([first], rows)
    if is_loogle_row(first[1]):
        return qa_set_from_loogle(parse_loogle_rows(rows, path.name))
    items = []
    for n, (_, row) in enumerate(rows):
        if row.get("kind") == "qa" and "prompt" in row:  # a synthetic-data file
            row = {"question": row["prompt"], "answer": row["completion"], "doc_id": row["provenance"]["doc_id"]}
        doc_id = str(row.get("doc_id") or slugify(path.stem))
        qid = str(row.get("id") or f"{doc_id}-{n:04d}")
        items.append(
            QAItem(qid, doc_id, _question(row, path.name), _answers(row, path.name), str(row.get("split", "")))
        )
    return QASet(items)


def loogle_qa_set(lines: Iterable[str], name: str = "loogle.jsonl", limit: int | None = None) -> QASet:
    """A closed-book QA set from LooGLE lines (:mod:`past.evaluation.loogle`); ``contexts`` holds the texts."""
    return qa_set_from_loogle(parse_loogle_lines(lines, name, limit))


def qa_set_from_loogle(rows: Iterable[LoogleRow]) -> QASet:
    """The QA set of parsed LooGLE rows: their questions, and the documents' texts as ``contexts``."""
    rows = list(rows)
    items = [QAItem(qid, r.doc_id, question, (answer,)) for r in rows for qid, question, answer in r.questions]
    return QASet(items, {r.doc_id: r.text for r in rows})


def load_qa_set(paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]]) -> QASet:
    """Load and concatenate QA files (a directory means its ``*.qa.json`` files)."""
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    files: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found = sorted(path.glob("*.qa.json"))
            if not found:
                raise EvaluationError(f"{path} holds no *.qa.json files")
            files.extend(found)
        elif path.is_file():
            files.append(path)
        else:
            raise EvaluationError(f"QA file {path} does not exist")
    merged = QASet([])
    for path in files:
        if path.suffix == ".jsonl":
            part = _from_jsonl(path)
        else:
            try:
                data = loads_json(path.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
                raise EvaluationError(f"{path.name} is not readable JSON: {exc}") from exc
            part = _from_json(data, path.name, path.name.split(".")[0])
        merged.items.extend(part.items)
        merged.contexts.update(part.contexts)
    if not merged.items:
        raise EvaluationError("the QA set is empty")
    return merged
