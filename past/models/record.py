"""The ``model.json`` sidecar that registers a checkpoint directory in the model store."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from past.datasets.jsonl import loads_json

RECORD_FILE = "model.json"


@dataclass
class ModelRecord:
    """What the store knows of one registered model."""

    name: str
    display_name: str
    kind: str  # "base", "sft", "injected", ...
    source: str
    architecture: str
    fingerprint: str
    num_parameters: int = 0
    dtype: str = ""
    base_fingerprint: str = ""  # for derived models: the fingerprint of the base they came from
    created_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))
    extra: dict = field(default_factory=dict)


def write_record(directory: Path, record: ModelRecord) -> None:
    """Write the sidecar atomically."""
    tmp = directory / f".{RECORD_FILE}.tmp"
    tmp.write_text(json.dumps(asdict(record), indent=2))
    os.replace(tmp, directory / RECORD_FILE)


def read_record(directory: Path) -> ModelRecord | None:
    """The sidecar of ``directory``, or None when it is not a registered model (or its record is unreadable)."""
    return _parse_record(directory)[0]


def record_problem(directory: Path) -> str | None:
    """Why ``directory``'s ``model.json`` cannot be read, in words; None when it reads or there is none."""
    return _parse_record(directory)[1]


def _parse_record(directory: Path) -> tuple[ModelRecord | None, str | None]:
    path = directory / RECORD_FILE
    if not path.is_file():
        return None, None
    try:
        data = loads_json(path.read_bytes())
    except (OSError, json.JSONDecodeError, UnicodeDecodeError) as exc:
        return None, f"{RECORD_FILE} cannot be read ({getattr(exc, 'msg', None) or exc})"
    if not isinstance(data, dict):
        return None, f"{RECORD_FILE} is not a JSON object"
    known = {k: v for k, v in data.items() if k in ModelRecord.__dataclass_fields__}
    missing = [f for f in ("name", "display_name", "kind", "source", "architecture", "fingerprint") if f not in known]
    if missing:
        return None, f"{RECORD_FILE} lacks {', '.join(missing)}"
    return ModelRecord(**known), None
