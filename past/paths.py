"""Names and output paths, checked in one place.

A *name* becomes one directory inside the data directory: a model in the model store, a skill in the
library, a set of adapters, a run. It is a single path component (letters, digits, '.', '_', '-',
starting with a letter or digit), never a path, so nothing named can leave its store.

An *output* is a file or directory a command writes where the user says. It may not lie inside a store the
data directory manages (model store, skill library, adapters: those are written by name, through their
owners, and never overwritten from outside), nor be or contain the data directory, nor be one of the
command's inputs (or a folder that holds one).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from pathlib import Path

from past.errors import ConfigError, OutputPathError, PastError
from past.settings import Settings

NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")


class InvalidNameError(ConfigError):
    """A name that cannot be one directory name in a store."""


def check_name(name: object, what: str = "item", error: type[PastError] = InvalidNameError) -> str:
    """Return ``name`` if it can name a directory in a store; raise ``error`` saying why not."""
    if not isinstance(name, str) or not name.strip():
        raise error(f"a {what} needs a name")
    if "/" in name or "\\" in name or os.sep in name or name in (".", ".."):
        raise error(f"{what} name {name!r} contains a path separator; use letters, digits, '.', '_' or '-'")
    if not NAME_RE.match(name):
        raise error(
            f"{what} name {name!r} is not allowed: start with a letter or digit, then letters, digits, '.', '_' "
            "or '-' (at most 100 characters)"
        )
    return name


def managed_stores(settings: Settings) -> list[tuple[Path, str]]:
    """The stores of the data directory that only their owners write, with how to call them in a message."""
    return [
        (settings.models_dir, "the model store"),
        (settings.skills_dir, "the skill library"),
        (settings.adapters_dir, "the adapter store"),
    ]


def _resolved(path: str | os.PathLike[str]) -> Path:
    return Path(path).expanduser().resolve()  # symlinks resolved: a link into a store is caught too


def check_output(
    path: str | os.PathLike[str],
    settings: Settings,
    *,
    inputs: Iterable[str | os.PathLike[str] | None] = (),
    flag: str = "--out",
    file: bool = False,
) -> Path:
    """Return ``path`` (absolute) if a command may write there; raise :class:`OutputPathError` if not.

    With ``file`` the output is one file, so an existing directory there is refused too.
    """
    target = _resolved(path)
    data_dir = _resolved(settings.data_dir)
    if target == data_dir or data_dir.is_relative_to(target):
        raise OutputPathError(f"{flag} {path} would write over the data directory {data_dir}; choose another output")
    for root, store in managed_stores(settings):
        root = _resolved(root)
        if target.is_relative_to(root):
            raise OutputPathError(
                f"{flag} {path} is inside {store} ({root}), which is never written over from outside; "
                "write somewhere else (commands that store their result take --name NAME instead)"
            )
    for source in inputs:
        if source is None:
            continue
        src = _resolved(source)
        if target == src or src.is_relative_to(target) or (src.is_dir() and target.is_relative_to(src)):
            raise OutputPathError(f"{flag} {path} is one of the inputs ({source}); write the output somewhere else")
    if file and target.is_dir():
        raise OutputPathError(f"{flag} {path} is a directory; give the name of the file to write")
    parent = target.parent
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir() or not os.access(parent, os.W_OK | os.X_OK):
        raise OutputPathError(f"cannot write {flag} {path}: {parent} is not a writable directory")
    return target


__all__ = ["NAME_RE", "InvalidNameError", "check_name", "check_output", "managed_stores"]
