"""The one reader of a JSON file that a directory must hold (a model's config.json, a skill's skill.json,
an adapter's adapter_config.json): missing or invalid, the caller's error class says which file and why."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from past.datasets.jsonl import loads_json


def read_json_file(directory: Path, name: str, error: type[Exception], missing: str) -> Any:
    """The parsed ``directory/name``; ``error`` "<directory> has no <name>; <missing>" when absent, or
    "<file> is not valid JSON: ..." when it cannot be parsed."""
    file = Path(directory) / name
    if not file.is_file():
        raise error(f"{directory} has no {name}; {missing}")
    try:
        return loads_json(file.read_text())  # with its nesting and number limits
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise error(f"{file} is not valid JSON: {exc}") from exc
