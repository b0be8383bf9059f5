"""``python -m backend.cli ARGS``: ``past`` from a source checkout whose installed metadata predates its commands.

There is one list of the backend's commands (``job``, ``report-card``, ``docs``, ``ab``, ``audit``): the
``past.commands`` entry-point group of pyproject.toml, which an installed ``past`` reads. This module reads the
same declaration from the checkout, so both reach the same modules the same way (the tests use it).
"""

import importlib
import sys
import tomllib
from pathlib import Path
from types import ModuleType

from past.cli.main import COMMAND_ENTRY_POINTS, main

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"


def declared_commands() -> list[ModuleType]:
    """The command modules pyproject.toml declares in the ``past.commands`` group (none outside a checkout)."""
    if not PYPROJECT.is_file():
        return []
    declared = tomllib.loads(PYPROJECT.read_text())["project"]["entry-points"][COMMAND_ENTRY_POINTS]
    return [importlib.import_module(module) for module in declared.values()]


if __name__ == "__main__":
    sys.exit(main(extra_commands=declared_commands()))
