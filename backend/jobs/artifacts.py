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
from collections.abc import Iterator
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

    @contextlib.contextmanager
    def atomic_dir(self, job_id: str, relpath: str) -> Iterator[Path]:
        """A temporary directory to fill (e.g. ``save_pretrained``); renamed to ``relpath`` on success,
        removed on any error, so readers never see a half-written directory."""
        target = self.job_dir(job_id) / relpath
        self.ensure_dir(target.parent)
        with replacing_dir(target) as tmp:
            yield tmp

    def remove(self, job_id: str) -> None:
        shutil.rmtree(self.job_dir(job_id), ignore_errors=True)


@contextlib.contextmanager
def replacing_dir(target: Path) -> Iterator[Path]:
    """A temporary directory next to ``target`` to fill; it replaces ``target`` whole when the block ends
    (contents fsynced, the old directory moved aside and removed); on any error ``target`` is unchanged."""
    try:
        tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".partial", dir=target.parent))
    except OSError as exc:
        raise storage_error(exc, target) from exc
    try:
        yield tmp
        for path in tmp.rglob("*"):  # make the contents durable before the rename publishes them
            if path.is_file():
                with open(path, "rb") as handle:
                    os.fsync(handle.fileno())
        old = None
        if target.exists():
            old = target.with_name(f".{target.name}.old-{os.getpid()}")
            os.replace(target, old)
        os.replace(tmp, target)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise storage_error(exc, target) from exc
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


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
