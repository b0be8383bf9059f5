"""Documents, datasets, models and skills: one index table each, rows pointing at files on disk.

A row's ``job_id`` names the job whose artifact directory holds its files; that reference keeps
the artifacts alive when the job's experiment is deleted.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

from backend.store.connection import Store
from backend.store.errors import NotFoundError

CATALOG_TABLES = ("documents", "datasets", "models", "skills")


class CatalogRepository:
    """Index rows of one catalog table (``documents``, ``datasets``, ``models`` or ``skills``)."""

    def __init__(self, store: Store, table: str) -> None:
        if table not in CATALOG_TABLES:
            raise ValueError(f"unknown catalog table {table!r}")
        self.store, self.table = store, table

    def add(
        self,
        name: str,
        *,
        kind: str = "",
        path: str = "",
        meta: dict[str, Any] | None = None,
        job_id: str | None = None,
        entry_id: str | None = None,
    ) -> dict[str, Any]:
        row = {
            "id": entry_id or uuid.uuid4().hex[:12],
            "name": name,
            "kind": kind,
            "path": path,
            "meta": json.dumps(meta or {}),
            "job_id": job_id,
            "created_at": time.time(),
        }
        with self.store.write() as db:
            db[self.table].insert(row, replace=True)
        return self.get(row["id"])

    def get(self, entry_id: str) -> dict[str, Any]:
        rows = self.store.query(f"SELECT * FROM {self.table} WHERE id = ?", (entry_id,))
        if not rows:
            raise NotFoundError(f"no {self.table[:-1]} with id {entry_id}")
        return _decode(rows[0])

    def list(self, kind: str | None = None) -> list[dict[str, Any]]:
        if kind:
            rows = self.store.query(f"SELECT * FROM {self.table} WHERE kind = ? ORDER BY created_at", (kind,))
        else:
            rows = self.store.query(f"SELECT * FROM {self.table} ORDER BY created_at")
        return [_decode(r) for r in rows]

    def delete(self, entry_id: str) -> None:
        with self.store.write() as db:
            db.execute(f"DELETE FROM {self.table} WHERE id = ?", [entry_id])


def _decode(row: dict[str, Any]) -> dict[str, Any]:
    return {**row, "meta": json.loads(row.get("meta") or "{}")}


def referencing_catalog_rows(store: Store, job_id: str) -> list[str]:
    """``table:id`` of every catalog row whose files live in ``job_id``'s artifacts."""
    found = []
    for table in CATALOG_TABLES:
        found += [f"{table}:{r['id']}" for r in store.query(f"SELECT id FROM {table} WHERE job_id = ?", (job_id,))]
    return found
