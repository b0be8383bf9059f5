"""Validation of checkpoint directories before anything is loaded from them.

Only JSON and safetensors are read from user-supplied directories; pickled weights
(``*.bin``, ``*.pt``) are refused with a message that says how to convert them.
"""

from __future__ import annotations

import json
from pathlib import Path

from past.datasets.jsonl import loads_json, read_json_file
from past.errors import MalformedModelError, ModelNotFoundError
from past.models.safetensors_header import PICKLE_SUFFIXES, read_header


def weight_files(path: Path) -> list[Path]:
    """The safetensors shards of a checkpoint directory, in a stable order."""
    index = path / "model.safetensors.index.json"
    if index.is_file():
        try:
            weight_map = loads_json(index.read_text())["weight_map"]
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise MalformedModelError(f"{index} is not a valid safetensors index: {exc}") from exc
        return [path / name for name in sorted(set(weight_map.values()))]
    return sorted(path.glob("*.safetensors"))


def validate_checkpoint(path: Path) -> dict:
    """Check that ``path`` is a loadable transformers checkpoint; return its parsed config.

    Raises :class:`ModelNotFoundError` or :class:`MalformedModelError` naming what was expected.
    """
    if not path.exists():
        raise ModelNotFoundError(f"no model at {path}: the directory does not exist")
    if not path.is_dir():
        raise MalformedModelError(f"{path} is a file; a model is a directory with config.json and *.safetensors")
    config_file = path / "config.json"
    config = read_json_file(path, "config.json", MalformedModelError, "expected a transformers checkpoint directory")
    if not isinstance(config, dict) or "model_type" not in config:
        raise MalformedModelError(f"{config_file} has no 'model_type'; it is not a transformers model config")
    files = weight_files(path)
    if not files:
        pickled = [p.name for p in path.iterdir() if p.suffix in PICKLE_SUFFIXES]
        if pickled:
            raise MalformedModelError(
                f"{path} holds only pickled weights ({', '.join(sorted(pickled))}); PaST Studio loads "
                "safetensors only. Convert them with transformers' save_pretrained(safe_serialization=True)."
            )
        raise MalformedModelError(f"{path} has no *.safetensors weight files")
    for file in files:
        check_safetensors_file(file)
    return config


def check_safetensors_file(file: Path) -> list[str]:
    """Check a safetensors file's header and its size against the header; return tensor names.

    The header is read by :func:`past.models.safetensors_header.read_header`, so a truncated file is
    reported here, not deep inside a training run.
    """
    if not file.is_file():
        raise MalformedModelError(f"weight file {file} is missing")
    names = list(read_header(file, MalformedModelError).entries)
    if not names:
        raise MalformedModelError(f"{file} contains no tensors")
    return names
