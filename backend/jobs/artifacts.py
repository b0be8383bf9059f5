"""Job artifacts under ``<data_dir>/artifacts/<job_id>/``, written atomically.

Every file goes to a temporary name in the same directory, is fsynced, then ``os.replace``d into
place: a reader sees the old file or the whole new one. A full disk or an unwritable directory
raises :class:`StorageError` with a clear message and leaves no partial file behind.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import tempfile
from pathlib import Path

from backend.jobs.errors import StorageError
from past.settings import Settings

_NO_SPACE = {errno.ENOSPC, errno.EDQUOT}
_NOT_WRITABLE = {errno.EACCES, errno.EPERM, errno.EROFS}


def storage_error(exc: OSError, path: Path) -> StorageError:
    if exc.errno in _NO_SPACE:
        return StorageError(f"the disk holding {path} is full; free some space or move the data directory")
    if exc.errno in _NOT_WRITABLE:
        return StorageError(f"cannot write {path}: the directory is not writable ({exc.strerror})")
    return StorageError(f"cannot write {path}: {exc.strerror or exc}")


class ArtifactStore:
    def __init__(self, settings: Settings) -> None:
        self.root = settings.artifacts_dir

    def job_dir(self, job_id: str) -> Path:
        return self.root / job_id

    def checkpoint_dir(self, job_id: str) -> Path:
        return self.job_dir(job_id) / "checkpoints"

    def ensure_dir(self, path: Path) -> Path:
        try:
            path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise storage_error(exc, path) from exc
        return path

    def write_bytes(self, job_id: str, relpath: str, data: bytes) -> Path:
        target = self.job_dir(job_id) / relpath
        self.ensure_dir(target.parent)
        atomic_write(target, data)
        return target

    def remove(self, job_id: str) -> None:
        shutil.rmtree(self.job_dir(job_id), ignore_errors=True)


def atomic_write(target: Path, data: bytes) -> None:
    """Write ``data`` to ``target`` atomically; on failure nothing (not even a temp file) remains."""
    tmp: str | None = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
        with os.fdopen(fd, "wb") as handle:
            _write_all(handle, data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
        tmp = None
    except OSError as exc:
        raise storage_error(exc, target) from exc
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)


def _write_all(handle, data: bytes) -> None:
    view = memoryview(data)
    chunk = 1 << 20
    for start in range(0, len(view), chunk):
        handle.write(view[start : start + chunk])
