"""The experiment store: one SQLite file (WAL) with versioned migrations and a repository per aggregate."""

from __future__ import annotations

from backend.store.audit_repo import AuditRepository
from backend.store.catalog_repo import CATALOG_TABLES, CatalogRepository
from backend.store.chat_repo import ChatRepository
from backend.store.connection import Store
from backend.store.errors import NotFoundError, SchemaTooNewError, StoreError
from backend.store.events_repo import EventRepository
from backend.store.experiments_repo import ExperimentRepository
from backend.store.jobs_repo import JobRecord, JobRepository
from backend.store.migrations import SCHEMA_VERSION
from backend.store.selections_repo import SelectionRepository
from past.settings import Settings


def open_store(settings: Settings) -> Store:
    """The store of ``settings.data_dir`` (created and migrated as needed)."""
    return Store(settings.db_path)


__all__ = [
    "CATALOG_TABLES",
    "SCHEMA_VERSION",
    "AuditRepository",
    "CatalogRepository",
    "ChatRepository",
    "EventRepository",
    "ExperimentRepository",
    "JobRecord",
    "JobRepository",
    "NotFoundError",
    "SchemaTooNewError",
    "SelectionRepository",
    "Store",
    "StoreError",
    "open_store",
]
