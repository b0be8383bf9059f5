"""JSON Lines I/O: ``write_jsonl`` is atomic (temp file in the same directory + ``os.replace``)."""

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


def iter_jsonl(path: str | os.PathLike[str]) -> Iterator[dict[str, Any]]:
    path = Path(path)
    try:
        handle = path.open(encoding="utf-8")
    except OSError as exc:
        raise PastError(f"cannot read {path}: {exc.strerror}") from exc
    with handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise PastError(f"{path.name} line {number} is not valid JSON: {exc.msg}") from exc
            if not isinstance(row, dict):
                raise PastError(f"{path.name} line {number} is not a JSON object")
            yield row


def read_jsonl(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    return list(iter_jsonl(path))
