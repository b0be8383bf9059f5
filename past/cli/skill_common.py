"""Helpers shared by the skill commands: model references, a throttled console reporter, printing."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from past.models import ModelRegistry
from past.progress import ConsoleReporter
from past.settings import Settings


class ThrottledReporter(ConsoleReporter):
    """Console progress at most every 5 percent (per-tensor progress would flood the terminal)."""

    def __init__(self) -> None:
        self._last = -1.0

    def progress(self, fraction: float, message: str) -> None:
        if fraction >= 1.0 or fraction - self._last >= 0.05:
            self._last = fraction
            super().progress(fraction, message)


def model_path(settings: Settings, ref: str) -> Path:
    """A registered model name, ``default``, or a directory (a LoRA adapter directory is passed through)."""
    local = Path(ref).expanduser()
    if local.is_dir():
        return local.resolve()
    return ModelRegistry(settings).resolve(ref).path


def print_json(data: object) -> None:
    json.dump(data, sys.stdout, indent=2, default=str)
    print()
