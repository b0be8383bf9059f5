"""Output directories of the skill engine: a writability check and atomic directory writes (no torch).

A skill, a merged checkpoint or an adapter is written into a hidden sibling and renamed into place only when
complete, so a failed or interrupted write leaves no half skill behind.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

from past.skills.errors import OutputPathError


def check_writable(parent: Path) -> None:
    """Create ``parent`` if needed; a clear :class:`OutputPathError` if it cannot hold output."""
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputPathError(f"cannot create the output directory {parent}: {exc.strerror}") from exc
    if not parent.is_dir():
        raise OutputPathError(f"the output location {parent} is not a directory")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise OutputPathError(f"the output location {parent} is not writable")


@contextlib.contextmanager
def atomic_output_dir(final: Path, *, overwrite: bool = False) -> Iterator[Path]:
    """Yield a temporary sibling of ``final``; rename it to ``final`` only if the block succeeds.

    On any exception (including KeyboardInterrupt) the temporary directory is removed and ``final``
    is untouched. Stale temporaries are dot-named (``.<name>.partial-*``) and ignored by listings.
    """
    final = Path(final).expanduser().absolute()
    if final.exists() and not overwrite:
        raise OutputPathError(f"{final} already exists; choose another output or remove it first")
    if final.exists() and not final.is_dir():
        raise OutputPathError(f"{final} exists and is not a directory")
    check_writable(final.parent)
    tmp = final.parent / f".{final.name}.partial-{uuid.uuid4().hex[:8]}"
    try:
        tmp.mkdir()
    except OSError as exc:
        raise OutputPathError(f"cannot write into {final.parent}: {exc.strerror}") from exc
    try:
        yield tmp
        if final.exists():
            old = final.parent / f".{final.name}.old-{uuid.uuid4().hex[:8]}"
            os.replace(final, old)
            os.replace(tmp, final)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
