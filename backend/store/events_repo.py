"""Job log events and metrics: batched appends from workers, incremental reads for the UI and CLI."""

from __future__ import annotations

import time
from collections.abc import Iterable

from backend.store.connection import Store


class EventRepository:
    def __init__(self, store: Store) -> None:
        self.store = store

    def add_logs(self, job_id: str, lines: Iterable[tuple[float, str, str]]) -> None:
        """Append ``(ts, level, message)`` rows in one short transaction."""
        rows = [(job_id, ts, level, message) for ts, level, message in lines]
        if rows:
            with self.store.write() as db:
                db.conn.executemany("INSERT INTO job_events (job_id, ts, level, message) VALUES (?, ?, ?, ?)", rows)

    def log(self, job_id: str, message: str, level: str = "info") -> None:
        self.add_logs(job_id, [(time.time(), level, message)])

    def add_metrics(self, job_id: str, rows: Iterable[tuple[int, str, float, float]]) -> None:
        """Append ``(step, name, value, ts)`` rows in one short transaction."""
        data = [(job_id, step, name, value, ts) for step, name, value, ts in rows]
        if data:
            with self.store.write() as db:
                db.conn.executemany("INSERT INTO metrics (job_id, step, name, value, ts) VALUES (?, ?, ?, ?, ?)", data)

    def logs(self, job_id: str, after_id: int = 0, limit: int = 1000) -> list[dict]:
        return self.store.query(
            "SELECT id, ts, level, message FROM job_events WHERE job_id = ? AND id > ? ORDER BY id LIMIT ?",
            (job_id, after_id, limit),
        )

    def tail_logs(self, job_id: str, limit: int = 50) -> list[dict]:
        rows = self.store.query(
            "SELECT id, ts, level, message FROM job_events WHERE job_id = ? ORDER BY id DESC LIMIT ?", (job_id, limit)
        )
        return rows[::-1]

    def metrics(self, job_id: str, name: str | None = None, after_id: int = 0, limit: int = 100_000) -> list[dict]:
        sql = "SELECT id, step, name, value, ts FROM metrics WHERE job_id = ? AND id > ?"
        params: tuple = (job_id, after_id)
        if name:
            sql += " AND name = ?"
            params += (name,)
        return self.store.query(sql + " ORDER BY id LIMIT ?", (*params, limit))

    def metric_names(self, job_id: str) -> list[str]:
        return [r["name"] for r in self.store.query("SELECT DISTINCT name FROM metrics WHERE job_id = ?", (job_id,))]

    def latest_metrics(self, job_id: str) -> dict[str, dict]:
        """The last value of each metric (for a live summary)."""
        rows = self.store.query(
            "SELECT m.name, m.step, m.value FROM metrics m JOIN "
            "(SELECT name, max(id) AS mid FROM metrics WHERE job_id = ? GROUP BY name) last ON m.id = last.mid",
            (job_id,),
        )
        return {r["name"]: {"step": r["step"], "value": r["value"]} for r in rows}
