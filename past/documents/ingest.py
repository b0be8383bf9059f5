"""Turn uploaded files (PDF, DOCX, HTML, Markdown, text) into clean :class:`Document` records.

``ingest_file`` raises :class:`~past.errors.DocumentError` naming the file and the reason;
``ingest_many`` never raises for one bad file: it returns one :class:`IngestResult` per input.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

from past.documents.clean import clean_text
from past.documents.docx import extract_docx
from past.documents.html import extract_html
from past.documents.markdown import extract_markdown
from past.documents.pdf import extract_pdf
from past.documents.sniff import read_text, sniff_format
from past.errors import DocumentError
from past.progress import NullReporter, Reporter

DEFAULT_MAX_BYTES = 20 * 1024 * 1024
MIN_CHARS = 1
# The longest document accepted (≈ 250k tokens, ~400 pages): adapting to it takes hours on a 2-core CPU
# (past.pipeline.cost); longer texts are refused with a message to split them.
MAX_DOCUMENT_CHARS = 1_000_000


@dataclass(frozen=True)
class Document:
    """One ingested document: clean text plus where it came from."""

    doc_id: str
    name: str
    format: str
    text: str
    sha256: str
    source: str = ""
    warnings: tuple[str, ...] = ()  # things the reader guessed (e.g. the text encoding), each naming the file

    @property
    def n_chars(self) -> int:
        return len(self.text)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> Document:
        fields = {k: data[k] for k in ("doc_id", "name", "format", "text", "sha256")}
        return cls(**fields, source=data.get("source", ""), warnings=tuple(data.get("warnings") or ()))


@dataclass(frozen=True)
class IngestResult:
    """The outcome for one input file: a document or an error message, never both."""

    path: str
    document: Document | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.document is not None


def _size(n: int) -> str:
    for unit, scale in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{n} bytes"


def slugify(name: str) -> str:
    stem = Path(name).name.rsplit(".", 1)[0] if "." in Path(name).name else Path(name).name
    slug = re.sub(r"[^a-z0-9]+", "-", stem.lower()).strip("-")
    return slug or "document"


def ingest_bytes(data: bytes, name: str, *, max_bytes: int = DEFAULT_MAX_BYTES, source: str = "") -> Document:
    """Sniff, extract and clean one file's bytes."""
    if len(data) > max_bytes:
        raise DocumentError(name, f"is too large ({_size(len(data))}; the limit is {_size(max_bytes)})")
    fmt = sniff_format(data, name)
    warnings: tuple[str, ...] = ()
    if fmt == "pdf":
        raw = extract_pdf(data, name)
    elif fmt == "docx":
        raw = extract_docx(data, name)
    else:
        decoded = read_text(data, name)
        text = decoded.text
        warnings = (f"{Path(name).name} {decoded.warning}",) if decoded.warning else ()
        raw = extract_html(text) if fmt == "html" else extract_markdown(text) if fmt == "markdown" else text
    text = clean_text(raw)
    if len(text) < MIN_CHARS:
        raise DocumentError(name, f"contains no text after extraction (format {fmt})")
    if len(text) > MAX_DOCUMENT_CHARS:
        raise DocumentError(
            name,
            f"is too long to adapt to ({len(text):,} characters; the limit is {MAX_DOCUMENT_CHARS:,}, about 400 "
            "pages): split it into parts of at most that size and upload them to the same collection",
        )
    sha = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return Document(
        doc_id=slugify(name), name=Path(name).name, format=fmt, text=text, sha256=sha, source=source, warnings=warnings
    )


def ingest_file(path: str | os.PathLike[str], *, max_bytes: int = DEFAULT_MAX_BYTES) -> Document:
    """Ingest one file from disk (size checked before reading)."""
    path = Path(path)
    name = path.name
    try:
        if not path.is_file():
            raise DocumentError(name, "does not exist or is not a regular file")
        size = path.stat().st_size
        if size > max_bytes:
            raise DocumentError(name, f"is too large ({_size(size)}; the limit is {_size(max_bytes)})")
        data = path.read_bytes()
    except OSError as exc:
        raise DocumentError(name, f"cannot be read ({exc.strerror})") from exc
    return ingest_bytes(data, name, max_bytes=max_bytes, source=str(path))


def ingest_many(
    paths: Iterable[str | os.PathLike[str]],
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    reporter: Reporter | None = None,
) -> list[IngestResult]:
    """Ingest every file; a bad file yields an error result and the others go on. Doc ids are made unique."""
    reporter = reporter or NullReporter()
    paths = list(paths)
    results: list[IngestResult] = []
    seen: dict[str, int] = {}
    for i, path in enumerate(paths):
        reporter.progress(i / max(len(paths), 1), f"ingesting {Path(path).name}")
        try:
            doc = ingest_file(path, max_bytes=max_bytes)
        except DocumentError as exc:
            reporter.log(f"error: {exc}")
            results.append(IngestResult(path=str(path), error=str(exc)))
            continue
        count = seen.get(doc.doc_id, 0)
        seen[doc.doc_id] = count + 1
        if count:
            doc = Document(**{**doc.to_dict(), "doc_id": f"{doc.doc_id}-{count + 1}"})
        results.append(IngestResult(path=str(path), document=doc))
    reporter.progress(1.0, f"ingested {sum(r.ok for r in results)} of {len(paths)} file(s)")
    return results


def write_documents(path: str | os.PathLike[str], documents: Iterable[Document]) -> Path:
    """Write documents as JSONL, atomically."""
    from past.datasets import write_jsonl

    return write_jsonl(path, (d.to_dict() for d in documents))


def read_documents(path: str | os.PathLike[str]) -> list[Document]:
    from past.datasets import read_jsonl

    try:
        return [Document.from_dict(row) for row in read_jsonl(path)]
    except (KeyError, TypeError) as exc:
        raise DocumentError(Path(path).name, f"is not a documents JSONL file (missing field {exc})") from exc
