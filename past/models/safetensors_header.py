"""The one safetensors header reader: length, JSON, every tensor's dtype/shape/offsets, size on disk.

Checkpoint validation (:mod:`past.models.checkpoint`, errors as :class:`MalformedModelError`) and the skill
engine's tensor I/O (:mod:`past.skills.tensors.io`, errors as ``SkillFormatError``) both read headers here;
the caller passes its error class. Pickled files are named as such and refused. No torch import.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass
from pathlib import Path

from past.datasets.jsonl import loads_json
from past.errors import MalformedModelError

# Bytes per element of each safetensors dtype.
ITEM_SIZES: dict[str, int] = {
    "F64": 8,
    "F32": 4,
    "F16": 2,
    "BF16": 2,
    "F8_E4M3": 1,
    "F8_E5M2": 1,
    "I64": 8,
    "I32": 4,
    "I16": 2,
    "I8": 1,
    "U64": 8,
    "U32": 4,
    "U16": 2,
    "U8": 1,
    "BOOL": 1,
}
PICKLE_SUFFIXES = (".bin", ".pt", ".pth", ".ckpt", ".pkl", ".pickle")
MAX_HEADER = 100 * 1024 * 1024


@dataclass(frozen=True)
class SafetensorsHeader:
    """A validated header: per tensor ``{"dtype", "shape", "data_offsets"}``, the metadata, and where data starts."""

    entries: dict[str, dict]
    metadata: dict[str, str]
    data_start: int


def refuse_pickle(path: Path, error: type[Exception] = MalformedModelError) -> None:
    """Raise ``error`` when ``path`` is (or looks like) a pickle, which is never loaded."""
    if path.suffix in PICKLE_SUFFIXES:
        raise error(f"{path} is a pickle file; PaST Studio never loads pickled tensors. Convert it to safetensors.")
    with contextlib.suppress(OSError), open(path, "rb") as raw:
        head = raw.read(2)
        if head[:1] == b"\x80" or head == b"PK":  # pickle protocol 2+ or torch.save's zip container
            raise error(f"{path} looks like a pickled (torch.save) file, not safetensors; it is refused for safety")


def read_header(path: Path, error: type[Exception] = MalformedModelError) -> SafetensorsHeader:
    """Validate a safetensors file's header against its size; raise ``error`` for a missing, pickled,
    truncated or otherwise corrupt file."""
    path = Path(path)
    if not path.is_file():
        raise error(f"tensor file {path} is missing")
    size = path.stat().st_size
    if size < 8:
        refuse_pickle(path, error)
        raise error(f"{path} is not a safetensors file: only {size} bytes")
    with open(path, "rb") as raw:
        header_len = int.from_bytes(raw.read(8), "little")
        if header_len <= 0 or header_len > MAX_HEADER or 8 + header_len > size:
            refuse_pickle(path, error)
            raise error(f"{path} is not a valid safetensors file (bad header length {header_len})")
        try:
            header = loads_json(raw.read(header_len))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise error(f"{path} is not a valid safetensors file: its header is not JSON") from exc
    if not isinstance(header, dict):
        raise error(f"{path} is not a valid safetensors file: its header is not an object")
    metadata = header.pop("__metadata__", None) or {}
    data_start = 8 + header_len
    end = 0
    for name, meta in header.items():
        try:
            count = ITEM_SIZES[meta["dtype"]]
            for dim in meta["shape"]:
                count *= int(dim)
            begin, stop = (int(x) for x in meta["data_offsets"])
        except (KeyError, TypeError, ValueError) as exc:
            raise error(f"{path}: tensor {name!r} has an invalid or unsupported header entry") from exc
        if stop - begin != count or begin < 0:
            raise error(f"{path}: tensor {name!r} claims {stop - begin} bytes but its shape needs {count}")
        end = max(end, stop)
    if data_start + end > size:
        raise error(f"{path} is truncated: {size} bytes on disk, its header promises {data_start + end}")
    return SafetensorsHeader(header, metadata, data_start)
