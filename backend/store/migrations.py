"""Versioned schema migrations: a list of functions, applied in order, never downgraded.

``MIGRATIONS[i]`` brings the schema from version ``i`` to ``i + 1``. To change the schema, append a
function; never edit one that has shipped. Opening a database whose version is higher than
``len(MIGRATIONS)`` raises :class:`SchemaTooNewError`.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import sqlite_utils

from backend.store.errors import SchemaTooNewError


def _v1_initial(db: sqlite_utils.Database) -> None:
    catalog = {
        "id": str,
        "name": str,
        "kind": str,
        "path": str,
        "meta": str,
        "job_id": str,  # the job whose artifacts hold this entry (None when imported)
        "created_at": float,
    }
    for table in ("documents", "datasets", "models", "skills"):
        db[table].create(catalog, pk="id", not_null={"name", "created_at"})
        db[table].create_index(["job_id"])
    db["experiments"].create(
        {"id": str, "name": str, "description": str, "meta": str, "created_at": float},
        pk="id",
        not_null={"name", "created_at"},
    )
    db["jobs"].create(
        {
            "id": str,
            "seq": int,
            "kind": str,
            "name": str,
            "state": str,
            "params": str,
            "inputs": str,
            "resources": str,
            "executor": str,
            "executor_options": str,
            "priority": int,
            "timeout_s": float,
            "experiment_id": str,
            "attempt": int,
            "resume": int,
            "created_at": float,
            "claimed_at": float,
            "started_at": float,
            "finished_at": float,
            "progress": float,
            "message": str,
            "error": str,
            "result": str,
            "runner_id": str,
            "pid": int,
            "pid_started": float,
            "external_id": str,
            "exit_code": int,
            "stop_reason": str,
            "stop_requested_at": float,
            "client_token": str,
        },
        pk="id",
        not_null={"kind", "state", "created_at"},
        defaults={"priority": 0, "attempt": 1, "resume": 0, "progress": 0.0, "message": ""},
        foreign_keys=[("experiment_id", "experiments", "id")],
    )
    db["jobs"].create_index(["state", "priority"])
    db["jobs"].create_index(["experiment_id"])
    db["jobs"].create_index(["client_token"], unique=True)
    db["job_deps"].create(
        {"job_id": str, "depends_on": str},
        pk=("job_id", "depends_on"),
        foreign_keys=[("job_id", "jobs", "id"), ("depends_on", "jobs", "id")],
    )
    db["job_deps"].create_index(["depends_on"])
    db["job_events"].create(
        {"id": int, "job_id": str, "ts": float, "level": str, "message": str},
        pk="id",
        foreign_keys=[("job_id", "jobs", "id")],
    )
    db["job_events"].create_index(["job_id", "id"])
    db["metrics"].create(
        {"id": int, "job_id": str, "step": int, "name": str, "value": float, "ts": float},
        pk="id",
        foreign_keys=[("job_id", "jobs", "id")],
    )
    db["metrics"].create_index(["job_id", "name", "step"])
    db["chat_sessions"].create({"id": str, "title": str, "model_ref": str, "meta": str, "created_at": float}, pk="id")
    db["chat_messages"].create(
        {"id": int, "session_id": str, "role": str, "content": str, "model_ref": str, "created_at": float},
        pk="id",
        foreign_keys=[("session_id", "chat_sessions", "id")],
    )
    db["chat_messages"].create_index(["session_id", "id"])
    db["ab_votes"].create(
        {
            "id": int,
            "session_id": str,
            "prompt": str,
            "model_a": str,
            "model_b": str,
            "answer_a": str,
            "answer_b": str,
            "winner": str,
            "created_at": float,
        },
        pk="id",
    )
    db["runner_lease"].create(
        {"id": int, "runner_id": str, "pid": int, "hostname": str, "started_at": float, "heartbeat_at": float},
        pk="id",
    )


def _v2_selections(db: sqlite_utils.Database) -> None:
    # What a user picked in the studio (A/B sides, wizard choices), so a reloaded page shows it again.
    db["selections"].create({"key": str, "value": str, "updated_at": float}, pk="key", not_null={"updated_at"})


def _v3_audit_log(db: sqlite_utils.Database) -> None:
    # Who did what in the studio (uploads, jobs, deletions, votes, refused requests): `past audit` lists it.
    db["audit_log"].create(
        {"id": int, "ts": float, "user": str, "role": str, "action": str, "target": str, "outcome": str, "detail": str},
        pk="id",
        not_null={"ts", "action"},
    )
    db["audit_log"].create_index(["user", "id"])


MIGRATIONS: list[Callable[[sqlite_utils.Database], None]] = [_v1_initial, _v2_selections, _v3_audit_log]
SCHEMA_VERSION = len(MIGRATIONS)


def current_version(db: sqlite_utils.Database) -> int:
    if "schema_version" not in db.table_names():
        return 0
    row = db.execute("SELECT max(version) FROM schema_version").fetchone()
    return int(row[0] or 0)


def migrate(db: sqlite_utils.Database) -> int:
    """Bring ``db`` (inside the caller's write transaction) up to :data:`SCHEMA_VERSION`."""
    if "schema_version" not in db.table_names():
        db["schema_version"].create({"version": int, "applied_at": float}, pk="version")
    version = current_version(db)
    if version > SCHEMA_VERSION:
        raise SchemaTooNewError(
            f"this data directory's store has schema version {version}, but this PaST Studio only knows "
            f"up to {SCHEMA_VERSION}. Upgrade PaST Studio; the store is never downgraded."
        )
    for index in range(version, SCHEMA_VERSION):
        MIGRATIONS[index](db)
        db["schema_version"].insert({"version": index + 1, "applied_at": time.time()})
    return SCHEMA_VERSION
