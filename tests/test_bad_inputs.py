"""Every hostile input of ``tests/bad_inputs.py``: the specific error, no traceback, nothing stored changed.

The rows run in this process through the CLI's own entry points (``past.cli.main.main``,
``studio.launcher.main``), against one data directory prepared once: a registered tiny base model, a
library skill, a collection with a document, and the hostile files. Before and after each row the database
(its content), the uploads, the model store, the skill library and the hostile files are checksummed; a
refused input must leave all of them as they were.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file, save_file

from backend.documents import DocumentService
from backend.store import Store
from past.settings import DATA_DIR_ENV, DEFAULT_MODEL_ENV, Settings
from past.skills import extract
from tests.bad_inputs import CASES, GROUPS, BadInput, render
from tests.conftest import ROOT
from tests.doc_files import write_docx_bomb
from tests.lora_adapters import make_tiny_chat_model
from tests.output_cases import prepare_output_cases
from tests.skill_fixtures import perturbed_copy, register_base
from tests.tiny_models import make_tiny_llama

RUNNABLE = [c for c in CASES if c.argv]
TABLE = ROOT / "docs" / "bad-inputs.md"
QUESTIONS = {"doc_id": "notes", "questions": [{"question": "What colour is the door?", "answer": "green"}]}


def _manifest_variant(skill: Path, dest: Path, **changes: object) -> Path:
    """A copy of a skill folder whose skill.json has ``changes`` (None deletes the field)."""
    shutil.copytree(skill, dest)
    manifest = json.loads((dest / "skill.json").read_text())
    for key, value in changes.items():
        if value is None:
            manifest.pop(key, None)
        else:
            manifest[key] = value
    (dest / "skill.json").write_text(json.dumps(manifest))  # NaN is written as the JSON literal NaN
    return dest


def _nan_skill_without_hash(skill: Path, dest: Path) -> Path:
    _manifest_variant(skill, dest, content_hash="")
    for file in dest.glob("delta*.safetensors"):
        tensors = load_file(file)
        first = next(iter(tensors))
        tensors[first] = torch.full_like(tensors[first], float("nan"))
        save_file(tensors, file, metadata={"format": "pt"})
    return dest


@pytest.fixture(scope="module")
def drill(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("drill")
    settings = Settings.load(root / "data").ensure()
    base = register_base(make_tiny_llama(settings.models_dir / "tiny", seed=0))
    work = root / "work"
    work.mkdir()
    rl = perturbed_copy(base, work / "rl", seed=1)
    extract(rl, base, settings.skills_dir / "qa", name="qa").close()
    skill = settings.skills_dir / "qa"

    linked = shutil.copytree(skill, work / "linked-skill")
    (linked / "orthogonality.json").symlink_to("/etc/hostname")
    _manifest_variant(skill, work / "lambda-abc", default_lambda="abc")
    _manifest_variant(skill, work / "lambda-nan", default_lambda=float("nan"))
    _manifest_variant(skill, work / "rank-eight", rank="eight")
    _manifest_variant(skill, work / "format-99", format_version=99)
    _manifest_variant(skill, work / "no-fingerprint", base_fingerprint=None)
    _nan_skill_without_hash(skill, work / "nan-no-hash")
    prepare_output_cases(work, skill)  # the output-policy rows (ids out-)

    no_template = make_tiny_chat_model(work / "no-template")
    config = json.loads((no_template / "tokenizer_config.json").read_text())
    del config["chat_template"]
    (no_template / "tokenizer_config.json").write_text(json.dumps(config))

    (work / "notes.md").write_text("# Notes\n\nThe door of the lighthouse is painted green.\n")
    (work / "latin1.txt").write_bytes("Café on the quay, opened in 1901.\n".encode("latin-1"))
    (work / "outdir").mkdir()
    (work / "good.qa.json").write_text(json.dumps(QUESTIONS))
    (work / "bad.qa.json").write_text(json.dumps({"doc_id": "notes", "questions": [None, 5, "str"]}))
    write_docx_bomb(work / "bomb.docx", unpacked_mb=400)
    deep = "[" * 100_000 + "]" * 100_000  # json.loads alone: RecursionError
    (work / "deep.json").write_text(deep)
    (work / "kind-list.json").write_text(json.dumps({"kind": ["a"]}))
    answer = "9" * 5000  # int() of it: ValueError (Python's integer string conversion limit)
    (work / "bigint.qa.json").write_text('{"doc_id": "n", "questions": [{"question": "q", "answer": ' + answer + "}]}")
    shutil.copytree(skill, work / "deep-manifest")
    (work / "deep-manifest" / "skill.json").write_text(deep)

    store = Store(settings.db_path)
    outcome = DocumentService(settings, store).upload([("notes.md", (work / "notes.md").read_bytes())], "notes")
    assert outcome[0].ok, outcome[0].error
    store.close()
    upload = next(settings.uploads_dir.rglob("text.txt"))
    return {"data": settings.data_dir, "work": work, "root": root, "upload": upload}


def _digest(path: Path) -> str:
    sha = hashlib.sha256()
    for file in sorted(path.rglob("*")):
        sha.update(str(file.relative_to(path)).encode())
        if file.is_symlink():
            sha.update(b"-> " + os.readlink(file).encode())
        elif file.is_file():
            sha.update(file.read_bytes())
    return sha.hexdigest()


def _database(path: Path) -> str:
    """A checksum of the database's content (read only; its pages may move, its rows may not change)."""
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return hashlib.sha256("\n".join(connection.iterdump()).encode()).hexdigest()
    finally:
        connection.close()


def _stored(drill: dict[str, Path]) -> dict[str, object]:
    """What must not change: the database, the uploads, the model store, the skill library, the hostile files."""
    data = drill["data"]
    store = Store(data / "studio.sqlite")
    try:
        jobs = store.query("SELECT count(*) AS n FROM jobs")[0]["n"]
    finally:
        store.close()
    return {
        "database": _database(data / "studio.sqlite"),
        "uploads": _digest(data / "uploads"),
        "models": _digest(data / "models"),
        "skills": _digest(data / "skills"),
        "adapters": _digest(data / "adapters") if (data / "adapters").exists() else "",
        "work": _digest(drill["work"]),
        "jobs": jobs,
    }


def _run(case: BadInput, argv: list[str]) -> int:
    if case.tool == "launch":
        from studio.launcher import main as launch
    else:
        from past.cli.main import main as launch
    try:
        return launch(argv)
    except SystemExit as exc:  # argparse refuses a flag value this way (after printing "error: ...")
        return int(exc.code or 0)


@pytest.fixture
def cli_env(drill: dict[str, Path], monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv(DATA_DIR_ENV, str(drill["data"]))
    monkeypatch.setenv(DEFAULT_MODEL_ENV, "tiny")
    monkeypatch.delenv("PAST_STUDIO_AUTH", raising=False)
    yield


@pytest.mark.parametrize("case", RUNNABLE, ids=[c.id for c in RUNNABLE])
def test_bad_input_gets_its_error_and_changes_nothing(
    case: BadInput, drill: dict[str, Path], cli_env: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    del cli_env
    places = {"data": str(drill["data"]), "work": str(drill["work"]), "out": str(tmp_path / "out")}
    places["upload"] = str(drill["upload"])
    (tmp_path / "out").mkdir()  # the fresh empty directory for outputs
    argv = [part.format(**places) for part in case.argv]
    before = _stored(drill)
    code = _run(case, argv)
    out, err = capsys.readouterr()
    assert code == case.exit_code, f"exit {code}, expected {case.exit_code}\nstdout: {out}\nstderr: {err}"
    assert re.search(case.expect, err, re.DOTALL), f"expected /{case.expect}/ in stderr:\n{err}"
    assert "Traceback" not in out + err
    if case.exit_code:
        assert "error: " in err
    assert _stored(drill) == before, "a refused input changed what is stored"


def test_every_row_is_run_by_a_test_that_exists() -> None:
    ids = [c.id for c in CASES]
    assert len(ids) == len(set(ids)), "duplicate row ids"
    assert {c.group for c in CASES} == set(GROUPS)
    for case in CASES:
        assert bool(case.argv) != bool(case.covered_by), f"{case.id}: give a command line or a covering test"
        if case.covered_by:
            file, _, name = case.covered_by.partition("::")
            source = (ROOT / file).read_text()
            assert re.search(rf"^def {re.escape(name)}\(", source, re.MULTILINE), f"{case.covered_by} is missing"


def test_the_table_in_docs_is_generated_from_the_rows() -> None:
    assert TABLE.read_text() == render(), "docs/bad-inputs.md is stale: python -m tests.bad_inputs > docs/bad-inputs.md"
