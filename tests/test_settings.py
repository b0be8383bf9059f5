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


@pytest.mark.parametrize("root", ["/", "/etc", "/usr", "/home", "/tmp", "/proc", "/sys/kernel", "/dev/shm/past"])
def test_a_system_folder_is_never_the_data_directory(root: str) -> None:
    with pytest.raises(ConfigError, match=r"the data directory .*(cannot be the system folder|a system file system)"):
        Settings.load(root)


def test_the_home_folder_itself_is_never_the_data_directory(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "me"))
    with pytest.raises(ConfigError, match=r"cannot be the home folder .*/me: PaST keeps its database"):
        Settings.load(tmp_path / "me")
    assert Settings.load(tmp_path / "me" / "past").data_dir == (tmp_path / "me" / "past").resolve()
