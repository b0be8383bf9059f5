"""JSON Lines I/O: ``write_jsonl`` is atomic (temp file in the same directory + ``os.replace``); ``jsonl_rows`` is
the project's one JSONL parser (documents, synthetic items, training records, QA and LooGLE files), raising the
caller's error class with the file name and line number."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from past.errors import PastError


def write_jsonl(path: str | os.PathLike[str], rows: Iterable[dict[str, Any]]) -> Path:
    """Write all rows or nothing: an interrupted write leaves any previous file untouched."""
    path = Path(path)
    if path.is_dir():
        raise PastError(f"cannot write {path}: it is a directory")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise PastError(f"cannot write {path}: {exc.strerror or exc}") from exc
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            for row in rows:
                handle.write(json.dumps(row, ensure_ascii=False) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise PastError(f"cannot write {path}: {exc.strerror or exc}") from exc
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def append_jsonl(path: str | os.PathLike[str], rows: Iterable[dict[str, Any]]) -> Path:
    """Rewrite ``path`` atomically with its rows followed by ``rows``."""
    path = Path(path)
    existing = list(read_jsonl(path)) if path.exists() else []
    return write_jsonl(path, [*existing, *rows])


def jsonl_rows(
    lines: Iterable[str], name: str, error: type[Exception] = PastError
) -> Iterator[tuple[int, dict[str, Any]]]:
    """The one JSONL parser: ``(line number, object)`` for every non-blank line of ``lines``, lazily. A line that
    is not a JSON object raises ``error`` (the caller's error class) naming ``name`` and the line."""
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise error(f"{name} line {number} is not valid JSON (column {exc.colno}: {exc.msg})") from None
        if not isinstance(row, dict):
            raise error(f"{name} line {number} is not a JSON object")
        yield number, row


def iter_jsonl(
    path: str | os.PathLike[str], error: type[Exception] = PastError
) -> Iterator[tuple[int, dict[str, Any]]]:
    """:func:`jsonl_rows` of the file at ``path``, read once, line by line; an unreadable file raises ``error``."""
    path = Path(path)
    try:
        handle = path.open(encoding="utf-8")
    except OSError as exc:
        raise error(f"cannot read {path}: {exc.strerror or exc}") from None
    with handle:
        try:
            yield from jsonl_rows(handle, path.name, error)
        except UnicodeDecodeError:
            raise error(f"{path.name} is not UTF-8 text") from None


def read_jsonl(path: str | os.PathLike[str], error: type[Exception] = PastError) -> list[dict[str, Any]]:
    """Every object of the JSONL file at ``path``; anything malformed raises ``error`` naming the line."""
    return [row for _, row in iter_jsonl(path, error)]
