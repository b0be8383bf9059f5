"""Checking an uploaded question file before it is stored: size, UTF-8 JSON, shape, question count.

Accepted: the studio's ``.qa.json`` format (``{doc_id, questions: [{id, question, answer, split}]}``,
as in ``assets/documents``), a SQuAD-style list of passages, or a LooGLE ``.jsonl`` file (``input`` and
``qa_pairs``, the latter read with ``ast.literal_eval``, see :mod:`past.evaluation.loogle`). Only JSON and
Python literals are ever parsed from users, never executed.
"""

from __future__ import annotations

import json

from past.datasets.jsonl import loads_json
from past.errors import EvaluationError, PastError
from past.evaluation import QASet, qa_set_from_json

MAX_QA_BYTES = 2_000_000
MAX_QUESTIONS = 5_000


class QAUploadError(PastError):
    """An uploaded question file that cannot be used (not JSON, wrong shape, too big)."""


def _check_rows(name: str, data: object) -> None:
    """Reject shapes the parser would trip over with something less helpful than a sentence."""
    if isinstance(data, dict):
        questions = data.get("questions")
        if not isinstance(questions, list):
            raise QAUploadError(f"{name}: expected an object with a 'questions' list")
        rows = questions
    elif isinstance(data, list):
        if not all(isinstance(p, dict) and isinstance(p.get("questions"), list) for p in data):
            raise QAUploadError(f"{name}: expected a list of passages, each with a 'questions' list")
        rows = [q for p in data for q in p["questions"]]
    else:
        raise QAUploadError(f"{name}: expected a JSON object with 'questions' (or a SQuAD-style list)")
    if not rows:
        raise QAUploadError(f"{name}: the file holds no questions")
    if len(rows) > MAX_QUESTIONS:
        raise QAUploadError(f"{name}: {len(rows)} questions is too many (the limit is {MAX_QUESTIONS})")
    for n, row in enumerate(rows, start=1):
        if not isinstance(row, dict):
            raise QAUploadError(f"{name}: question {n} is not an object with 'question' and 'answer'")


def parse_qa_upload(name: str, data: bytes, max_bytes: int = MAX_QA_BYTES) -> QASet:
    """The questions in an uploaded file, or a :class:`QAUploadError` saying plainly what is wrong."""
    if len(data) > max_bytes:
        raise QAUploadError(
            f"{name} is too large ({len(data) / 1e6:.1f} MB; question files may be up to {max_bytes / 1e6:.0f} MB)"
        )
    if name.endswith(".jsonl"):
        return _parse_loogle(name, data)
    try:
        parsed = loads_json(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise QAUploadError(f"{name} is not a text file (question files are UTF-8 JSON)") from None
    except json.JSONDecodeError as exc:
        raise QAUploadError(f"{name} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})") from None
    _check_rows(name, parsed)
    try:
        qa_set = qa_set_from_json(parsed, name)
    except EvaluationError as exc:
        raise QAUploadError(str(exc)) from None
    if not qa_set.items:
        raise QAUploadError(f"{name}: the file holds no questions")
    return qa_set


def _parse_loogle(name: str, data: bytes) -> QASet:
    from past.evaluation.qa_set import loogle_qa_set

    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise QAUploadError(f"{name} is not a text file (LooGLE files are UTF-8 JSON lines)") from None
    try:
        qa_set = loogle_qa_set(text.splitlines(), name)
    except EvaluationError as exc:
        raise QAUploadError(str(exc)) from None
    if not qa_set.items:
        raise QAUploadError(f"{name}: the file holds no questions")
    if len(qa_set) > MAX_QUESTIONS:
        raise QAUploadError(f"{name}: {len(qa_set)} questions is too many (the limit is {MAX_QUESTIONS})")
    qa_set.contexts.clear()  # the documents' text is not needed to ask the questions closed-book
    return qa_set
