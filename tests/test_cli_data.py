"""The data CLI commands end to end: ``past ingest``, ``past synth`` (endpoint generator), ``past eval``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from past.cli.main import main
from tests.doc_files import encrypted_pdf_bytes, text_pdf_bytes
from tests.openai_stub import openai_stub

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "assets" / "documents"


def test_ingest_prints_an_error_per_bad_file_and_writes_the_good_ones(tmp_path: Path, capsys) -> None:
    (tmp_path / "good.pdf").write_bytes(text_pdf_bytes(["The Copper Bridge was built in 1891."]))
    (tmp_path / "locked.pdf").write_bytes(encrypted_pdf_bytes(["secret"]))
    (tmp_path / "image.txt").write_bytes(b"\xff\xd8\xff\xe0" + bytes(100))
    out = tmp_path / "docs.jsonl"
    files = [str(tmp_path / n) for n in ("good.pdf", "locked.pdf", "image.txt")] + [str(DOCS / "isle-of-vessary.md")]
    code = main(["--data-dir", str(tmp_path / "data"), "ingest", *files, "--out", str(out)])
    captured = capsys.readouterr()
    assert code == 1
    assert "error: locked.pdf: is an encrypted" in captured.err and "error: image.txt: is a JPEG image" in captured.err
    assert "2 of 4 file(s) could not be ingested" in captured.err
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["doc_id"] for r in rows] == ["good", "isle-of-vessary"] and "1891" in rows[0]["text"]
    assert main(["--data-dir", str(tmp_path / "data"), "ingest", str(tmp_path / "image.txt"), "--out", str(out)]) == 2
    assert out.exists()  # the earlier good output is untouched by a run with nothing to write


def teacher(messages: list[dict]) -> str:
    text = messages[-1]["content"]
    if "<question>" in text:
        return "<question>Who was the first Lanternward?</question><answer>Ilse Marrow</answer>"
    return "1. Vessary kept a signal fire burning every night on Gorse Head."


@pytest.mark.slow
def test_ingest_chunks_then_synth_through_an_endpoint(session_settings, tmp_path: Path, capsys) -> None:
    data = ["--data-dir", str(session_settings.data_dir)]
    docs = tmp_path / "docs.jsonl"
    assert main([*data, "ingest", str(DOCS / "isle-of-vessary.md"), "--out", str(docs), "--chunks", "qa-128"]) == 0
    chunks = [json.loads(line) for line in (tmp_path / "docs.chunks.jsonl").read_text().splitlines()]
    assert len(chunks) == 5 and chunks[1]["token_start"] == 112
    out = tmp_path / "synth.jsonl"
    with openai_stub(teacher) as (url, state):
        code = main(
            [
                *data,
                "synth",
                str(docs),
                "--out",
                str(out),
                "--tasks",
                "implications,qa",
                "--variants",
                "factual,why_how",
                "--chunks",
                "qa-512",
                "--endpoint",
                url,
                "--endpoint-model",
                "teacher",
                "--api-key-env",
                "",
                "--seed",
                "5",
            ]
        )
    assert code == 0 and len(state.requests) == 2 * 3  # 2 chunks x (implications + 2 QA variants)
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert sorted(r["kind"] for r in rows) == ["implication", "qa"]  # the rest were duplicates
    assert rows[0]["provenance"]["generator"] == f"openai:teacher@{url}" and rows[0]["provenance"]["seed"] == 5
    assert "4 duplicates dropped" in capsys.readouterr().out


@pytest.mark.slow
def test_eval_compares_models_with_an_llm_judge_endpoint(session_settings, tmp_path: Path, capsys) -> None:
    def grader(messages: list[dict]) -> str:
        return "yes" if "Quill" in messages[-1]["content"].split("Predicted answer:")[1] else "no"

    out = tmp_path / "eval"
    with openai_stub(grader) as (url, state):
        code = main(
            [
                "--data-dir",
                str(session_settings.data_dir),
                "eval",
                "--qa",
                str(DOCS),
                "--split",
                "test",
                "--limit",
                "3",
                "--model",
                "base=default",
                "--model",
                "again=default",
                "--judge",
                "llm",
                "--judge-endpoint",
                url,
                "--judge-endpoint-model",
                "grader",
                "--max-new-tokens",
                "16",
                "--out",
                str(out),
            ]
        )
    assert code == 0 and len(state.requests) == 6
    printed = capsys.readouterr().out
    assert "3 questions on 1 document(s), judge llm:openai:grader@" in printed and "base " in printed
    results = json.loads((out / "results.json").read_text())
    assert [s["label"] for s in results["summaries"]] == ["base", "again"]
    assert all(len(r["questions"]) == 3 for r in results["runs"])
    assert (out / "chart.html").stat().st_size > 1000 and (out / "summary.csv").read_text().startswith("label,")
