"""A truncated, page-corrupted or overwritten ``studio.sqlite``: every command that opens the store says it is
damaged and what to do (move it aside or restore it), with no traceback, and never rewrites the damaged file."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pytest

from backend.jobs import JobService
from past.cli.main import main as past_main
from past.settings import DATA_DIR_ENV, Settings

DAMAGES = ("truncated", "pages", "header")
COMMANDS = (("job", "list"), ("docs", "list"), ("job", "submit", "selftest.count"), ("audit",))


def _damage(path: Path, how: str) -> None:
    data = bytearray(path.read_bytes())
    page = int.from_bytes(data[16:18], "big") or 65536
    assert len(data) >= 4 * page, "the store should span several pages"
    if how == "truncated":
        data = data[: len(data) // 3]
    elif how == "pages":  # every page after the first starts with bytes that are no b-tree page header
        for start in range(page, len(data), page):
            data[start : start + 64] = b"\xa5" * 64
    else:
        data[:16] = b"not a database!!"
    path.write_bytes(bytes(data))


def damaged_store(root: Path, how: str) -> Settings:
    """A data directory whose store holds a few jobs, then is damaged as ``how`` says."""
    settings = Settings.load(root / "data").ensure()
    service = JobService(settings)
    for _ in range(3):
        service.submit("selftest.count", {"n": 1})
    service.store.close()
    with sqlite3.connect(settings.db_path) as conn:  # everything into the main file, no WAL left beside it
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.execute("PRAGMA journal_mode = DELETE")
    _damage(settings.db_path, how)
    return settings


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("how", DAMAGES)
@pytest.mark.parametrize("argv", COMMANDS, ids=["-".join(c) for c in COMMANDS])
def test_a_damaged_store_gets_a_message_that_says_what_to_do(
    how: str,
    argv: tuple[str, ...],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    settings = damaged_store(tmp_path, how)
    before = _digest(settings.db_path)
    monkeypatch.setenv(DATA_DIR_ENV, str(settings.data_dir))
    code = past_main(list(argv))
    out, err = capsys.readouterr()
    assert code == 2, err
    assert f"error: the store {settings.db_path} is damaged" in err
    assert f"mv {settings.db_path} {settings.db_path}.damaged" in err and "restore" in err
    assert "Traceback" not in out + err
    assert _digest(settings.db_path) == before, "the damaged file must be left as it was, for recovery"


def test_the_studio_does_not_start_on_a_damaged_store(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from studio.launcher import main as launch

    settings = damaged_store(tmp_path, "pages")
    assert launch(["--data-dir", str(settings.data_dir), "--port", "7999"]) == 2
    err = capsys.readouterr().err
    assert "is damaged" in err and ".damaged" in err and "Traceback" not in err


def test_moving_the_damaged_store_aside_starts_afresh(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = damaged_store(tmp_path, "truncated")
    settings.db_path.rename(settings.db_path.with_name("studio.sqlite.damaged"))
    monkeypatch.setenv(DATA_DIR_ENV, str(settings.data_dir))
    assert past_main(["job", "list"]) == 0
    assert "Traceback" not in capsys.readouterr().err
