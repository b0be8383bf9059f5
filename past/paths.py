"""Names and output paths, checked in one place.

A *name* becomes one directory inside the data directory: a model in the model store, a skill in the
library, a set of adapters, a run. It is a single path component (letters, digits, '.', '_', '-',
starting with a letter or digit), never a path, so nothing named can leave its store.

An *output* is a file or directory a command writes where the user says: the one policy of every writing
command. It may not lie inside the data directory (the database, uploads, model store, skill library, adapters
and artifacts are written by their owners, by name, never from outside; a command's own run folders under the
artifacts are the exception it names), nor be or contain the data directory, nor be one of the command's inputs
(or a folder that holds one), nor lie in /proc, /sys or /dev. A file output's folder must exist and be writable;
a folder output is made with any missing folders above it, and is written into or replaced only when it is
empty or carries :data:`OUTPUT_MARKER` (a past command made it). A write that fails (a full disk) is one line
saying so: :func:`writing`.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import re
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path

from past.errors import ConfigError, OutputPathError, PastError
from past.settings import PSEUDO_FILESYSTEMS, Settings

NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
# Written into every folder a command makes at --out: only such a folder (or an empty one) is written into again
# or replaced with --overwrite, so a mistyped --out never deletes or litters an ordinary folder.
OUTPUT_MARKER = ".past-output.json"


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


def _store_parts(settings: Settings) -> list[tuple[Path, str]]:
    """Every part of the data directory with its name in a message; anything else in it is 'the data directory'."""
    return [
        *managed_stores(settings),
        (settings.uploads_dir, "the stored documents (uploads)"),
        (settings.artifacts_dir, "the job artifacts"),
        (settings.db_path, "the database"),
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
    ours: bool = False,
    allow: Iterable[str | os.PathLike[str]] = (),
) -> Path:
    """Return ``path`` (absolute) if a command may write there; raise :class:`OutputPathError` if not.

    With ``file`` the output is one file, so an existing directory there is refused too. With ``ours`` the output
    is a folder the command writes into or replaces: an existing one must be empty or carry :data:`OUTPUT_MARKER`
    (a folder a ``past`` command made), so no ordinary folder is ever written into or deleted. ``allow`` names
    the folders of the data directory the command itself keeps (its run directories under the artifacts).
    """
    text = os.fspath(path)
    if not text.strip() or "\x00" in text:
        raise OutputPathError(f"{flag} {text!r} is not a path")
    try:
        return _check_output(Path(text), settings, list(inputs), flag, file, ours, list(allow))
    except OSError as exc:  # a name too long for the file system, a folder that cannot be read
        raise OutputPathError(write_failure(path, exc, flag)) from None


def _check_output(
    path: Path,
    settings: Settings,
    inputs: list[str | os.PathLike[str] | None],
    flag: str,
    file: bool,
    ours: bool,
    allow: list[str | os.PathLike[str]],
) -> Path:
    target = _resolved(path)
    for root in PSEUDO_FILESYSTEMS:
        if target.is_relative_to(root):
            raise OutputPathError(f"cannot write {flag} {path}: {root} is a system file system, not a place for files")
    data_dir = _resolved(settings.data_dir)
    if target == data_dir or data_dir.is_relative_to(target):
        raise OutputPathError(f"{flag} {path} would write over the data directory {data_dir}; choose another output")
    if target.is_relative_to(data_dir) and not any(target.is_relative_to(_resolved(a)) for a in allow):
        raise OutputPathError(f"{flag} {path} is inside {_part_of(target, settings)}")
    for source in inputs:
        if source is None:
            continue
        src = _resolved(source)
        if target == src or src.is_relative_to(target) or (src.is_dir() and target.is_relative_to(src)):
            raise OutputPathError(f"{flag} {path} is one of the inputs ({source}); write the output somewhere else")
    if file and target.is_dir():
        raise OutputPathError(f"{flag} {path} is a directory; give the name of the file to write")
    if not file and target.exists() and not target.is_dir():
        raise OutputPathError(f"{flag} {path} is a file; give a folder to write into")
    if ours and target.is_dir() and not is_ours(target):
        raise OutputPathError(
            f"{flag} {path} is a folder that no past command made (it holds files and no {OUTPUT_MARKER}); "
            "give a new or empty folder (--overwrite replaces only a folder past wrote)"
        )
    parent = target.parent
    if file and not parent.is_dir():
        raise OutputPathError(f"cannot write {flag} {path}: the folder {parent} does not exist; create it first")
    while not parent.exists():  # a folder output is made with the folders above it
        parent = parent.parent
    if not parent.is_dir():
        raise OutputPathError(f"cannot write {flag} {path}: {parent} is a file, not a folder")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise OutputPathError(f"cannot write {flag} {path}: the folder {parent} is not writable")
    return target


def _part_of(target: Path, settings: Settings) -> str:
    """How to name the part of the data directory that ``target`` lies in, and what to do instead."""
    part = _resolved(settings.data_dir), "the data directory"
    for root, name in _store_parts(settings):
        root = _resolved(root)
        sidecar = target.parent == root.parent and target.name.startswith(root.name + "-")  # studio.sqlite-wal
        if target.is_relative_to(root) or (root == _resolved(settings.db_path) and sidecar):
            part = root, name
            break
    return (
        f"{part[1]} ({part[0]}), which only PaST Studio writes; write somewhere else "
        "(commands that store their result take --name NAME instead)"
    )


def is_ours(folder: Path) -> bool:
    """Whether ``folder`` is empty or was written by a ``past`` command (it holds :data:`OUTPUT_MARKER`)."""
    try:
        return (folder / OUTPUT_MARKER).is_file() or not any(folder.iterdir())
    except OSError:
        return False


def mark_output(folder: str | os.PathLike[str], command: str) -> Path:
    """Record in ``folder`` that ``command`` made it, so a later run of it may write into it or replace it."""
    marker = Path(folder) / OUTPUT_MARKER
    record = {"made_by": f"past {command}", "at": datetime.now(UTC).isoformat(timespec="seconds")}
    with writing(marker):
        marker.write_text(json.dumps(record) + "\n", encoding="utf-8")
    return marker


@contextlib.contextmanager
def writing(path: str | os.PathLike[str], flag: str = "") -> Iterator[None]:
    """Turn a failed write of ``path`` (full disk, read-only or missing folder) into a one-line OutputPathError."""
    try:
        yield
    except OSError as exc:
        raise OutputPathError(write_failure(path, exc, flag)) from None


def write_failure(path: str | os.PathLike[str], exc: OSError, flag: str = "") -> str:
    """One line saying why writing ``path`` failed, and what to do."""
    where = f"{flag} {path}" if flag else str(path)
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return f"cannot write {where}: the disk is full; free some space or write somewhere else (nothing was kept)"
    if exc.errno == errno.EROFS:
        return f"cannot write {where}: the file system is read-only; write somewhere else"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return f"cannot write {where}: permission denied; write somewhere you may write"
    if exc.errno == errno.ENOENT:
        return f"cannot write {where}: its folder does not exist; create it first"
    if exc.errno == errno.ENAMETOOLONG:
        return f"cannot write {where}: the name is too long for the file system"
    return f"cannot write {where}: {exc.strerror or exc}"


__all__ = [
    "NAME_RE",
    "OUTPUT_MARKER",
    "InvalidNameError",
    "check_name",
    "check_output",
    "is_ours",
    "managed_stores",
    "mark_output",
    "write_failure",
    "writing",
]
