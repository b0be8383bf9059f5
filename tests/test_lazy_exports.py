"""The lazily exported packages (past/lazy.py): every public name resolves to the object its module defines, a
name that is not there is an AttributeError, and no public name is shadowed by a submodule of the same name."""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

import pytest

from past.lazy import exported_names

LAZY = ("past.models", "past.pipeline", "past.skills", "past.tools")


@pytest.mark.parametrize("name", LAZY)
def test_every_public_name_resolves_to_its_modules_object(name: str) -> None:
    package = importlib.import_module(name)
    where = exported_names(Path(package.__file__).read_text(encoding="utf-8"))
    assert where and set(where) <= set(package.__all__)
    for public, (module, original) in where.items():
        assert getattr(package, public) is getattr(importlib.import_module(module), original), public
    submodules = {info.name for info in pkgutil.iter_modules(package.__path__)}
    assert not set(where) & submodules, "a submodule import would replace these names with modules"
    with pytest.raises(AttributeError, match="no attribute 'not_a_name'"):
        package.not_a_name  # noqa: B018


def test_the_exports_are_read_from_the_type_checking_imports_only() -> None:
    source = (
        "from typing import TYPE_CHECKING\n"
        "from past.errors import ConfigError as ConfigError\n"
        "if TYPE_CHECKING:\n"
        "    from past.models.registry import ModelRegistry as ModelRegistry\n"
        "    from past.skills.vector import SkillVector, skill_from_adapter as from_adapter\n"
        "if other:\n"
        "    from past.paths import writing\n"
    )
    assert exported_names(source) == {
        "ModelRegistry": ("past.models.registry", "ModelRegistry"),
        "SkillVector": ("past.skills.vector", "SkillVector"),
        "from_adapter": ("past.skills.vector", "skill_from_adapter"),
    }
