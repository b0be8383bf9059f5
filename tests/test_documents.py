"""Document ingestion: every format to clean text, one clear error per bad file, others unaffected."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from past.documents import (
    DEFAULT_MAX_BYTES,
    ingest_bytes,
    ingest_file,
    ingest_many,
    read_documents,
    sniff_format,
    write_documents,
)
from past.errors import DocumentError, PastError
from tests.doc_files import blank_pdf_bytes, encrypted_pdf_bytes, text_pdf_bytes, write_docx

ROOT = Path(__file__).resolve().parent.parent
FACT = "The lighthouse keeper of Gorse Head was Ilse Marrow."


def test_pdf_docx_html_markdown_text_become_clean_text(tmp_path: Path) -> None:
    (tmp_path / "a.pdf").write_bytes(text_pdf_bytes(["Chapter one: the know-", "ledge of Gorse Head", FACT]))
    write_docx(tmp_path / "b.docx", ["Intro paragraph.", FACT], table=[["Name", "Role"], ["Ilse", "Keeper"]])
    (tmp_path / "c.html").write_text(
        "<!doctype html><html><head><title>T</title><style>p{color:red}</style><script>var x=1;</script></head>"
        f"<body><h1>Heading</h1><p>{FACT.replace('Marrow', '&amp; Marrow')}</p><p>Two&nbsp;words</p></body></html>"
    )
    (tmp_path / "d.md").write_text(f"# Title\n\nSome **bold** and a [link](http://x.org).\n\n## Part two\n\n* {FACT}\n")
    (tmp_path / "e.txt").write_text(f"Line one.\r\n\r\n\r\n\r\n{FACT}   with   spaces\n")
    docs = {d.document.format: d.document for d in ingest_many(sorted(tmp_path.iterdir()))}
    assert set(docs) == {"pdf", "docx", "html", "markdown", "text"}
    for doc in docs.values():
        assert "Ilse" in doc.text and "Marrow" in doc.text
        assert "\n\n\n" not in doc.text and "  " not in doc.text
    assert "Ilse | Keeper" in docs["docx"].text
    assert docs["pdf"].text.startswith("Chapter one: the knowledge of Gorse Head\n")  # PDF hyphenation undone
    assert "color" not in docs["html"].text and "var x" not in docs["html"].text and "& Marrow" in docs["html"].text
    assert docs["markdown"].text == f"Title\n\nSome bold and a link.\n\nPart two\n\n- {FACT}"
    assert docs["text"].text == f"Line one.\n\n{FACT} with spaces"
    assert docs["pdf"].doc_id == "a" and len(docs["pdf"].sha256) == 64


def test_each_bad_input_gives_its_own_error_and_good_files_still_ingest(tmp_path: Path) -> None:
    files = {
        "good.md": FACT.encode(),
        "locked.pdf": encrypted_pdf_bytes([FACT]),
        "empty.txt": b"",
        "blank.txt": b"  \n\n \t ",
        "scanned.pdf": blank_pdf_bytes(),
        "photo.txt": b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4,  # an image renamed .txt
        "program.txt": b"\x7fELF\x02\x01\x01" + bytes(200),
        "noise.txt": bytes(range(256)) * 8,  # binary without a known magic number
        "huge.txt": b"word " * 2000,
        "corrupt.pdf": b"%PDF-1.4\nthis is not really a pdf",
        "archive.docx": _zip_bytes(),
        "broken.docx": _zip_bytes({"word/document.xml": "<not xml"}),
        "good.pdf": text_pdf_bytes([FACT]),
    }
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    paths = [tmp_path / name for name in files] + [tmp_path / "missing.txt"]
    results = {Path(r.path).name: r for r in ingest_many(paths, max_bytes=5000)}
    assert results["good.md"].ok and results["good.pdf"].ok
    expected = {
        "locked.pdf": "encrypted",
        "empty.txt": "is empty",
        "blank.txt": "is empty",
        "scanned.pdf": "no extractable text",
        "photo.txt": "PNG image",
        "program.txt": "executable",
        "noise.txt": "binary file",
        "huge.txt": "too large",
        "corrupt.pdf": "damaged or unreadable PDF",
        "archive.docx": "ZIP archive",
        "broken.docx": "damaged or unreadable DOCX",
        "missing.txt": "does not exist",
    }
    for name, reason in expected.items():
        result = results[name]
        assert not result.ok and result.document is None, name
        assert result.error.startswith(f"{name}: ") and reason in result.error, result.error


def test_ingest_file_raises_a_past_error_with_name_and_reason(tmp_path: Path) -> None:
    path = tmp_path / "scan.pdf"
    path.write_bytes(blank_pdf_bytes(3))
    with pytest.raises(DocumentError) as info:
        ingest_file(path)
    assert isinstance(info.value, PastError)
    assert info.value.name == "scan.pdf" and "3 page(s)" in info.value.reason


def test_sniffing_ignores_misleading_extensions() -> None:
    assert sniff_format(text_pdf_bytes(["x"]), "report.txt") == "pdf"
    assert sniff_format(b"<html><body><p>x</p></body></html>", "page.txt") == "html"
    assert sniff_format(b"# heading", "notes.md") == "markdown"
    assert sniff_format("Grüße, naïve café".encode(), "x.txt") == "text"
    with pytest.raises(DocumentError, match="legacy Office"):
        sniff_format(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(64), "old.docx")
    assert DEFAULT_MAX_BYTES == 20 * 1024 * 1024


def test_duplicate_names_get_unique_ids_and_documents_round_trip(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "notes.txt").write_text("first")
    (tmp_path / "b" / "notes.txt").write_text("second")
    docs = [r.document for r in ingest_many([tmp_path / "a" / "notes.txt", tmp_path / "b" / "notes.txt"])]
    assert [d.doc_id for d in docs] == ["notes", "notes-2"]
    out = write_documents(tmp_path / "docs.jsonl", docs)
    assert read_documents(out) == docs
    assert [json.loads(line)["text"] for line in out.read_text().splitlines()] == ["first", "second"]


def test_the_sample_documents_ingest() -> None:
    paths = sorted((ROOT / "assets" / "documents").glob("*.md"))
    results = ingest_many(p for p in paths if p.name != "README.md")
    assert len(results) == 3 and all(r.ok for r in results)
    assert all(len(r.document.text) > 1500 for r in results)


def _zip_bytes(members: dict[str, str] | None = None) -> bytes:
    import io
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, text in (members or {"readme.txt": "not a word document"}).items():
            archive.writestr(name, text)
    return out.getvalue()


def test_ingest_bytes_respects_the_size_limit() -> None:
    with pytest.raises(DocumentError, match="too large"):
        ingest_bytes(b"x" * 2048, "big.txt", max_bytes=1024)
