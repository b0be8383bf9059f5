"""The experiment store: migrations, WAL, newer-schema refusal, repositories."""

from __future__ import annotations

import sqlite3

import pytest

from backend.store import (
    SCHEMA_VERSION,
    CatalogRepository,
    ChatRepository,
    ExperimentRepository,
    SchemaTooNewError,
    Store,
)

TABLES = {
    "documents",
    "datasets",
    "models",
    "skills",
    "experiments",
    "jobs",
    "job_deps",
    "job_events",
    "metrics",
    "chat_sessions",
    "chat_messages",
    "ab_votes",
    "schema_version",
}


def test_migrates_a_new_store_in_wal_mode(tmp_path):
    store = Store(tmp_path / "s.sqlite")
    assert set(store.db.table_names()) >= TABLES
    assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.query("SELECT max(version) AS v FROM schema_version")[0]["v"] == SCHEMA_VERSION
    store.close()
    again = Store(tmp_path / "s.sqlite")  # reopening applies nothing twice
    assert [r["version"] for r in again.query("SELECT version FROM schema_version")] == list(
        range(1, SCHEMA_VERSION + 1)
    )
    assert again.integrity_check() == "ok"


def test_newer_schema_is_refused_and_left_untouched(tmp_path):
    path = tmp_path / "s.sqlite"
    store = Store(path)
    CatalogRepository(store, "skills").add("kept skill")
    with store.write() as db:
        db["schema_version"].insert({"version": SCHEMA_VERSION + 5, "applied_at": 0.0})
    store.close()
    with pytest.raises(SchemaTooNewError, match=f"schema version {SCHEMA_VERSION + 5}.*never downgraded"):
        Store(path)
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT max(version) FROM schema_version").fetchone()[0] == SCHEMA_VERSION + 5
    assert conn.execute("SELECT name FROM skills").fetchall() == [("kept skill",)]


def test_catalog_experiment_and_chat_repositories_round_trip(tmp_path):
    store = Store(tmp_path / "s.sqlite")
    models = CatalogRepository(store, "models")
    entry = models.add("adapted-1", kind="adapted", path="/x", meta={"lambda": 0.5}, job_id="j1")
    assert models.get(entry["id"])["meta"] == {"lambda": 0.5}
    assert [m["name"] for m in models.list(kind="adapted")] == ["adapted-1"]
    with pytest.raises(ValueError):
        CatalogRepository(store, "jobs")
    exp = ExperimentRepository(store).create("squad run", meta={"k": 3})
    assert ExperimentRepository(store).get(exp["id"])["meta"] == {"k": 3}
    chat = ChatRepository(store)
    sid = chat.create_session("t", "default")
    chat.add_message(sid, "user", "hi")
    chat.add_message(sid, "assistant", "hello")
    assert [m["role"] for m in chat.messages(sid)] == ["user", "assistant"]
    chat.add_vote(prompt="q", model_a="a", model_b="b", answer_a="x", answer_b="y", winner="a", session_id=sid)
    with pytest.raises(ValueError):
        chat.add_vote(prompt="q", model_a="a", model_b="b", answer_a="x", answer_b="y", winner="c")
    assert len(chat.votes()) == 1


def test_failed_write_transaction_rolls_back(tmp_path):
    store = Store(tmp_path / "s.sqlite")
    with pytest.raises(RuntimeError), store.write() as db:
        db["skills"].insert({"id": "s1", "name": "x", "created_at": 1.0})
        raise RuntimeError("boom")
    assert store.query("SELECT count(*) AS n FROM skills")[0]["n"] == 0


def test_metric_reads_latest_names_and_thinned_series(tmp_path):
    from backend.store import EventRepository

    store = Store(tmp_path / "s.sqlite")
    with store.write() as db:
        db.execute("INSERT INTO jobs (id, kind, state, created_at) VALUES ('j', 'k', 'running', 0)")
    events = EventRepository(store)
    events.add_metrics(
        "j", [(s, name, float(s * (2 if name == "b" else 1)), 0.0) for s in range(1000) for name in "ab"]
    )
    events.add_metrics("j", [(1000, "loss", 0.5, 0.0)])
    assert events.metric_names("j") == ["a", "b", "loss"]
    assert events.latest_metrics("j") == {
        "a": {"step": 999, "value": 999.0},
        "b": {"step": 999, "value": 1998.0},
        "loss": {"step": 1000, "value": 0.5},
    }
    series = events.series("j", "b", max_points=100)
    assert 100 <= len(series) <= 101 and series[0] == {"step": 0, "value": 0.0}
    assert series[-1] == {"step": 999, "value": 1998.0}  # the last point is always kept
    assert [p["step"] for p in series] == sorted(p["step"] for p in series)
    assert len(events.series("j", "a", max_points=5000)) == 1000 and events.series("j", "zzz") == []


def test_a_new_migration_applies_once_on_an_existing_store(tmp_path, monkeypatch):
    from backend.store import migrations

    Store(tmp_path / "s.sqlite").close()

    def add_notes(db):
        db["experiments"].add_column("notes", str)

    monkeypatch.setattr(migrations, "MIGRATIONS", [*migrations.MIGRATIONS, add_notes])
    monkeypatch.setattr(migrations, "SCHEMA_VERSION", len(migrations.MIGRATIONS))
    upgraded = Store(tmp_path / "s.sqlite")
    assert "notes" in upgraded.db["experiments"].columns_dict
    assert upgraded.query("SELECT max(version) AS v FROM schema_version")[0]["v"] == SCHEMA_VERSION + 1
    Store(tmp_path / "s.sqlite")  # reopening does not apply it again (add_column would fail)
