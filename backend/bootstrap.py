"""First-start preparation of a data directory: the default model and the bundled default skills.

Both steps are idempotent. The bundled skills under ``assets/skills/`` are imported into the
library (their content hash is verified on import) only when a skill of that name is absent, so a
user's renamed or deleted copy is never overwritten by a restart... except that a deleted default
comes back, which is what a newcomer expects of "the default skill".
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from past.models import ModelRegistry
from past.settings import Settings
from past.skills import SkillLibrary

ASSETS_SKILLS = Path(__file__).resolve().parent.parent / "assets" / "skills"

Progress = Callable[[float, str], None]


def seed_default_skills(settings: Settings, source: Path = ASSETS_SKILLS) -> list[str]:
    """Import every bundled skill missing from the library; return the names imported."""
    if not source.is_dir():
        return []
    library = SkillLibrary(settings)
    imported = []
    for skill_dir in sorted(p for p in source.iterdir() if (p / "skill.json").is_file()):
        if not library.exists(skill_dir.name):
            library.import_path(skill_dir, skill_dir.name)
            imported.append(skill_dir.name)
    return imported


def prepare(settings: Settings, progress: Progress) -> None:
    """Everything a fresh data directory needs before the studio opens."""
    ModelRegistry(settings).ensure_default(progress)
    for name in seed_default_skills(settings):
        progress(1.0, f"added the bundled skill '{name}' to the library")
