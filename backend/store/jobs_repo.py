"""Job rows and their dependency edges: insert, read, and compare-and-set state transitions."""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from backend.store.connection import Store
from backend.store.errors import NotFoundError

QUEUED, RUNNING, SUCCEEDED, FAILED, CANCELLED, INTERRUPTED = (
    "queued",
    "running",
    "succeeded",
    "failed",
    "cancelled",
    "interrupted",
)
TERMINAL = frozenset({SUCCEEDED, FAILED, CANCELLED, INTERRUPTED})
STATES = (QUEUED, RUNNING, SUCCEEDED, FAILED, CANCELLED, INTERRUPTED)


@dataclass
class JobRecord:
    """One job as stored."""

    id: str
    kind: str
    state: str
    params: dict[str, Any]
    inputs: dict[str, str]
    resources: list[str]
    executor: str
    priority: int
    created_at: float
    name: str | None = None
    timeout_s: float | None = None
    experiment_id: str | None = None
    attempt: int = 1
    resume: bool = False
    claimed_at: float | None = None
    started_at: float | None = None
    finished_at: float | None = None
    progress: float = 0.0
    message: str = ""
    error: str | None = None
    result: dict[str, Any] | None = None
    runner_id: str | None = None
    pid: int | None = None
    pid_started: float | None = None
    external_id: str | None = None
    exit_code: int | None = None
    stop_reason: str | None = None
    stop_requested_at: float | None = None
    executor_options: dict[str, Any] = field(default_factory=dict)
    depends_on: list[str] = field(default_factory=list)

    @property
    def terminal(self) -> bool:
        return self.state in TERMINAL

    @classmethod
    def from_row(cls, row: dict[str, Any], depends_on: list[str]) -> JobRecord:
        data = {k: row.get(k) for k in cls.__dataclass_fields__ if k != "depends_on"}
        data["params"] = json.loads(row["params"] or "{}")
        data["inputs"] = json.loads(row["inputs"] or "{}")
        data["resources"] = json.loads(row["resources"] or "[]")
        data["executor_options"] = json.loads(row.get("executor_options") or "{}")
        data["result"] = json.loads(row["result"]) if row.get("result") else None
        data["resume"] = bool(row.get("resume"))
        data["message"] = row.get("message") or ""
        data["progress"] = row.get("progress") or 0.0
        return cls(**data, depends_on=depends_on)


def new_id() -> str:
    return uuid.uuid4().hex[:12]


class JobRepository:
    def __init__(self, store: Store) -> None:
        self.store = store

    def insert(
        self,
        *,
        kind: str,
        params: dict[str, Any],
        inputs: dict[str, str],
        depends_on: list[str],
        resources: list[str],
        executor: str,
        executor_options: dict[str, Any] | None = None,
        priority: int = 0,
        timeout_s: float | None = None,
        experiment_id: str | None = None,
        name: str | None = None,
        client_token: str | None = None,
    ) -> JobRecord:
        """Insert a queued job and its edges in one transaction (idempotent on ``client_token``)."""
        job_id = new_id()
        with self.store.write() as db:
            if client_token:
                existing = db.execute("SELECT id FROM jobs WHERE client_token = ?", [client_token]).fetchone()
                if existing:
                    return self.get(existing[0])
            missing = [d for d in depends_on if not db.execute("SELECT 1 FROM jobs WHERE id = ?", [d]).fetchone()]
            if missing:
                raise NotFoundError(f"no job with id {', '.join(missing)}")
            seq = db.execute("SELECT coalesce(max(seq), 0) + 1 FROM jobs").fetchone()[0]
            db["jobs"].insert(
                {
                    "id": job_id,
                    "seq": seq,
                    "kind": kind,
                    "name": name,
                    "state": QUEUED,
                    "params": json.dumps(params),
                    "inputs": json.dumps(inputs),
                    "resources": json.dumps(resources),
                    "executor": executor,
                    "executor_options": json.dumps(executor_options or {}),
                    "priority": priority,
                    "timeout_s": timeout_s,
                    "experiment_id": experiment_id,
                    "attempt": 1,
                    "resume": 0,
                    "created_at": time.time(),
                    "progress": 0.0,
                    "message": "queued",
                    "client_token": client_token,
                }
            )
            for dep in dict.fromkeys(depends_on):
                db["job_deps"].insert({"job_id": job_id, "depends_on": dep})
        return self.get(job_id)

    def get(self, job_id: str) -> JobRecord:
        rows = self.store.query("SELECT * FROM jobs WHERE id = ?", (job_id,))
        if not rows:
            raise NotFoundError(f"no job with id {job_id}")
        deps = [
            r["depends_on"] for r in self.store.query("SELECT depends_on FROM job_deps WHERE job_id = ?", (job_id,))
        ]
        return JobRecord.from_row(rows[0], deps)

    def list(
        self,
        *,
        states: tuple[str, ...] | None = None,
        kind: str | None = None,
        experiment_id: str | None = None,
        limit: int = 200,
    ) -> list[JobRecord]:
        where, params = ["1 = 1"], []
        if states:
            where.append(f"state IN ({', '.join('?' * len(states))})")
            params.extend(states)
        if kind:
            where.append("kind = ?")
            params.append(kind)
        if experiment_id:
            where.append("experiment_id = ?")
            params.append(experiment_id)
        rows = self.store.query(
            f"SELECT * FROM jobs WHERE {' AND '.join(where)} ORDER BY seq DESC LIMIT ?", (*params, limit)
        )
        ids = [r["id"] for r in rows]
        deps: dict[str, list[str]] = {i: [] for i in ids}
        if ids:
            for r in self.store.query(
                f"SELECT job_id, depends_on FROM job_deps WHERE job_id IN ({', '.join('?' * len(ids))})", tuple(ids)
            ):
                deps[r["job_id"]].append(r["depends_on"])
        return [JobRecord.from_row(r, deps[r["id"]]) for r in rows]

    def dependents(self, job_id: str) -> list[str]:
        return [r["job_id"] for r in self.store.query("SELECT job_id FROM job_deps WHERE depends_on = ?", (job_id,))]

    def update(self, job_id: str, *, expect: tuple[str, ...] | None = None, **values: Any) -> bool:
        """Set columns; with ``expect``, only while the job is in one of those states. True if it changed."""
        for key in ("params", "inputs", "resources", "result", "executor_options"):
            if key in values and not isinstance(values[key], str) and values[key] is not None:
                values[key] = json.dumps(values[key])
        sets = ", ".join(f"{k} = ?" for k in values)
        sql, params = f"UPDATE jobs SET {sets} WHERE id = ?", [*values.values(), job_id]
        if expect:
            sql += f" AND state IN ({', '.join('?' * len(expect))})"
            params.extend(expect)
        with self.store.write() as db:
            return db.execute(sql, params).rowcount == 1

    def delete(self, job_ids: list[str]) -> None:
        if not job_ids:
            return
        marks = ", ".join("?" * len(job_ids))
        with self.store.write() as db:
            db.execute(f"DELETE FROM metrics WHERE job_id IN ({marks})", job_ids)
            db.execute(f"DELETE FROM job_events WHERE job_id IN ({marks})", job_ids)
            db.execute(f"DELETE FROM job_deps WHERE job_id IN ({marks})", job_ids)
            db.execute(f"DELETE FROM jobs WHERE id IN ({marks})", job_ids)
