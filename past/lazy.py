"""Lazy package exports: a package names its public API in one table and imports each module on first use.

``import past.models`` or ``from past.models.checkpoint import weight_files`` then costs only the package's light
modules, while ``from past.models import ModelRegistry`` still works. The ``past`` CLI starts without torch this way.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any


def lazy_exports(
    package: str, where: Mapping[str, str], namespace: dict[str, Any]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for ``package``: ``where`` maps a public name to its module, relative to
    ``package`` (``"ops.inject"``) or absolute (``"past.adapt_params"``).

    A public name must not be a submodule's name too: importing the submodule sets the package attribute of that
    name to the module, and ``from package import name`` would then give the module instead of the object."""

    def __getattr__(name: str) -> Any:
        if name not in where:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        module = where[name] if where[name].startswith("past.") else f"{package}.{where[name]}"
        value = getattr(importlib.import_module(module), name)
        namespace[name] = value  # the next lookup is a plain module attribute
        return value

    def __dir__() -> list[str]:
        return sorted({*namespace, *where})

    return __getattr__, __dir__
