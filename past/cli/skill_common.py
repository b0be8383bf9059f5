"""Helpers shared by the skill commands: model references and a throttled console reporter."""

from __future__ import annotations

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
