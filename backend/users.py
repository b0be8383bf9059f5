"""Studio logins and their roles: an **editor** may change things, a **viewer** may only look, chat and vote.

Built by the launcher from ``--auth user:password`` (editors), ``--viewer-auth user:password`` (viewers) and
``--users FILE``, a JSON file ``{"users": [{"name": ..., "password": ..., "role": "editor" | "viewer"}]}``.
Without any login (a studio reachable only from this machine) everyone is an editor, as before.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from past.datasets.jsonl import loads_json
from past.errors import ConfigError

EDITOR = "editor"
VIEWER = "viewer"
ROLES = (EDITOR, VIEWER)


@dataclass(frozen=True)
class Account:
    name: str
    password: str
    role: str


@dataclass
class Users:
    """The logins of one studio; empty = no login, everyone is an editor."""

    accounts: dict[str, Account] = field(default_factory=dict)

    @property
    def required(self) -> bool:
        return bool(self.accounts)

    def add(self, name: str, password: str, role: str) -> None:
        if role not in ROLES:
            raise ConfigError(f"unknown role {role!r} for user {name!r}; use one of {', '.join(ROLES)}")
        if not name or not password:
            raise ConfigError("a login needs a non-empty user name and password")
        if name in self.accounts:
            raise ConfigError(f"the user {name!r} is given twice")
        self.accounts[name] = Account(name, password, role)

    def check(self, name: str, password: str) -> bool:
        """Gradio's login check (constant-time password comparison)."""
        account = self.accounts.get(name)
        return account is not None and hmac.compare_digest(account.password.encode(), (password or "").encode())

    def role(self, name: str | None) -> str:
        """The role of a logged-in user; without logins everyone edits; an unknown name only views."""
        if not self.accounts:
            return EDITOR
        account = self.accounts.get(name or "")
        return account.role if account else VIEWER

    def names(self, role: str) -> list[str]:
        return [a.name for a in self.accounts.values() if a.role == role]

    @classmethod
    def from_flags(
        cls, editors: Iterable[tuple[str, str]] = (), viewers: Iterable[tuple[str, str]] = (), file: Path | None = None
    ) -> Users:
        users = cls()
        for name, password in editors:
            users.add(name, password, EDITOR)
        for name, password in viewers:
            users.add(name, password, VIEWER)
        if file is not None:
            for name, password, role in read_users_file(Path(file)):
                users.add(name, password, role)
        return users


def read_users_file(path: Path) -> list[tuple[str, str, str]]:
    """``(name, password, role)`` of each user in a users JSON file; :class:`ConfigError` when malformed."""
    try:
        data = loads_json(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read the users file {path}: {exc.strerror}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"the users file {path} is not valid JSON ({exc})") from None
    rows = data.get("users") if isinstance(data, dict) else None
    if not isinstance(rows, list) or not rows:
        raise ConfigError(f'the users file {path} must look like {{"users": [{{"name", "password", "role"}}, ...]}}')
    out = []
    for i, row in enumerate(rows):
        if not isinstance(row, dict) or not all(
            isinstance(row.get(k), str) and row.get(k) for k in ("name", "password")
        ):
            raise ConfigError(f"users file {path}, entry {i + 1}: needs a non-empty name and password (strings)")
        role = row.get("role", VIEWER)
        if role not in ROLES:
            raise ConfigError(f"users file {path}, entry {i + 1}: role must be one of {', '.join(ROLES)}, not {role!r}")
        out.append((row["name"], row["password"], role))
    return out
