"""Opening the SQLite store: WAL mode, busy timeout, one connection per thread, short write transactions.

Every process (studio, runner, each worker, the CLI) opens its own :class:`Store`. Connections are
per thread, so the studio's handler threads and the runner thread never share one. Writes go through
:meth:`Store.write`, a ``BEGIN IMMEDIATE`` transaction: the write lock is taken up front, so a
writer waits (busy timeout) instead of failing with "database is locked" on a lock upgrade.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import sqlite_utils

from backend.store.errors import StoreDamagedError, StoreError
from backend.store.migrations import migrate

BUSY_TIMEOUT_S = 30.0
DAMAGE_CODES = (11, 26)  # SQLITE_CORRUPT ("database disk image is malformed"), SQLITE_NOTADB


def is_damage(exc: BaseException) -> bool:
    """True for SQLite's "the file is corrupt / not a database" errors (a truncated or overwritten store)."""
    return isinstance(exc, sqlite3.DatabaseError) and (getattr(exc, "sqlite_errorcode", 0) & 0xFF) in DAMAGE_CODES


def damaged_store(path: Path, exc: BaseException) -> StoreDamagedError:
    """The error for a damaged store file: what happened and what to do, in one message."""
    return StoreDamagedError(
        f"the store {path} is damaged ({exc}), so its jobs, documents list and votes cannot be read. "
        f"Stop the studio and the job runner, then move it aside (mv {path} {path}.damaged) and start again: "
        "a new, empty store is created, and models, skills and uploaded files are kept. Or restore the file "
        f"from a backup (`sqlite3 {path}.damaged .recover` may save some of its rows)."
    )


def connect(path: Path) -> sqlite_utils.Database:
    """A configured connection (autocommit mode; WAL; busy timeout; foreign keys)."""
    try:
        conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False)
        conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA foreign_keys = ON")
    except sqlite3.DatabaseError as exc:
        if is_damage(exc):
            raise damaged_store(path, exc) from exc
        raise StoreError(
            f"cannot open the store {path}: {exc}. Check that the data directory is writable and the disk not full."
        ) from exc
    if str(mode).lower() != "wal":
        raise StoreError(f"the store {path} cannot use WAL mode (got {mode}); is the file system read-only?")
    return sqlite_utils.Database(conn)


class Store:
    """The experiment store of one data directory; migrated on open."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._local = threading.local()
        self._all: list[sqlite_utils.Database] = []
        self._lock = threading.Lock()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot create {self.path.parent}: {exc.strerror}") from exc
        with self.write() as db:
            migrate(db)

    @property
    def db(self) -> sqlite_utils.Database:
        """This thread's connection."""
        db = getattr(self._local, "db", None)
        if db is None:
            db = connect(self.path)
            self._local.db = db
            with self._lock:
                self._all.append(db)
        return db

    @contextlib.contextmanager
    def write(self) -> Iterator[sqlite_utils.Database]:
        """A short ``BEGIN IMMEDIATE`` transaction; commits on success, rolls back on error."""
        db = self.db
        if db.conn.in_transaction:  # nested: join the outer transaction
            yield db
            return
        self._begin_immediate(db)
        try:
            yield db
            db.conn.execute("COMMIT")
        except BaseException as exc:
            if db.conn.in_transaction:
                db.conn.execute("ROLLBACK")
            if isinstance(exc, sqlite3.OperationalError) and ("full" in str(exc) or "readonly" in str(exc)):
                raise StoreError(f"cannot write the store {self.path}: {exc}") from exc
            if is_damage(exc):
                raise damaged_store(self.path, exc) from exc
            raise

    def _begin_immediate(self, db: sqlite_utils.Database) -> None:
        # sqlite's busy handler already waits BUSY_TIMEOUT_S; this loop only covers the rare
        # immediate SQLITE_BUSY returned while a WAL checkpoint or recovery is in progress.
        deadline = time.monotonic() + BUSY_TIMEOUT_S
        while True:
            try:
                db.conn.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.DatabaseError as exc:
                if is_damage(exc):
                    raise damaged_store(self.path, exc) from exc
                if "locked" not in str(exc) and "busy" not in str(exc):
                    raise
                if time.monotonic() > deadline:
                    raise StoreError(f"the store is busy: {exc}") from exc
                time.sleep(0.01)

    def query(self, sql: str, params: tuple | dict = ()) -> list[dict]:
        try:
            return [dict(row) for row in self.db.query(sql, params)]
        except sqlite3.DatabaseError as exc:
            if is_damage(exc):
                raise damaged_store(self.path, exc) from exc
            raise

    def integrity_check(self) -> str:
        return self.db.execute("PRAGMA integrity_check").fetchone()[0]

    def close(self) -> None:
        with self._lock:
            for db in self._all:
                with contextlib.suppress(sqlite3.Error):
                    db.close()
            self._all.clear()
        self._local = threading.local()
