"""Helpers shared by the skill commands: the skill library, model references and a throttled console reporter.

The skill engine and the model store load torch; they are imported when a command runs, not when ``past`` parses
its arguments, so ``past --help`` and a mistyped flag answer at once.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from past.progress import ConsoleReporter
from past.settings import Settings

if TYPE_CHECKING:
    from past.skills.library import SkillLibrary


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
    from past.models.registry import ModelRegistry

    return ModelRegistry(settings).resolve(ref).path


def skill_library(settings: Settings) -> SkillLibrary:
    """The data directory's skill library."""
    from past.skills.library import SkillLibrary

    return SkillLibrary(settings)
