"""Settings: precedence of flag, environment and defaults; clear errors for unusable directories."""

from __future__ import annotations

from pathlib import Path

import pytest

from past.errors import ConfigError
from past.settings import DATA_DIR_ENV, Settings


def test_env_overrides_default(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(DATA_DIR_ENV, str(tmp_path / "from-env"))
    settings = Settings.load()
    assert settings.data_dir == (tmp_path / "from-env").resolve()
    assert settings.db_path.parent == settings.data_dir
    assert settings.skills_dir == settings.data_dir / "skills"


def test_flag_beats_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(DATA_DIR_ENV, str(tmp_path / "from-env"))
    assert Settings.load(tmp_path / "from-flag").data_dir == (tmp_path / "from-flag").resolve()


def test_default_follows_xdg(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv(DATA_DIR_ENV, raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert Settings.load().data_dir == (tmp_path / "past-studio").resolve()


def test_ensure_creates_tree(tmp_path: Path) -> None:
    settings = Settings.load(tmp_path / "data").ensure()
    for path in (settings.models_dir, settings.skills_dir, settings.uploads_dir, settings.artifacts_dir):
        assert path.is_dir()


def test_data_dir_blocked_by_a_file(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(ConfigError, match="cannot create the data directory"):
        Settings.load(blocker / "data").ensure()
