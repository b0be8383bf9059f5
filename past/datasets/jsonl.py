"""JSON and JSON Lines I/O: ``loads_json`` is the one way a file from a user is parsed (with limits);
``write_jsonl`` is atomic (temp file in the same directory + ``os.replace``); ``jsonl_rows`` is the project's one
JSONL parser (documents, synthetic items, training records, QA and LooGLE files), raising the caller's error class
with the file name and line number.

``loads_json`` refuses JSON nested deeper than :data:`MAX_JSON_DEPTH` levels and whole numbers longer than
:data:`MAX_JSON_DIGITS` digits with a :class:`JSONLimitError`, a ``json.JSONDecodeError`` (so every caller's
"is not valid JSON" handling covers it) that is also a :class:`PastError` (so the CLI prints it as an error).
Without it, deep nesting raises ``RecursionError`` and a 4,301-digit number ``ValueError``.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from past.errors import PastError

MAX_JSON_DEPTH = 100  # no file PaST Studio reads nests deeper than a handful of levels
MAX_JSON_DIGITS = 40  # a 128-bit number has 39 digits


class JSONLimitError(json.JSONDecodeError, PastError):
    """JSON beyond :func:`loads_json`'s limits: nested too deep, or a whole number too long."""

    def __init__(self, msg: str, doc: str = "", pos: int = 0) -> None:
        super().__init__(msg, doc, pos)

    def __str__(self) -> str:
        return self.msg

    def __reduce__(self) -> tuple[Any, ...]:
        return type(self), (self.msg, self.doc, self.pos)


def _parse_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_JSON_DIGITS:
        raise JSONLimitError(
            f"a whole number of {len(text.lstrip('-'))} digits is longer than the {MAX_JSON_DIGITS} digits read"
        )
    return int(text)


def _check_depth(value: Any) -> None:
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children = item.values() if isinstance(item, dict) else item
        if depth > MAX_JSON_DEPTH:
            raise JSONLimitError(f"it is nested deeper than {MAX_JSON_DEPTH} levels")
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))


def loads_json(text: str | bytes) -> Any:
    """``json.loads`` with limits: a :class:`JSONLimitError` for deep nesting or an over-long whole number."""
    try:
        value = json.loads(text, parse_int=_parse_int)
    except RecursionError:
        raise JSONLimitError(f"it is nested deeper than {MAX_JSON_DEPTH} levels") from None
    if isinstance(value, dict | list):
        _check_depth(value)
    return value


def read_json(path: str | os.PathLike[str], error: type[Exception] = PastError, label: str = "") -> Any:
    """A JSON file from a user, parsed by :func:`loads_json`; ``error`` (the caller's class) naming the file
    (``label``, else its name: a share-link user never sees server paths) otherwise."""
    path = Path(path)
    label = label or path.name
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise error(f"cannot read {label}: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise error(f"{label} is not UTF-8 text (byte {exc.start})") from exc
    try:
        return loads_json(text)
    except json.JSONDecodeError as exc:
        raise error(f"{label} is not valid JSON: {exc}") from exc


def read_json_object(path: str | os.PathLike[str], error: type[Exception] = PastError, label: str = "") -> dict:
    """:func:`read_json` of a file that must hold a JSON object (a config, a recipe)."""
    label = label or Path(path).name
    data = read_json(path, error, label)
    if not isinstance(data, dict):
        raise error(f"{label} must hold a JSON object")
    return data


def read_json_file(directory: str | os.PathLike[str], name: str, error: type[Exception], missing: str) -> Any:
    """The JSON file a directory must hold (a model's config.json, a skill's skill.json, an adapter's
    adapter_config.json): "<directory> has no <name>; <missing>" when absent, else :func:`read_json`."""
    file = Path(directory) / name
    if not file.is_file():
        raise error(f"{directory} has no {name}; {missing}")
    return read_json(file, error, str(file))


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
            row = loads_json(line)
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
