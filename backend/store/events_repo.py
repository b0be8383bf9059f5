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

    def metrics(self, job_id: str, name: str | None = None, after_id: int = 0, limit: int = 100_000) -> list[dict]:
        sql = "SELECT id, step, name, value, ts FROM metrics WHERE job_id = ? AND id > ?"
        params: tuple = (job_id, after_id)
        if name:
            sql += " AND name = ?"
            params += (name,)
        return self.store.query(sql + " ORDER BY id LIMIT ?", (*params, limit))

    def series(self, job_id: str, name: str, max_points: int = 2000) -> list[dict]:
        """One metric's ``(step, value)`` points for a chart, thinned to about ``max_points`` (steps that are
        multiples of a stride, plus the last point) so long runs stay fast to draw. Uses the
        ``(job_id, name, step)`` index: only the kept rows are read from the table."""
        key = (job_id, name)
        bounds = self.store.query(
            "SELECT min(step) AS lo, max(step) AS hi FROM metrics WHERE job_id = ? AND name = ?", key
        )[0]
        if bounds["lo"] is None:
            return []
        stride = max(1, -(-(bounds["hi"] - bounds["lo"] + 1) // max(1, max_points)))
        if stride == 1:
            return self.store.query(
                "SELECT step, value FROM metrics WHERE job_id = ? AND name = ? ORDER BY step, id", key
            )
        return self.store.query(
            "SELECT step, value FROM metrics WHERE job_id = ? AND name = ? AND ((step - ?) % ? = 0 OR step = ?)"
            " ORDER BY step, id",
            (*key, bounds["lo"], stride, bounds["hi"]),
        )

    def metric_names(self, job_id: str) -> list[str]:
        """Distinct metric names of a job: an index skip-scan, O(names * log rows), not a scan of all rows."""
        rows = self.store.query(
            "WITH RECURSIVE names(n) AS ("
            " SELECT min(name) FROM metrics WHERE job_id = :job"
            " UNION ALL SELECT (SELECT min(name) FROM metrics WHERE job_id = :job AND name > n) FROM names"
            " WHERE n IS NOT NULL) SELECT n FROM names WHERE n IS NOT NULL",
            {"job": job_id},
        )
        return [r["n"] for r in rows]

    def latest_metrics(self, job_id: str) -> dict[str, dict]:
        """The value at the highest step of each metric (for a live summary); index lookups only."""
        out = {}
        for name in self.metric_names(job_id):
            row = self.store.query(
                "SELECT step, value FROM metrics WHERE job_id = ? AND name = ? ORDER BY step DESC, id DESC LIMIT 1",
                (job_id, name),
            )
            if row:
                out[name] = row[0]
        return out
