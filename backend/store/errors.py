"""User-facing errors of the experiment store."""

from __future__ import annotations

from past.errors import PastError


class StoreError(PastError):
    """The store could not be opened or used."""


class StoreDamagedError(StoreError):
    """The database file is truncated or corrupt (SQLite cannot read its pages)."""


class SchemaTooNewError(StoreError):
    """The database was written by a newer PaST Studio; it is never downgraded."""


class NotFoundError(StoreError):
    """A row asked for by id does not exist."""
