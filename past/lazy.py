"""Lazy package exports: a package lists its public API once, as imports under ``if TYPE_CHECKING:``, and each
name's module is imported on first use.

``import past.models`` or ``from past.models.checkpoint import weight_files`` then costs only the package's light
modules, while ``from past.models import ModelRegistry`` still works and type checkers read the same imports. The
``past`` CLI and the studio start without torch this way (``docs/architecture.md``). A package writes::

    if TYPE_CHECKING:
        from past.models.registry import ModelRegistry as ModelRegistry

    __getattr__, __dir__, __all__ = lazy_exports(__name__, globals())

(the ``X as X`` form marks the name as re-exported). A public name must not also be the name of one of the
package's submodules: importing that submodule sets the package attribute to the module.
"""

from __future__ import annotations

import ast
import importlib
from collections.abc import Callable
from pathlib import Path
from typing import Any


def exported_names(source: str) -> dict[str, tuple[str, str]]:
    """Public name -> (absolute module, name there), read from the ``from ... import`` lines under
    ``if TYPE_CHECKING:``."""
    where: dict[str, tuple[str, str]] = {}
    for node in ast.parse(source).body:
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            for statement in node.body:
                if isinstance(statement, ast.ImportFrom) and statement.module and not statement.level:
                    module = statement.module
                    where.update({alias.asname or alias.name: (module, alias.name) for alias in statement.names})
    return where


def lazy_exports(
    package: str, namespace: dict[str, Any]
) -> tuple[Callable[[str], Any], Callable[[], list[str]], list[str]]:
    """``__getattr__``, ``__dir__`` and ``__all__`` for ``package`` (its module ``namespace`` is ``globals()``)."""
    where = exported_names(Path(namespace["__file__"]).read_text(encoding="utf-8"))

    def __getattr__(name: str) -> Any:
        if name not in where:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        module, original = where[name]
        value = getattr(importlib.import_module(module), original)
        namespace[name] = value  # the next lookup is a plain module attribute
        return value

    def __dir__() -> list[str]:
        return sorted({*namespace, *where})

    # the names the package imports eagerly (light ones, such as error classes) are public too
    eager = {name for name, value in namespace.items() if getattr(value, "__module__", "").startswith(f"{package}.")}
    return __getattr__, __dir__, sorted({*where, *eager})
