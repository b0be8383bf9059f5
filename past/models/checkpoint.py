"""Validation of checkpoint directories before anything is loaded from them.

Only JSON and safetensors are read from user-supplied directories; pickled weights
(``*.bin``, ``*.pt``) are refused with a message that says how to convert them.
"""

from __future__ import annotations

import json
from pathlib import Path

from safetensors import safe_open

from past.datasets.jsonl import loads_json
from past.errors import MalformedModelError, ModelNotFoundError

PICKLE_SUFFIXES = (".bin", ".pt", ".pth", ".ckpt", ".pkl")


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
    if not config_file.is_file():
        raise MalformedModelError(f"{path} has no config.json; expected a transformers checkpoint directory")
    try:
        config = loads_json(config_file.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise MalformedModelError(f"{config_file} is not valid JSON: {exc}") from exc
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
    """Open a safetensors file's header and check its size against the header; return tensor names."""
    if not file.is_file():
        raise MalformedModelError(f"weight file {file} is missing")
    try:
        with safe_open(str(file), framework="pt") as handle:
            names = list(handle.keys())
            _check_sizes(file, handle, names)
    except MalformedModelError:
        raise
    except Exception as exc:  # safetensors raises its own SafetensorError and OSError subclasses
        raise MalformedModelError(f"{file} is not a valid safetensors file (truncated or corrupt): {exc}") from exc
    return names


def _check_sizes(file: Path, handle: object, names: list[str]) -> None:
    # safe_open memory-maps lazily; a truncated file only fails when a tensor is read. Touch the
    # last tensor by byte offset so truncation is reported here, not deep inside a training run.
    if not names:
        raise MalformedModelError(f"{file} contains no tensors")
    with open(file, "rb") as raw:
        header_len = int.from_bytes(raw.read(8), "little")
        header = loads_json(raw.read(header_len))
    end = max(int(meta["data_offsets"][1]) for key, meta in header.items() if key != "__metadata__")
    expected = 8 + header_len + end
    actual = file.stat().st_size
    if actual < expected:
        raise MalformedModelError(f"{file} is truncated: {actual} bytes on disk, its header promises {expected}")
