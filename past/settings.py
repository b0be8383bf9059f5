"""Where PaST Studio keeps its data: one place, overridable by environment variables and CLI flags.

The data directory holds the SQLite store, the skill library, the model store and uploads. The
precedence is: explicit argument (CLI flag) > ``PAST_DATA_DIR`` > ``$XDG_DATA_HOME/past-studio`` >
``~/.local/share/past-studio``. Nothing is ever written into the source tree at run time.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import overload

from past.errors import ConfigError

DATA_DIR_ENV = "PAST_DATA_DIR"
DEFAULT_MODEL_ENV = "PAST_DEFAULT_MODEL"
BUNDLED_MODEL_NAME = "smollm2-135m-instruct"
# Pseudo file systems: nothing written under them is a file (no data directory, no output there).
PSEUDO_FILESYSTEMS = (Path("/proc"), Path("/sys"), Path("/dev"))
# Folders of the system itself: PaST keeps its database, models and uploads in a folder of its own, never one of
# these (a data directory of "/" would also make every output path "inside the data directory").
SYSTEM_FOLDERS = (
    Path("/"),
    *(Path("/" + name) for name in ("bin", "boot", "etc", "home", "lib", "lib64", "opt", "root", "run", "sbin")),
    *(Path("/" + name) for name in ("srv", "tmp", "usr", "var", "Users", "System", "Library")),
)

_CHOOSE = f"choose a new or empty folder with --data-dir or {DATA_DIR_ENV} (the default is ~/.local/share/past-studio)"


def _default_data_dir() -> Path:
    xdg = os.environ.get("XDG_DATA_HOME")
    base = Path(xdg) if xdg else Path.home() / ".local" / "share"
    return base / "past-studio"


def check_data_dir(path: Path) -> Path:
    """``path`` (resolved) if it may be the data directory: never a system folder or the home folder itself."""
    for root in PSEUDO_FILESYSTEMS:
        if path.is_relative_to(root):
            raise ConfigError(f"the data directory {path} is inside {root}, a system file system; {_CHOOSE}")
    try:
        home = Path.home().resolve()
    except (KeyError, RuntimeError):  # no HOME and no password entry
        home = None
    if path in SYSTEM_FOLDERS or path == home:
        what = f"the system folder {path}" if path in SYSTEM_FOLDERS else f"the home folder {path}"
        raise ConfigError(
            f"the data directory cannot be {what}: PaST keeps its database, models and uploads in a folder of "
            f"its own; {_CHOOSE}"
        )
    return path


class InDataDir:
    """A place in the data directory, read as an attribute of :class:`Settings` (``settings.models_dir``)."""

    def __init__(self, *parts: str) -> None:
        self.parts = parts

    @overload
    def __get__(self, settings: None, owner: type) -> InDataDir: ...
    @overload
    def __get__(self, settings: Settings, owner: type) -> Path: ...
    def __get__(self, settings: Settings | None, owner: type) -> Path | InDataDir:
        return self if settings is None else settings.data_dir.joinpath(*self.parts)


@dataclass(frozen=True)
class Settings:
    """Resolved locations and defaults for one studio or CLI process."""

    data_dir: Path
    default_model: str = BUNDLED_MODEL_NAME

    @classmethod
    def load(cls, data_dir: str | os.PathLike[str] | None = None) -> Settings:
        """Resolve settings from an explicit value, then the environment, then the defaults."""
        raw = data_dir if data_dir is not None else os.environ.get(DATA_DIR_ENV)
        path = Path(raw).expanduser() if raw else _default_data_dir()
        default_model = os.environ.get(DEFAULT_MODEL_ENV) or BUNDLED_MODEL_NAME
        return cls(data_dir=check_data_dir(path.resolve()), default_model=default_model)

    db_path = InDataDir("studio.sqlite")
    models_dir = InDataDir("models")
    skills_dir = InDataDir("skills")
    # adapted models (Stage II results), one folder each: ``baseline/``, ``injected/``, ``adapted.json``
    adapters_dir = InDataDir("adapters")
    uploads_dir = InDataDir("uploads")
    artifacts_dir = InDataDir("artifacts")
    # answers already given by a model to a question set, greedy (past.evaluation.answer_cache)
    answer_cache_dir = InDataDir("cache", "answers")
    # Gradio's cache of uploaded and served files (the studio sets ``GRADIO_TEMP_DIR`` to it)
    gradio_temp_dir = InDataDir("tmp", "gradio")

    def ensure(self) -> Settings:
        """Create the data directory tree, with a clear error if that is impossible (or the folder is ``/``)."""
        if self.data_dir == Path(self.data_dir.anchor):
            raise ConfigError(
                f"the data directory cannot be the file system's root ({self.data_dir}): the studio would write its "
                f"database and folders there and, when shared, serve from it. Choose a folder with --data-dir or "
                f"{DATA_DIR_ENV}."
            )
        for path in (self.data_dir, self.models_dir, self.skills_dir, self.uploads_dir, self.artifacts_dir):
            try:
                path.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise ConfigError(
                    f"cannot create the data directory {path}: {exc.strerror}. "
                    f"Choose another with --data-dir or {DATA_DIR_ENV}."
                ) from exc
        if not os.access(self.data_dir, os.W_OK):
            raise ConfigError(
                f"the data directory {self.data_dir} is not writable. Choose another with --data-dir or {DATA_DIR_ENV}."
            )
        return self
