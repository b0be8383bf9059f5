"""Question-file uploads (validation, storage, qa_pairs) and the ``evaluate`` job kind's parameters."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from backend.documents import DocumentService
from backend.jobs import JobService
from backend.jobs.errors import ParamTypeError
from backend.jobs.kinds.evaluate import EvaluateParams
from backend.jobs.params import build_params
from backend.qa_upload import QAUploadError, parse_qa_upload
from backend.store import Store
from past.settings import Settings

GOOD = {
    "doc_id": "isle",
    "questions": [
        {"id": "q1", "question": "Who led the first settlers?", "answer": "Ossian Rudd", "split": "test"},
        {"question": "What is the town called?", "answer": "Tallowmere", "split": "train"},
    ],
}


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings.load(tmp_path / "data").ensure()


@pytest.fixture
def docs(settings: Settings) -> DocumentService:
    return DocumentService(settings, Store(settings.db_path), max_qa_bytes=10_000)


def as_bytes(data: object) -> bytes:
    return json.dumps(data).encode()


def test_a_good_question_file_is_stored_and_read_back(docs: DocumentService, settings: Settings) -> None:
    row = docs.upload_qa("../../etc/isle.qa.json", as_bytes(GOOD), "islands")
    assert row["kind"] == "qa" and row["meta"]["n_questions"] == 2 and row["meta"]["splits"] == ["test", "train"]
    assert Path(row["path"]).parent == settings.uploads_dir  # the name cannot leave the uploads folder
    assert docs.question_collections() == ["islands"]
    assert docs.list() == []  # question files are not documents
    again = docs.upload_qa("isle.qa.json", as_bytes(GOOD), "islands")
    assert again["id"] == row["id"] and len(docs.qa_rows("islands")) == 1  # same file: attached once
    qa = docs.qa_pairs("islands")
    assert [(i.qid, i.doc_id, i.answers) for i in qa.items] == [
        ("q1", "isle", ("Ossian Rudd",)),
        ("isle-001", "isle", ("Tallowmere",)),
    ]
    other = {"doc_id": "lichen", "questions": [{"question": "What glows?", "answers": ["the lichen", "lichen"]}]}
    docs.upload_qa("lichen.qa.json", as_bytes(other), "islands")
    assert len(docs.qa_pairs("islands")) == 3 and docs.qa_pairs("islands").doc_ids == ["isle", "lichen"]


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (b'{"questions": [', "not valid JSON"),
        (b"\xff\xfe\x00binary", "not a text file"),
        (as_bytes({"doc_id": "x", "items": []}), "'questions' list"),
        (as_bytes({"questions": []}), "no questions"),
        (as_bytes({"questions": ["just a string"]}), "question 1 is not an object"),
        (as_bytes({"questions": [{"question": "Where?"}]}), "has no answer"),
        (as_bytes({"questions": [{"question": "  ", "answer": "x"}]}), "no 'question' text"),
        (as_bytes({"questions": [{"question": "Where?", "answer": 3}]}), "has no answer"),
        (as_bytes(["a", "b"]), "list of passages"),
        (as_bytes(42), "JSON object"),
        (as_bytes({"questions": [{"question": "q" * 60, "answer": "a" * 60}] * 200}), "too large"),
    ],
)
def test_bad_question_files_are_refused_and_nothing_is_stored(
    docs: DocumentService, settings: Settings, payload: bytes, message: str
) -> None:
    docs.upload_qa("good.qa.json", as_bytes(GOOD), "c")
    before = sorted(p.name for p in settings.uploads_dir.iterdir())
    with pytest.raises(QAUploadError, match=message):
        docs.upload_qa("bad.qa.json", payload, "c")
    assert sorted(p.name for p in settings.uploads_dir.iterdir()) == before
    assert len(docs.qa_rows("c")) == 1 and len(docs.qa_pairs("c")) == 2


def test_too_big_file_on_disk_is_refused_before_reading(docs: DocumentService, tmp_path: Path) -> None:
    big = tmp_path / "big.qa.json"
    big.write_bytes(b" " * 20_000)
    with pytest.raises(QAUploadError, match="too large"):
        docs.upload_qa_path(big, "c")


def test_too_many_questions_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    import backend.qa_upload as qa_upload

    monkeypatch.setattr(qa_upload, "MAX_QUESTIONS", 3)
    rows = [{"question": f"q{i}?", "answer": "a"} for i in range(4)]
    with pytest.raises(QAUploadError, match="too many"):
        parse_qa_upload("many.qa.json", as_bytes({"questions": rows}))


def test_a_collection_without_questions_says_so(docs: DocumentService) -> None:
    with pytest.raises(QAUploadError, match="has no questions yet"):
        docs.qa_pairs("empty")


def test_squad_style_lists_are_accepted() -> None:
    data = [{"title": "Lichen", "context": "text", "questions": [{"question": "What?", "answer": "this"}]}]
    qa = parse_qa_upload("squad.json", as_bytes(data))
    assert len(qa) == 1 and qa.contexts


def test_question_files_uploaded_as_documents_are_attached_as_questions(
    docs: DocumentService, settings: Settings, tmp_path: Path
) -> None:
    """The Documents screen's upload (``upload_paths``) recognises .qa.json, SQuAD .json and LooGLE .jsonl files
    and attaches them as the collection's questions, the same row the Evaluate screen's attach makes."""
    note = tmp_path / "notes.md"
    note.write_text("# Isle\n\nOssian Rudd led the first settlers to Tallowmere.\n")
    qa = tmp_path / "isle.qa.json"
    qa.write_bytes(as_bytes(GOOD))
    squad = tmp_path / "lichen.json"
    squad.write_bytes(as_bytes([{"title": "L", "context": "t", "questions": [{"question": "What?", "answer": "a"}]}]))
    loogle = tmp_path / "long.jsonl"
    pairs = repr([{"Q": "Who?", "A": "Rudd", "S": "e", "type": "longdep"}])
    loogle.write_text(json.dumps({"input": "long text", "title": "T", "qa_pairs": pairs, "doc_id": "t"}) + "\n")
    bad = tmp_path / "broken.qa.json"
    bad.write_bytes(b'{"questions": [')
    outcomes = docs.upload_paths([note, qa, squad, loogle, bad], "isle")
    assert [o.ok for o in outcomes] == [True, True, True, True, False]
    assert [o.questions for o in outcomes[:4]] == [None, 2, 1, 1]
    assert "not valid JSON" in (outcomes[4].error or "")
    assert [d["meta"]["file_name"] for d in docs.list("isle")] == ["notes.md"]  # never a text document
    assert len(docs.qa_pairs("isle")) == 4
    assert docs.upload_paths([qa], "isle")[0].row["id"] == outcomes[1].row["id"]  # attached once, as on Evaluate


# --- the evaluate job kind's parameters -------------------------------------------------------------


def test_valid_params_get_defaults() -> None:
    params = build_params(EvaluateParams, {"models": ["default", "sft=default@1"], "collection": "islands"})
    assert params.judge == "rule" and params.max_new_tokens == 32 and params.prompt == "paper"


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"collection": "c"}, "at least one model"),
        ({"models": ["default"]}, "exactly one"),
        ({"models": ["default"], "collection": "c", "qa_path": "/x.json"}, "exactly one"),
        ({"models": ["default"], "qa_path": "/no/such/file.qa.json"}, "does not exist"),
        ({"models": ["default@abc"], "collection": "c"}, "integer seed"),
        ({"models": ["default+/no/such/adapter"], "collection": "c"}, "not an adapter folder"),
        ({"models": ["default"], "collection": "c", "judge": "vibes"}, "must be one of"),
        ({"models": ["default"], "collection": "c", "prompt": "shout"}, "must be one of"),
        ({"models": ["default"], "collection": "c", "max_new_tokens": 0}, "max_new_tokens"),
        ({"models": ["default"], "collection": "c", "max_new_tokens": "many"}, "expects int"),
        ({"models": ["default"], "collection": "c", "limit": 0}, "limit"),
        ({"models": ["default"], "collection": "c", "temperature": 0.7, "seeds": []}, "seed"),
        ({"models": ["default"], "collection": "c", "sweep_lambdas": [0.0, 1.0]}, "needs a skill"),
        ({"models": ["default"] * 17, "collection": "c"}, "at most 16"),
        ({"models": ["default"], "collection": "c", "colour": "red"}, "unknown parameter"),
    ],
)
def test_bad_params_are_refused_with_a_reason(raw: dict, message: str) -> None:
    with pytest.raises(ParamTypeError, match=message):
        build_params(EvaluateParams, raw)


def test_submit_checks_params_before_anything_is_queued(settings: Settings, docs: DocumentService) -> None:
    service = JobService(settings)
    with pytest.raises(ParamTypeError, match="exactly one"):
        service.submit("evaluate", {"models": ["default"]})
    with pytest.raises(ParamTypeError, match="parameter 'collection': the collection 'c' has no questions"):
        service.submit("evaluate", {"models": ["default"], "collection": "c"})
    assert service.list(kind="evaluate") == []
    docs.upload_qa("isle.qa.json", as_bytes(GOOD), "c")
    job = service.submit("evaluate", {"models": ["default"], "collection": "c"})
    assert job.state == "queued" and job.params["models"] == ["default"]
