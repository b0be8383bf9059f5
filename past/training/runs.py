"""Small helpers shared by trainers and pipeline stages: atomic JSON, checkpoints, config dicts."""

from __future__ import annotations

import dataclasses
import json
import os
import tempfile
from pathlib import Path
from typing import Any, TypeVar

from past.datasets.jsonl import loads_json
from past.errors import ConfigError
from past.numbers import CONFIG_BOUNDS, check_numbers

T = TypeVar("T")


def write_json(path: str | Path, data: Any) -> Path:
    """Write JSON atomically (temp file in the same directory + os.replace)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(data, handle, indent=2, default=str)
        handle.write("\n")
    os.replace(tmp, path)
    return path


def read_json(path: str | Path) -> Any:
    return loads_json(Path(path).read_text(encoding="utf-8"))


def last_checkpoint(directory: str | Path) -> Path | None:
    """The newest complete ``checkpoint-N`` directory under ``directory``, if any."""
    directory = Path(directory)
    if not directory.is_dir():
        return None
    found = []
    for child in directory.iterdir():
        if child.is_dir() and child.name.startswith("checkpoint-") and (child / "trainer_state.json").is_file():
            try:
                found.append((int(child.name.split("-", 1)[1]), child))
            except ValueError:
                continue
    return max(found)[1] if found else None


def config_from_dict(cls: type[T], data: dict[str, Any]) -> T:
    """A config dataclass from a JSON dict, rejecting unknown keys with a clear message."""
    names = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    unknown = sorted(set(data) - names)
    if unknown:
        raise ConfigError(
            f"unknown {cls.__name__} setting(s): {', '.join(unknown)} (known: {', '.join(sorted(names))})"
        )
    check_numbers(data, CONFIG_BOUNDS, "setting")
    return cls(**data)


def train_resumable(
    trainer: Any, checkpoints: Path, resume: bool, reporter: Any, label: str
) -> tuple[float, Path | None]:
    """Run a TRL trainer quietly, from the last checkpoint when ``resume``; return (seconds, resumed from)."""
    import time

    from transformers.trainer_callback import PrinterCallback

    trainer.remove_callback(PrinterCallback)
    start_from = last_checkpoint(checkpoints) if resume else None
    if start_from:
        reporter.log(f"{label}: resuming from {start_from}")
    started = time.monotonic()
    trainer.train(resume_from_checkpoint=str(start_from) if start_from else None)
    return time.monotonic() - started, start_from
