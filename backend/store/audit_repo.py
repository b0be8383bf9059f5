"""The audit log: who did what, to what, when (every mutating action of the studio)."""

from __future__ import annotations

import time
from typing import Any

from backend.store.connection import Store

MAX_TEXT = 500  # targets and details are cut to this many characters


class AuditRepository:
    def __init__(self, store: Store) -> None:
        self.store = store

    def record(
        self, *, user: str | None, role: str, action: str, target: str = "", outcome: str = "ok", detail: str = ""
    ) -> int:
        with self.store.write() as db:
            cur = db.execute(
                "INSERT INTO audit_log (ts, user, role, action, target, outcome, detail) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [time.time(), user or "", role, action, target[:MAX_TEXT], outcome, detail[:MAX_TEXT]],
            )
            return int(cur.lastrowid)

    def list(
        self, *, user: str | None = None, action: str | None = None, limit: int = 100, since: float | None = None
    ) -> list[dict[str, Any]]:
        """Newest first, optionally of one user / one action / since a time."""
        where, args = [], []
        for column, value in (("user", user), ("action", action)):
            if value:
                where.append(f"{column} = ?")
                args.append(value)
        if since is not None:
            where.append("ts >= ?")
            args.append(since)
        clause = f" WHERE {' AND '.join(where)}" if where else ""
        return self.store.query(f"SELECT * FROM audit_log{clause} ORDER BY id DESC LIMIT ?", (*args, int(limit)))
