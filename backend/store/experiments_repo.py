"""Experiments: named groups of jobs (one PaST run) that the studio lists and deletes as a whole."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

from backend.store.connection import Store
from backend.store.errors import NotFoundError


class ExperimentRepository:
    def __init__(self, store: Store) -> None:
        self.store = store

    def create(self, name: str, description: str = "", meta: dict[str, Any] | None = None) -> dict[str, Any]:
        row = {
            "id": uuid.uuid4().hex[:12],
            "name": name,
            "description": description,
            "meta": json.dumps(meta or {}),
            "created_at": time.time(),
        }
        with self.store.write() as db:
            db["experiments"].insert(row)
        return self.get(row["id"])

    def get(self, experiment_id: str) -> dict[str, Any]:
        rows = self.store.query("SELECT * FROM experiments WHERE id = ?", (experiment_id,))
        if not rows:
            raise NotFoundError(f"no experiment with id {experiment_id}")
        return {**rows[0], "meta": json.loads(rows[0]["meta"] or "{}")}

    def list(self) -> list[dict[str, Any]]:
        rows = self.store.query("SELECT * FROM experiments ORDER BY created_at DESC")
        return [{**r, "meta": json.loads(r["meta"] or "{}")} for r in rows]

    def job_ids(self, experiment_id: str) -> list[str]:
        return [r["id"] for r in self.store.query("SELECT id FROM jobs WHERE experiment_id = ?", (experiment_id,))]

    def delete_row(self, experiment_id: str) -> None:
        with self.store.write() as db:
            db.execute("UPDATE jobs SET experiment_id = NULL WHERE experiment_id = ?", [experiment_id])
            db.execute("DELETE FROM experiments WHERE id = ?", [experiment_id])
