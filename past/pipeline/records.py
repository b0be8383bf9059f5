"""The records the pipeline leaves beside its outputs, and the reader of a published adapted model (no torch).

Adapt publishes ``<data>/adapters/<name>/`` with ``adapted.json`` (:data:`RECORD_FILE`) and Stage I and Adapt
both write ``orthogonality.json`` (:data:`ANALYSIS_FILE`) beside what they made. Readers (the report card, the
λ arena, the Analyse screen, the benchmarks) import this module, not the publisher in
:mod:`past.pipeline.adapted`, so they load without the training stack.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from past.errors import ConfigError
from past.paths import check_name
from past.settings import Settings

RECORD_FILE = "adapted.json"
ANALYSIS_FILE = "orthogonality.json"
PUBLISHED_PARTS = ("baseline", "injected", "model")


def check_adapted_name(name: str) -> str:
    """``name`` if it can name an adapted model (a plain folder name), else a clear error."""
    return check_name(name, "adapted model")


def published_paths(path: Path) -> dict[str, str]:
    """The adapters and merged model present in the published folder ``path``, by part name."""
    return {key: str(path / key) for key in PUBLISHED_PARTS if (path / key).exists()}


def read_adapted(settings: Settings, name: str) -> dict[str, Any]:
    """The record of a published adapted model."""
    path = settings.adapters_dir / check_adapted_name(name) / RECORD_FILE
    if not path.is_file():
        raise ConfigError(f"no adapted model named {name!r} (looked in {settings.adapters_dir})")
    return {**json.loads(path.read_text(encoding="utf-8")), **published_paths(path.parent)}
