"""LooGLE files (``shared/data/loogle/*.jsonl``): long documents with their questions, parsed safely.

Each line is a JSON object ``{input, title, qa_pairs, output}`` where ``qa_pairs`` is a *Python literal*
string ``"[{'Q': ..., 'A': ..., 'S': ...}]"``. It is read with :func:`ast.literal_eval` (literals only, never
``eval``); cloze answers (a dict of masks) become ``"<mask-0>: X; <mask-1>: Y"``. Any malformed line is a
:class:`~past.errors.EvaluationError` naming the file and the line number, so nothing is half-loaded.
:func:`past.evaluation.qa_set.loogle_qa_set` turns the rows into a QA set.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Iterable
from dataclasses import dataclass, field

from past.datasets.jsonl import loads_json
from past.documents.ingest import slugify
from past.errors import EvaluationError

REQUIRED = ("input", "qa_pairs")
EVIDENCE_PREFIX = 80  # characters of an evidence passage looked up in a slice (LooGLE quotes them verbatim)


@dataclass(frozen=True)
class LoogleRow:
    doc_id: str
    title: str
    text: str
    questions: tuple[tuple[str, str, str], ...]  # (question id, question, answer)
    evidence: dict[str, tuple[str, ...]] = field(default_factory=dict)  # question id → the passages it rests on

    def questions_within(self, text: str) -> list[str]:
        """The ids of the questions whose every evidence passage lies in ``text`` (a slice of the document):
        the questions a model that learned only ``text`` could answer. Questions without evidence are left out."""
        flat = " ".join(text.split())
        return [
            qid
            for qid, _, _ in self.questions
            if self.evidence.get(qid) and all(" ".join(e.split())[:EVIDENCE_PREFIX] in flat for e in self.evidence[qid])
        ]


def is_loogle_row(row: object) -> bool:
    """A parsed JSONL row that looks like LooGLE (a long ``input`` and its ``qa_pairs``)."""
    return isinstance(row, dict) and all(key in row for key in REQUIRED)


def _pairs(raw: object, where: str) -> list[dict]:
    if isinstance(raw, str):
        try:
            raw = ast.literal_eval(raw)
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError) as exc:
            detail = exc.msg if isinstance(exc, SyntaxError) else type(exc).__name__
            raise EvaluationError(f"{where}: qa_pairs is not a Python literal list of questions ({detail})") from None
    if not isinstance(raw, list | tuple):
        raise EvaluationError(f"{where}: qa_pairs must be a list of {{'Q': ..., 'A': ...}}, got {type(raw).__name__}")
    for n, pair in enumerate(raw, start=1):
        if not isinstance(pair, dict) or not isinstance(pair.get("Q"), str) or not pair["Q"].strip():
            raise EvaluationError(f"{where}: qa_pairs entry {n} has no question text 'Q'")
        if pair.get("A") in (None, "", {}):
            raise EvaluationError(f"{where}: qa_pairs entry {n} has no answer 'A'")
    return list(raw)


def _answer(answer: object) -> str:
    if isinstance(answer, dict):
        return "; ".join(f"{k}: {v}" for k, v in sorted(answer.items()))
    return str(answer)


def _evidence(raw: object) -> tuple[str, ...]:
    """LooGLE's ``S``: one passage or a list of them; anything else is no evidence."""
    passages = [raw] if isinstance(raw, str) else list(raw) if isinstance(raw, list | tuple) else []
    return tuple(p.strip() for p in passages if isinstance(p, str) and p.strip())


def parse_loogle_lines(lines: Iterable[str], name: str = "loogle.jsonl", limit: int | None = None) -> list[LoogleRow]:
    """The documents and questions of a LooGLE file's lines (blank lines skipped; errors name the line)."""
    rows: list[LoogleRow] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        if limit and len(rows) >= limit:
            break
        where = f"{name} line {number}"
        try:
            row = loads_json(line)
        except json.JSONDecodeError as exc:
            raise EvaluationError(f"{where} is not valid JSON (column {exc.colno}: {exc.msg})") from None
        if not isinstance(row, dict):
            raise EvaluationError(f"{where}: expected a JSON object with 'input' and 'qa_pairs'")
        missing = [key for key in REQUIRED if key not in row]
        if missing:
            raise EvaluationError(
                f"{where}: a LooGLE row needs {' and '.join(REQUIRED)} (missing {', '.join(missing)})"
            )
        if not isinstance(row["input"], str) or not row["input"].strip():
            raise EvaluationError(f"{where}: 'input' (the document text) is empty")
        title = str(row.get("title") or name.split(".")[0])
        doc_id = f"{slugify(title)}-{len(rows):02d}"
        pairs = _pairs(row["qa_pairs"], where)
        questions = tuple((f"{doc_id}-{n:03d}", pair["Q"].strip(), _answer(pair["A"])) for n, pair in enumerate(pairs))
        evidence = {qid: _evidence(pair.get("S")) for (qid, _, _), pair in zip(questions, pairs, strict=True)}
        rows.append(LoogleRow(doc_id, title, row["input"].strip(), questions, evidence))
    if not rows:
        raise EvaluationError(f"{name} holds no LooGLE rows")
    return rows
