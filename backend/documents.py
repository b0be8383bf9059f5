"""The document collection service: uploads confined to the data directory, ingested, indexed.

An upload is checked (size, content type by sniffing, not by extension alone), turned into clean
text by ``past.documents``, written under ``<data>/uploads/<doc id>/`` atomically, and indexed in
the store's ``documents`` table with its collection, format and chunk counts. A bad file gives a
per-file error and never stops the others; nothing already stored is touched by a failed upload.

A collection's evaluation questions are uploaded as a question file (``.qa.json``, SQuAD JSON or LooGLE
``.jsonl``, checked by :mod:`backend.qa_upload`) and indexed in the same table as ``kind="qa"`` rows;
:meth:`qa_pairs` returns them as one :class:`~past.evaluation.QASet`. Uploads recognise question files by
name (:func:`is_question_file`) and attach them as questions, never as text documents.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tempfile
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from backend.qa_upload import MAX_QA_BYTES, QAUploadError, parse_qa_upload
from backend.store import CatalogRepository, NotFoundError, Store
from past.documents.chunking import chunk_spec, chunk_text
from past.documents.ingest import DEFAULT_MAX_BYTES, Document, ingest_bytes
from past.errors import DocumentError, PastError
from past.evaluation import QASet
from past.settings import Settings

QA_KIND = "qa"
QA_FILE = "questions.qa.json"
SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")
COLLECTION_NAME = re.compile(r"^[\w .-]{1,64}$")
T = TypeVar("T")
ACCEPTED = ".pdf, .docx, .html, .htm, .md, .txt"
QUESTION_SUFFIXES = (".json", ".jsonl")  # .qa.json, SQuAD JSON, LooGLE JSON lines: never documents


class CollectionNameError(PastError):
    """A collection name that cannot be used."""


def safe_file_name(name: str) -> str:
    """The base name of an uploaded file with anything but letters, digits, '.', '_' and '-' replaced.

    Directory parts (``../../etc/passwd``, ``C:\\x``) are dropped, so a name can never leave its folder.
    """
    base = re.split(r"[\\/]", name)[-1]
    cleaned = SAFE_NAME.sub("_", base).strip("._") or "document"
    return cleaned[:120]


def is_question_file(name: str | os.PathLike[str]) -> bool:
    """Whether an uploaded file is a question file (attached as questions) rather than a document."""
    return str(name).lower().endswith(QUESTION_SUFFIXES)


def check_collection(name: str) -> str:
    name = (name or "").strip() or "default"
    if not COLLECTION_NAME.match(name):
        raise CollectionNameError(
            f"collection name {name!r} is not allowed: use up to 64 letters, digits, spaces, '.', '_' or '-'"
        )
    return name


def read_upload(path: Path, max_bytes: int) -> bytes:
    """An uploaded file's bytes, its size checked before reading; a DocumentError naming the file otherwise."""
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise DocumentError(path.name, f"is too large ({size / 1e6:.1f} MB; the limit is {max_bytes / 1e6:.0f} MB)")
        return path.read_bytes()
    except OSError as exc:
        raise DocumentError(path.name, f"cannot be read ({exc.strerror})") from exc


def store_upload_dir(uploads_dir: Path, entry_id: str, files: dict[str, bytes | str]) -> Path:
    """Write ``files`` into ``<uploads>/<entry_id>/`` at once (a staging folder renamed into place); on an OSError
    nothing is left behind and the error is raised."""
    uploads_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{entry_id}-", dir=uploads_dir))
    try:
        for name, content in files.items():
            if isinstance(content, bytes):
                (staging / name).write_bytes(content)
            else:
                (staging / name).write_text(content, encoding="utf-8")
        os.replace(staging, uploads_dir / entry_id)
    except OSError:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return uploads_dir / entry_id


def each_upload(
    paths: list[str | os.PathLike[str]],
    max_bytes: int,
    upload_one: Callable[[str, bytes], T],
    refused: Callable[[str, DocumentError], T],
) -> list[T]:
    """The upload loop of every kind of file on disk (Gradio hands uploads over as temporary paths): each file
    is read with its size checked (:func:`read_upload`) and stored by ``upload_one(name, data)``; a file that
    cannot be read gives ``refused(name, error)`` and never stops the others."""
    outcomes = []
    for path in map(Path, paths):
        try:
            data = read_upload(path, max_bytes)
        except DocumentError as exc:
            outcomes.append(refused(path.name, exc))
            continue
        outcomes.append(upload_one(path.name, data))
    return outcomes


def upload_meta(collection: str, name: str, file_name: str, data: bytes, **more: Any) -> dict[str, Any]:
    """What every stored upload records: its collection, names as sent and as stored, hash and size."""
    sha256 = hashlib.sha256(data).hexdigest()
    base = {"collection": collection, "original_name": name, "file_name": file_name, "sha256": sha256}
    return {**base, "bytes": len(data), **more}


def store_upload(settings: Settings, repo: Any, entry_id: str, stem: str, kind: str, meta: dict, files: dict) -> dict:
    """Write an upload's ``files`` under ``<uploads>/<entry_id>/`` (:func:`store_upload_dir`) and add its catalog
    row; an OSError leaves nothing behind and is raised."""
    target = store_upload_dir(settings.uploads_dir, entry_id, files)
    return repo.add(stem, kind=kind, path=str(target), meta=meta, entry_id=entry_id)


def delete_upload(settings: Settings, repo: Any, row: dict[str, Any]) -> None:
    """Remove an upload's catalog row, then its folder under ``<uploads>/`` (never a path outside it)."""
    repo.delete(row["id"])
    path = Path(row["path"])
    if path.is_dir() and path.parent == settings.uploads_dir:
        shutil.rmtree(path, ignore_errors=True)


@dataclass(frozen=True)
class UploadOutcome:
    """One uploaded file: the stored row, or the reason it was refused."""

    file_name: str
    row: dict[str, Any] | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.row is not None

    @property
    def questions(self) -> int | None:
        """How many questions a question file attached (None for a document)."""
        if self.row is None or self.row.get("kind") != QA_KIND:
            return None
        return int(self.row["meta"].get("n_questions", 0))


def exclusive_collection(repo: Any, collection: str, other_kind: str, refusal: str) -> str:
    """``collection`` checked as a name and holding no catalog rows of ``other_kind`` (a collection holds text
    documents or API schemas, never both); ``refusal`` completes the error "collection 'x' …"."""
    collection = check_collection(collection)
    if any(r["meta"].get("collection") == collection for r in repo.list(other_kind)):
        raise CollectionNameError(f"collection {collection!r} {refusal}")
    return collection


class DocumentService:
    """Uploads, listing, collections, text and deletion of documents."""

    def __init__(
        self,
        settings: Settings,
        store: Store,
        tokenizer: Any = None,
        max_bytes: int = DEFAULT_MAX_BYTES,
        max_qa_bytes: int = MAX_QA_BYTES,
    ):
        self.settings = settings
        self.repo = CatalogRepository(store, "documents")
        self.tokenizer = tokenizer
        self.max_bytes = max_bytes
        self.max_qa_bytes = max_qa_bytes

    # writes
    def upload(self, files: list[tuple[str, bytes]], collection: str = "default") -> list[UploadOutcome]:
        """Ingest and store each ``(original name, bytes)``; per-file outcomes, in order. Question files
        (:func:`is_question_file`) are attached to the collection as questions."""
        collection = self._text_collection(collection)
        return [
            self._questions_one(name, lambda n=name, d=data: self.upload_qa(n, d, collection))
            if is_question_file(name)
            else self._upload_one(name, data, collection)
            for name, data in files
        ]

    def _text_collection(self, collection: str) -> str:
        """A collection for text documents: not one marked as tools (API schemas, ``backend.tool_collections``)."""
        return exclusive_collection(
            self.repo, collection, "tools", "is a tools collection (API schemas); put documents in another collection"
        )

    def upload_paths(
        self, paths: list[str | os.PathLike[str]], collection: str = "default", questions: bool = False
    ) -> list[UploadOutcome]:
        """Like :meth:`upload` for files on disk (Gradio hands uploads over as temporary paths); ``questions``
        takes every file as a question file whatever its name (else a question file is known by its name)."""
        paths = [Path(p) for p in paths]
        asks = [questions or is_question_file(p.name) for p in paths]
        collection = check_collection(collection) if all(asks) else self._text_collection(collection)
        outcomes: list[UploadOutcome] = []
        for path, is_questions in zip(paths, asks, strict=True):
            if is_questions:
                outcomes.append(self._questions_one(path.name, lambda p=path: self.upload_qa_path(p, collection)))
                continue
            outcomes += each_upload(
                [path],
                self.max_bytes,
                lambda name, data: self._upload_one(name, data, collection),
                lambda name, exc: UploadOutcome(name, error=str(exc)),
            )
        return outcomes

    @staticmethod
    def _questions_one(name: str, attach: Callable[[], dict[str, Any]]) -> UploadOutcome:
        """The outcome of attaching one question file (``attach()`` returns its row)."""
        try:
            return UploadOutcome(safe_file_name(name), row=attach())
        except PastError as exc:
            return UploadOutcome(safe_file_name(name), error=str(exc))

    def _upload_one(self, name: str, data: bytes, collection: str) -> UploadOutcome:
        file_name = safe_file_name(name)
        try:
            doc = ingest_bytes(data, file_name, max_bytes=self.max_bytes)
        except DocumentError as exc:
            return UploadOutcome(file_name, error=str(exc))
        for row in self.list(collection):
            if row["meta"].get("sha256") == doc.sha256:
                return UploadOutcome(file_name, row=row)  # same text already in this collection
        doc_id = uuid.uuid4().hex[:12]
        meta = upload_meta(collection, name, file_name, data, format=doc.format, n_chars=doc.n_chars)
        meta |= {"sha256": doc.sha256, **self._chunk_counts(doc.text)}  # the text's hash: re-uploads in other formats
        meta |= {"warnings": list(doc.warnings)} if doc.warnings else {}
        files = {
            file_name: data,
            "text.txt": doc.text,
            "document.json": json.dumps({**doc.to_dict(), "doc_id": doc_id}, indent=2),
        }
        try:
            row = store_upload(self.settings, self.repo, doc_id, Path(file_name).stem, "document", meta, files)
        except OSError as exc:
            return UploadOutcome(file_name, error=f"{file_name}: could not be stored ({exc.strerror})")
        return UploadOutcome(file_name, row=row)

    def _chunk_counts(self, text: str) -> dict[str, int]:
        if self.tokenizer is None:
            return {}
        return {
            "n_tokens": len(self.tokenizer(text, add_special_tokens=False)["input_ids"]),
            "chunks_qa": len(chunk_text(text, self.tokenizer, chunk_spec("qa-256"))),
            "chunks_memorise": len(chunk_text(text, self.tokenizer, chunk_spec("memorise-1024"))),
        }

    def upload_qa(self, name: str, data: bytes, collection: str = "default") -> dict[str, Any]:
        """Validate a question file and attach it to ``collection``; the stored row (QAUploadError if bad)."""
        collection = check_collection(collection)
        file_name = safe_file_name(name)
        qa_set = parse_qa_upload(file_name, data, self.max_qa_bytes)
        sha256 = hashlib.sha256(data).hexdigest()
        for row in self.qa_rows(collection):
            if row["meta"].get("sha256") == sha256:
                return row  # the same file is already attached
        qa_id = uuid.uuid4().hex[:12]
        meta = upload_meta(collection, name, file_name, data)
        meta |= {"format": "loogle.jsonl" if file_name.endswith(".jsonl") else "qa.json", "n_questions": len(qa_set)}
        meta |= {"doc_ids": qa_set.doc_ids, "splits": sorted({i.split for i in qa_set.items if i.split})}
        stem = file_name.removesuffix(".json").removesuffix(".qa")
        try:
            return store_upload(self.settings, self.repo, qa_id, stem, QA_KIND, meta, {QA_FILE: data})
        except OSError as exc:
            raise QAUploadError(f"{file_name}: could not be stored ({exc.strerror})") from exc

    def upload_qa_path(self, path: str | os.PathLike[str], collection: str = "default") -> dict[str, Any]:
        """Like :meth:`upload_qa` for a file on disk (a Gradio upload), size checked before reading."""
        path = Path(path)
        try:
            size = path.stat().st_size
            if size > self.max_qa_bytes:
                raise QAUploadError(
                    f"{path.name} is too large ({size / 1e6:.1f} MB; question files may be up to "
                    f"{self.max_qa_bytes / 1e6:.0f} MB)"
                )
            data = path.read_bytes()
        except OSError as exc:
            raise QAUploadError(f"{path.name}: cannot be read ({exc.strerror})") from exc
        return self.upload_qa(path.name, data, collection)

    def delete(self, doc_id: str) -> None:
        delete_upload(self.settings, self.repo, self.get(doc_id))

    def move(self, doc_id: str, collection: str) -> dict[str, Any]:
        row = self.get(doc_id)
        meta = {**row["meta"], "collection": check_collection(collection)}
        return self.repo.add(row["name"], kind=row["kind"], path=row["path"], meta=meta, entry_id=doc_id)

    # reads
    def get(self, doc_id: str) -> dict[str, Any]:
        try:
            return self.repo.get(doc_id)
        except NotFoundError as exc:
            raise DocumentError(doc_id, "is not in the document store (deleted?)") from exc

    def list(self, collection: str | None = None) -> list[dict[str, Any]]:
        rows = self.repo.list("document")
        return [r for r in rows if collection is None or r["meta"].get("collection") == collection]

    def collections(self) -> list[str]:
        return sorted({r["meta"].get("collection", "default") for r in self.list()})

    def qa_rows(self, collection: str | None = None) -> list[dict[str, Any]]:
        """The question files attached to ``collection`` (all when None), oldest first."""
        rows = self.repo.list(QA_KIND)
        return [r for r in rows if collection is None or r["meta"].get("collection") == collection]

    def question_collections(self) -> list[str]:
        """Collections that have at least one question file (the ones that can be evaluated)."""
        return sorted({r["meta"].get("collection", "default") for r in self.qa_rows()})

    def qa_pairs(self, collection: str) -> QASet:
        """All questions attached to ``collection``, as one QA set (re-checked on reading)."""
        rows = self.qa_rows(check_collection(collection))
        if not rows:
            raise QAUploadError(f"collection {collection!r} has no questions yet: upload a .qa.json file for it first")
        merged = QASet([])
        for row in rows:
            path = Path(row["path"]) / QA_FILE
            try:
                data = path.read_bytes()
            except OSError as exc:
                raise QAUploadError(f"the question file {row['name']} is missing from {path.parent}") from exc
            part = parse_qa_upload(row["meta"].get("file_name", QA_FILE), data, max(self.max_qa_bytes, len(data)))
            merged.items.extend(part.items)
            merged.contexts.update(part.contexts)
        return merged

    def text(self, doc_id: str) -> str:
        return (Path(self.get(doc_id)["path"]) / "text.txt").read_text(encoding="utf-8")

    def documents(self, collection: str) -> list[Document]:
        """The collection's documents as ``past.documents.Document`` objects (for pipeline jobs)."""
        docs = []
        for row in self.list(collection):
            data = json.loads((Path(row["path"]) / "document.json").read_text())
            docs.append(Document.from_dict(data))
        return docs
