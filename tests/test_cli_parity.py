"""``past docs``, ``past ab`` and ``past audit`` through real subprocesses over a fresh data directory."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from backend.chat_sessions import ABConversations, Side
from backend.store import AuditRepository, ChatRepository, Store
from past.settings import DATA_DIR_ENV, Settings
from tests.conftest import ROOT

DOCS = ROOT / "assets" / "documents"


def past(data: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, DATA_DIR_ENV: str(data)}
    return subprocess.run(
        [sys.executable, "-m", "backend.cli", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )


@pytest.mark.slow
def test_docs_add_list_rm(tmp_path: Path) -> None:
    data = tmp_path / "data"
    added = past(
        data,
        "docs",
        "add",
        str(DOCS / "isle-of-vessary.md"),
        str(DOCS / "isle-of-vessary.qa.json"),
        "-c",
        "isle",
        "--json",
    )
    assert added.returncode == 0, added.stderr
    files = json.loads(added.stdout.split("\n2 of 2")[0])["files"]
    assert [f["ok"] for f in files] == [True, True] and files[1]["questions"] > 0

    listed = json.loads(past(data, "docs", "list", "--json").stdout)
    assert {(r["kind"], r["collection"], r["file"]) for r in listed} == {
        ("document", "isle", "isle-of-vessary.md"),
        ("questions", "isle", "isle-of-vessary.qa.json"),
    }
    bad = past(data, "docs", "add", str(tmp_path / "missing.md"), "-c", "isle")
    assert bad.returncode == 2 and "error: not a file" in bad.stderr and "Traceback" not in bad.stderr

    unknown = past(data, "docs", "rm", "nope")
    assert unknown.returncode == 2 and "nope" in unknown.stderr
    doc_id = next(r["id"] for r in listed if r["kind"] == "document")
    assert past(data, "docs", "rm", doc_id).returncode == 0
    assert "isle: 0 document(s), 1 question file(s)" in past(data, "docs", "list").stdout
    removed = past(data, "docs", "rm", "--collection", "isle", "--yes")
    assert removed.returncode == 0 and "deleted 1 item(s)" in removed.stdout
    assert json.loads(past(data, "docs", "list", "--json").stdout) == []


@pytest.mark.slow
def test_ab_export_tally_and_audit(tmp_path: Path) -> None:
    settings = Settings.load(tmp_path / "data").ensure()
    store = Store(settings.db_path)
    conversations = ABConversations(ChatRepository(store))
    sides = {"a": Side("default", ""), "b": Side("default", "/adapters/x")}
    for choice in ("left", "right", "tie"):
        session = conversations.start(sides, blind=True, seed=1)
        conversations.add_turn(session.id, "Where is Vessary?", {"a": "north", "b": "south"}, sides)
        conversations.vote(session, choice)
    AuditRepository(store).record(user="vi", role="viewer", action="delete_skill", target="s", outcome="refused")

    sessions = past(settings.data_dir, "ab", "export")
    assert sessions.returncode == 0, sessions.stderr
    lines = [json.loads(line) for line in sessions.stdout.splitlines()]
    assert len(lines) == 3 and all(len(s["votes"]) == 1 and s["messages"] for s in lines)

    out = tmp_path / "votes.csv"
    assert past(settings.data_dir, "ab", "export", "--what", "votes", "--format", "csv", "-o", str(out)).returncode == 0
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert sorted(r["winner"] for r in rows) == sorted(v["winner"] for v in ChatRepository(store).votes())
    assert len(rows) == 3

    tally = json.loads(past(settings.data_dir, "ab", "tally", "--json").stdout)
    assert len(tally) == 1 and tally[0]["votes"] == 3 and tally[0]["ties"] == 1
    assert tally[0]["a_better"] + tally[0]["b_better"] == 2
    bad = past(settings.data_dir, "ab", "export", "--format", "csv")
    assert bad.returncode == 2 and "JSONL" in bad.stderr

    audit = past(settings.data_dir, "audit", "--json")
    assert [(r["user"], r["action"], r["outcome"]) for r in json.loads(audit.stdout)] == [
        ("vi", "delete_skill", "refused")
    ]
    assert "empty" in past(settings.data_dir, "audit", "--user", "nobody").stdout
