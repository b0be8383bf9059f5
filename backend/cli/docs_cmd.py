"""``past docs``: document collections from the command line, as the studio's Documents screen keeps them.

``add`` stores documents (PDF, DOCX, HTML, Markdown, text) in a collection, and question files
(``.qa.json``, SQuAD ``.json``, LooGLE ``.jsonl``, or any file with ``--questions``) as its questions;
``list`` shows collections, documents and question files; ``rm`` deletes documents or question files by id,
or a whole collection with ``--collection``.
"""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING, Any

from past.cli.actions import action_group, add_action, print_listing
from past.errors import ConfigError, PastError
from past.settings import Settings

if TYPE_CHECKING:  # the backend is imported only when the command runs (keeps `past --help` fast)
    from backend.documents import DocumentService


def register(subparsers: argparse._SubParsersAction) -> None:
    actions = action_group(subparsers, "docs", "document collections and question files (as the studio keeps them)")
    add = add_action(actions, "add", "add documents (and question files) to a collection", add_docs)
    add.add_argument(
        "files", nargs="+", help="documents; .json/.jsonl files (.qa.json, SQuAD, LooGLE) are question files"
    )
    add.add_argument("--collection", "-c", default="default", help="collection name (default: default)")
    add.add_argument("--questions", action="store_true", help="every file is a question file (.json)")
    add.add_argument("--json", action="store_true", help="print the outcome as JSON")
    listing = add_action(actions, "list", "collections, or one collection's documents and question files", list_docs)
    listing.add_argument("--collection", "-c", help="only this collection")
    listing.add_argument("--json", action="store_true")
    rm = add_action(actions, "rm", "delete documents / question files by id, or a whole collection", rm_docs)
    rm.add_argument("ids", nargs="*", help="ids from `past docs list`")
    rm.add_argument("--collection", "-c", help="delete every document and question file of this collection")
    rm.add_argument("--yes", action="store_true", help="needed with --collection")


def _service(settings: Settings, *, tokenizer: bool = False) -> DocumentService:
    from backend.documents import DocumentService
    from backend.store import Store

    return DocumentService(settings, Store(settings.db_path), tokenizer=_tokenizer(settings) if tokenizer else None)


def _tokenizer(settings: Settings) -> Any:
    """The default model's tokenizer for chunk counts when that model is already prepared (nothing converted)."""
    from past.models import ModelRegistry

    registry = ModelRegistry(settings)
    if settings.default_model not in {r.name for r in registry.list()}:
        return None
    try:
        from transformers import AutoTokenizer

        return AutoTokenizer.from_pretrained(registry.resolve(settings.default_model).path)
    except (PastError, OSError, ValueError):
        return None


def add_docs(args: argparse.Namespace, settings: Settings) -> int:
    from pathlib import Path

    from backend.documents import check_collection, is_question_file

    collection = check_collection(args.collection)
    missing = [f for f in args.files if not Path(f).is_file()]
    if missing:
        raise ConfigError(f"not a file: {', '.join(missing)}")
    documents = [f for f in args.files if not (args.questions or is_question_file(f))]
    service = _service(settings, tokenizer=bool(documents))
    outcomes: list[dict[str, Any]] = []
    for outcome in service.upload_paths(args.files, collection, questions=args.questions):
        row = outcome.row or {}
        entry = {"file": outcome.file_name, "ok": outcome.ok, "id": row.get("id")}
        if outcome.questions is not None:
            entry["questions"] = outcome.questions
        outcomes.append(entry if outcome.ok else {**entry, "error": outcome.error})
    if args.json:
        print(json.dumps({"collection": collection, "files": outcomes}, indent=2))
    else:
        for o in outcomes:
            what = f"{o['questions']} questions" if "questions" in o else "document"
            print(f"added {o['file']} ({what}) as {o['id']}" if o["ok"] else f"error: {o['error']}")
    failed = sum(not o["ok"] for o in outcomes)
    print(f"{len(outcomes) - failed} of {len(outcomes)} file(s) added to '{collection}'")
    return 2 if failed else 0


def _rows(service: DocumentService, collection: str | None) -> list[dict[str, Any]]:
    rows = []
    for kind, entries in (("document", service.list(collection)), ("questions", service.qa_rows(collection))):
        for r in entries:
            meta = r["meta"]
            rows.append(
                {
                    "id": r["id"],
                    "kind": kind,
                    "collection": meta.get("collection", "default"),
                    "file": meta.get("file_name", r["name"]),
                    "size": meta.get("n_chars") if kind == "document" else meta.get("n_questions"),
                }
            )
    return rows


def list_docs(args: argparse.Namespace, settings: Settings) -> int:
    from backend.documents import check_collection

    collection = check_collection(args.collection) if args.collection else None
    service = _service(settings)
    rows = _rows(service, collection)
    if collection is not None and not rows:
        raise ConfigError(f"no collection named {collection!r} (collections: {', '.join(_names(service)) or 'none'})")
    if print_listing(rows, args.json, "no documents yet: add some with `past docs add FILE... --collection NAME`"):
        return 0
    for name in sorted({r["collection"] for r in rows}):
        mine = [r for r in rows if r["collection"] == name]
        docs = sum(r["kind"] == "document" for r in mine)
        print(f"{name}: {docs} document(s), {len(mine) - docs} question file(s)")
        for r in mine:
            unit = "characters" if r["kind"] == "document" else "questions"
            print(f"  {r['id']}  {r['kind']:<9}  {r['file']}  ({r['size']} {unit})")
    return 0


def _names(service: DocumentService) -> list[str]:
    return sorted({*service.collections(), *service.question_collections()})


def rm_docs(args: argparse.Namespace, settings: Settings) -> int:
    from backend.documents import check_collection

    if bool(args.ids) == bool(args.collection):
        raise ConfigError("give document ids, or --collection NAME --yes (not both)")
    service = _service(settings)
    if args.collection:
        collection = check_collection(args.collection)
        if not args.yes:
            raise ConfigError(f"deleting the whole collection {collection!r} needs --yes")
        ids = [r["id"] for r in _rows(service, collection)]
        if not ids:
            raise ConfigError(
                f"no collection named {collection!r} (collections: {', '.join(_names(service)) or 'none'})"
            )
    else:
        ids = list(dict.fromkeys(args.ids))
        for doc_id in ids:
            service.get(doc_id)  # every id checked before anything is deleted
    for doc_id in ids:
        service.delete(doc_id)
    print(f"deleted {len(ids)} item(s)")
    return 0
