"""Tools collections: API schemas uploaded into a collection marked as tools, checked per file, stored, listed.

A tools collection holds API documentation instead of text documents: StableToolBench ``api_list`` files,
OpenAPI/Swagger documents or JSON-Schema function definitions, read by :mod:`past.tools.ingest`. Each file is
one row of the store's ``documents`` table with ``kind="tools"`` (its collection in ``meta``), and its files
under ``<data>/uploads/<id>/``: the upload as sent and ``apis.json`` (the APIs read from it). A file with no
usable API is refused with every reason (file, place, why); a file with some malformed APIs is stored with the
good ones and a warning per bad one. An API whose function name another file of the collection already uses is
skipped with a warning. A collection holds either text documents or API schemas, never both. Nothing already
stored is touched by a failed upload.
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from backend.documents import (
    check_collection,
    delete_upload,
    each_upload,
    exclusive_collection,
    safe_file_name,
    store_upload,
    upload_meta,
)
from backend.store import CatalogRepository, NotFoundError, Store
from past.datasets.jsonl import loads_json
from past.documents.ingest import Document
from past.errors import PastError
from past.settings import Settings
from past.tools.documents import api_document
from past.tools.ingest import MAX_TOOL_FILE_BYTES, ingest_tool_bytes
from past.tools.queries import ToolQuery, parse_queries
from past.tools.schema import ApiSpec, dedupe

TOOLS_KIND = "tools"
APIS_FILE = "apis.json"
QUERIES_FILE = "queries.json"
ACCEPTED_TOOLS = ".json (StableToolBench api_list, OpenAPI/Swagger, JSON-Schema functions)"


class ToolCollectionError(PastError):
    """A tools collection that cannot be used (empty, missing, or holding text documents)."""


@dataclass(frozen=True)
class ToolUploadOutcome:
    """One uploaded schema file: the stored row (with warnings), or every reason it was refused."""

    file_name: str
    row: dict[str, Any] | None = None
    errors: tuple[str, ...] = ()
    warnings: tuple[str, ...] = field(default=())

    @property
    def ok(self) -> bool:
        return self.row is not None


class ToolCollections:
    """Uploads, listing, APIs and deletion of API schema files, in the store's ``documents`` table."""

    def __init__(self, settings: Settings, store: Store, max_bytes: int = MAX_TOOL_FILE_BYTES) -> None:
        self.settings = settings
        self.repo = CatalogRepository(store, "documents")
        self.max_bytes = max_bytes

    # writes
    def upload_paths(self, paths: list[str | os.PathLike[str]], collection: str) -> list[ToolUploadOutcome]:
        """Read, check and store each schema file (Gradio hands uploads over as temporary paths)."""
        collection = self._tools_collection(collection)
        return each_upload(
            paths,
            self.max_bytes,
            lambda name, data: self._upload_one(name, data, collection),
            lambda name, exc: ToolUploadOutcome(safe_file_name(name), errors=(exc.reason,)),
        )

    def upload(self, files: list[tuple[str, bytes]], collection: str) -> list[ToolUploadOutcome]:
        """Like :meth:`upload_paths` for ``(original name, bytes)`` pairs."""
        collection = self._tools_collection(collection)
        return [self._upload_one(name, data, collection) for name, data in files]

    def _tools_collection(self, collection: str) -> str:
        refusal = "holds text documents; API schemas go into a tools collection of their own: choose another name"
        return exclusive_collection(self.repo, collection, "document", refusal)

    def _upload_one(self, name: str, data: bytes, collection: str) -> ToolUploadOutcome:
        file_name = safe_file_name(name)
        if len(data) > self.max_bytes:
            return ToolUploadOutcome(file_name, errors=(f"too large (the limit is {self.max_bytes / 1e6:.0f} MB)",))
        sha256 = hashlib.sha256(data).hexdigest()
        for row in self.list(collection):
            if row["meta"].get("sha256") == sha256:
                return ToolUploadOutcome(file_name, row=row, warnings=("the same file is already in this collection",))
        result = ingest_tool_bytes(data, file_name).deduplicated()
        taken = {api.function: api for api in self.apis(collection)} if self.list(collection) else {}
        fresh = [api for api in result.apis if api.function not in taken]
        warnings = [str(issue) for issue in result.issues]
        warnings += [
            f"{file_name}: {api.tool} / {api.name}: function name '{api.function}' is already in collection "
            f"{collection!r} ({taken[api.function].source}); skipped"
            for api in result.apis
            if api.function in taken
        ]
        if not fresh:
            reasons = warnings or [f"{file_name}: no APIs found"]
            return ToolUploadOutcome(file_name, errors=tuple(reasons))
        doc_id = uuid.uuid4().hex[:12]
        meta = upload_meta(collection, name, file_name, data, format=TOOLS_KIND, n_apis=len(fresh))
        meta |= {"categories": sorted({api.category for api in fresh}), "functions": [api.function for api in fresh]}
        meta |= {"warnings": warnings} if warnings else {}
        files = {file_name: data, APIS_FILE: json.dumps([api.to_dict() for api in fresh], ensure_ascii=False)}
        queries = _queries(data, file_name)
        if queries:  # a StableToolBench query file: its tasks are a tool-use evaluation set (Evaluate screen)
            files[QUERIES_FILE] = json.dumps([q.to_dict() for q in queries], ensure_ascii=False)
            meta["n_queries"] = len(queries)
        try:
            row = store_upload(self.settings, self.repo, doc_id, Path(file_name).stem, TOOLS_KIND, meta, files)
        except OSError as exc:
            return ToolUploadOutcome(file_name, errors=(f"could not be stored ({exc.strerror})",))
        return ToolUploadOutcome(file_name, row=row, warnings=tuple(warnings))

    def delete(self, file_id: str) -> None:
        delete_upload(self.settings, self.repo, self.get(file_id))

    # reads
    def get(self, file_id: str) -> dict[str, Any]:
        try:
            row = self.repo.get(file_id)
        except NotFoundError as exc:
            raise ToolCollectionError(f"no API schema file {file_id} in the store (deleted?)") from exc
        if row["kind"] != TOOLS_KIND:
            raise ToolCollectionError(f"{file_id} is not an API schema file")
        return row

    def list(self, collection: str | None = None) -> list[dict[str, Any]]:
        rows = self.repo.list(TOOLS_KIND)
        return [r for r in rows if collection is None or r["meta"].get("collection") == collection]

    def collections(self) -> list[str]:
        """The tools collections (those holding at least one schema file)."""
        return sorted({r["meta"].get("collection", "default") for r in self.list()})

    def is_tools(self, collection: str | None) -> bool:
        return bool(collection) and any(r["meta"].get("collection") == collection for r in self.list())

    def apis(self, collection: str) -> list[ApiSpec]:
        """Every API of the collection, oldest file first (the first of a function name wins)."""
        rows = self.list(check_collection(collection))
        if not rows:
            raise ToolCollectionError(
                f"collection {collection!r} has no API schemas: upload them on the Documents screen (Tools)"
            )
        return dedupe([api for row in rows for api in _row_apis(row)])[0]

    def documents(self, collection: str) -> list[Document]:
        """The collection's schema files as pipeline documents (format "tools"), for the Adapt job."""
        return [
            api_document(row["id"], row["meta"].get("file_name", row["name"]), _row_apis(row), row["path"])
            for row in self.list(check_collection(collection))
        ]

    def stored_queries(self, collection: str) -> list[ToolQuery]:
        """The tool-use tasks stored with the collection's query files, in order; [] when it has none."""
        found = []
        for row in self.list(check_collection(collection)):
            path = Path(row["path"]) / QUERIES_FILE
            if row["meta"].get("n_queries") and path.is_file():
                try:
                    items = loads_json(path.read_text(encoding="utf-8"))
                except (OSError, json.JSONDecodeError) as exc:
                    where = f"the queries of {row['name']} cannot be read from {path}"
                    raise ToolCollectionError(f"{where}: {exc}") from exc
                found += [ToolQuery.from_dict(item) for item in items]
        return found

    def queries(self, collection: str) -> list[ToolQuery]:
        """The tool-use tasks stored with the collection's query files (with their relevant APIs), in order."""
        found = self.stored_queries(collection)
        if not found:
            raise ToolCollectionError(
                f"collection {collection!r} has no tool-use queries: upload a StableToolBench query file "
                "([{query, api_list, relevant APIs}, ...]) into it"
            )
        return found

    def query_collections(self) -> list[str]:
        """Tools collections with at least one query file (the ones the Evaluate screen can run)."""
        return sorted({r["meta"].get("collection", "") for r in self.list() if r["meta"].get("n_queries")})

    def export_jsonl(self, collection: str, target: Path) -> Path:
        """The collection's APIs as one APIs JSONL (the form ``past tools data`` reads), for jobs."""
        target.parent.mkdir(parents=True, exist_ok=True)
        lines = [json.dumps(api.to_dict(), ensure_ascii=False) for api in self.apis(collection)]
        target.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return target


def _queries(data: bytes, file_name: str) -> list[ToolQuery]:
    """The queries of a StableToolBench query file (``[{query, api_list, "relevant APIs"}, ...]``); [] otherwise."""
    try:
        document = loads_json(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return []
    if not isinstance(document, list) or not any(isinstance(e, dict) and "query" in e for e in document):
        return []
    return parse_queries(document, file_name).queries


def _row_apis(row: dict[str, Any]) -> list[ApiSpec]:
    path = Path(row["path"]) / APIS_FILE
    try:
        data = loads_json(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ToolCollectionError(f"the APIs of {row['name']} cannot be read from {path}: {exc}") from exc
    return [ApiSpec.from_dict(item) for item in data]
