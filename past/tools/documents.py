"""API schemas as pipeline documents, and the SFT texts the one Stage II trains on for a tools collection.

Stage II (:func:`past.pipeline.adapt`) takes :class:`~past.documents.ingest.Document` objects; a tools
collection's schema file becomes one whose ``format`` is ``"tools"`` and whose text is the JSON list of its
APIs (:meth:`ApiSpec.to_dict`). A recipe with ``tool_docs`` turns them into the paper's tool-use SFT data:
raw schemas, descriptions, name → usage and usage → name QA (:func:`docs_sft_records`) plus ReAct
format-alignment first steps (:func:`synthetic_first_step_records`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from past.datasets.jsonl import loads_json
from past.documents.ingest import Document
from past.errors import ConfigError
from past.generators.base import ChatGenerator
from past.progress import Reporter
from past.tools.docs_data import DocsDataConfig, docs_sft_records
from past.tools.format_data import synthetic_first_step_records
from past.tools.schema import ApiSpec, dedupe

TOOLS_FORMAT = "tools"


def api_document(doc_id: str, name: str, apis: Sequence[ApiSpec], source: str = "") -> Document:
    """One schema file's APIs as a pipeline document (its text is the JSON list of the APIs)."""
    text = json.dumps([api.to_dict() for api in apis], ensure_ascii=False, sort_keys=True)
    return Document(doc_id, name, TOOLS_FORMAT, text, hashlib.sha256(text.encode()).hexdigest(), source)


def api_documents_from_files(paths: Iterable[str | Path]) -> tuple[list[Document], list[str]]:
    """Schema files (any form :mod:`past.tools.ingest` reads) as pipeline documents, and the issues found."""
    from past.tools.ingest import ingest_tool_files

    documents, issues = [], []
    for path in map(Path, paths):
        result = ingest_tool_files([path])
        issues += [str(issue) for issue in result.issues]
        if result.apis:
            documents.append(api_document(path.stem, path.name, result.apis, str(path)))
    return documents, issues


def apis_from_documents(documents: Sequence[Document]) -> list[ApiSpec]:
    """The APIs of tools documents, the first of each function name kept; a text document is an error."""
    apis: list[ApiSpec] = []
    for doc in documents:
        if doc.format != TOOLS_FORMAT:
            raise ConfigError(
                f"{doc.name} is a text document, not API schemas: the tool-docs recipe trains on a tools collection"
            )
        try:
            apis += [ApiSpec.from_dict(item) for item in loads_json(doc.text)]
        except (ValueError, TypeError, KeyError) as exc:
            raise ConfigError(f"the APIs of {doc.name} cannot be read ({type(exc).__name__}: {exc})") from exc
    if not apis:
        raise ConfigError("the tools documents hold no APIs")
    return dedupe(apis)[0]


def tool_sft_records(
    documents: Sequence[Document],
    questions_per_api: int,
    generator: ChatGenerator | None,
    seed: int,
    reporter: Reporter | None = None,
) -> tuple[list[dict[str, Any]], dict[str, int], str]:
    """The paper's tool-use SFT records for the documents' APIs: (records, count per kind, who wrote them).

    ``generator`` None writes descriptions and usage requests from templates (deterministic, CPU-cheap)."""
    apis = apis_from_documents(documents)
    config = DocsDataConfig(questions_per_api=questions_per_api, seed=seed)
    data = docs_sft_records(apis, config, generator, reporter)
    records = data.records + synthetic_first_step_records(apis, data.texts)
    counts: dict[str, int] = {}
    for record in records:
        kind = str(record.get("kind") or "record")
        counts[kind] = counts.get(kind, 0) + 1
    return records, counts, generator.name if generator else "template"
