"""Directories as tar archives between a remote worker and the runner's gateway, extracted safely.

Archives are written to and read from temporary files (uploads need a known length) and extracted with
the ``data`` filter: no absolute paths, no links out of the target, no devices. Extraction goes to a
staging directory first and each file then replaces its counterpart in the target (``os.replace``), so
a reader never sees a half-written file and a failed transfer changes nothing.
"""

from __future__ import annotations

import os
import shutil
import tarfile
import tempfile
from pathlib import Path
from typing import BinaryIO


def pack(directory: Path, out: BinaryIO) -> int:
    """Write the files under ``directory`` (names relative to it) as an uncompressed tar; the file count."""
    count = 0
    with tarfile.open(fileobj=out, mode="w|") as archive:
        if directory.is_dir():
            for path in sorted(directory.rglob("*")):
                if path.is_file() and not path.is_symlink():
                    archive.add(path, arcname=path.relative_to(directory).as_posix(), recursive=False)
                    count += 1
    return count


def pack_to_temp(directory: Path, scratch: Path) -> Path:
    """:func:`pack` into a new temporary file under ``scratch``; the caller removes it."""
    scratch.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=".upload-", suffix=".tar", dir=scratch)
    with os.fdopen(fd, "wb") as handle:
        pack(directory, handle)
    return Path(name)


def unpack(archive: Path, target: Path) -> list[Path]:
    """Extract ``archive`` into ``target`` (merged: existing files replaced, others kept); the files written."""
    target.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".incoming-", dir=target.parent))
    try:
        with tarfile.open(archive, mode="r:") as handle:
            handle.extractall(staging, filter="data")
        written = []
        for path in sorted(staging.rglob("*")):
            if path.is_file():
                dest = target / path.relative_to(staging)
                dest.parent.mkdir(parents=True, exist_ok=True)
                if dest.is_dir():
                    shutil.rmtree(dest)
                os.replace(path, dest)
                written.append(dest)
        return written
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def receive(stream: BinaryIO, length: int | None, scratch: Path, chunk: int = 1 << 20) -> Path:
    """Copy ``length`` bytes (or up to EOF) of ``stream`` into a temporary file under ``scratch``."""
    scratch.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=".download-", suffix=".tar", dir=scratch)
    left = length
    with os.fdopen(fd, "wb") as handle:
        while left is None or left > 0:
            data = stream.read(chunk if left is None else min(chunk, left))
            if not data:
                break
            handle.write(data)
            if left is not None:
                left -= len(data)
    if left:
        Path(name).unlink(missing_ok=True)
        raise OSError(f"the transfer ended {left} bytes early")
    return Path(name)
