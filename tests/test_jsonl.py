"""The one JSONL reader (``past.datasets``): each user gets its own error class naming the file and the line, and a
QA file is read once whether it holds questions or LooGLE rows."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from past.datasets import read_jsonl, write_jsonl
from past.errors import EvaluationError, PastError
from past.evaluation import load_qa_set
from past.training.data import TrainingDataError, load_records


class LocalError(PastError):
    pass


def test_rows_blank_lines_and_the_caller_s_error_class(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "rows.jsonl", [{"a": 1}, {"b": "ü"}])
    path.write_text(path.read_text(encoding="utf-8") + "\n\n", encoding="utf-8")
    assert read_jsonl(path) == [{"a": 1}, {"b": "ü"}]
    cases = {
        "bad.jsonl": ('{"a": 1}\n\n{"a": \n', r"bad\.jsonl line 3 is not valid JSON \(column"),
        "list.jsonl": ('{"a": 1}\n[1, 2]\n', r"list\.jsonl line 2 is not a JSON object"),
    }
    for name, (text, message) in cases.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
        with pytest.raises(LocalError, match=message):
            read_jsonl(tmp_path / name, LocalError)
    (tmp_path / "latin.jsonl").write_bytes(b'{"a": "\xe9"}\n')
    with pytest.raises(LocalError, match=r"latin\.jsonl is not UTF-8 text"):
        read_jsonl(tmp_path / "latin.jsonl", LocalError)
    with pytest.raises(LocalError, match="cannot read"):
        read_jsonl(tmp_path / "missing.jsonl", LocalError)


def test_training_records_and_qa_files_raise_their_own_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"question": "Who?", "answer": "Edda"}\n{not json}\n', encoding="utf-8")
    with pytest.raises(TrainingDataError, match=r"bad\.jsonl line 2 is not valid JSON"):
        load_records(bad)
    with pytest.raises(EvaluationError, match=r"bad\.jsonl line 2 is not valid JSON"):
        load_qa_set(bad)


@pytest.mark.parametrize(
    "rows",
    [
        [{"question": "Who keeps the light?", "answer": "Ossian Rudd", "doc_id": "vessary"}],
        [
            {
                "input": "The Vessary light was lit by Ossian Rudd.",
                "title": "Light",
                "qa_pairs": "[{'Q': 'Who?', 'A': 'Rudd'}]",
            }
        ],
    ],
    ids=["questions", "loogle"],
)
def test_a_qa_file_is_read_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rows: list[dict]) -> None:
    path = tmp_path / "questions.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    opened: list[Path] = []
    real_open = Path.open

    def counting_open(self: Path, *args, **kwargs):
        opened.append(self)
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", counting_open)
    monkeypatch.setattr(Path, "read_text", lambda self, *a, **k: pytest.fail(f"{self} read a second way"))
    qa = load_qa_set(path)
    assert len(qa.items) == 1 and opened == [path]
