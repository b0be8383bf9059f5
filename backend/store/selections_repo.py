"""Studio selections (A/B sides, wizard choices) kept in the store so they survive a page reload."""

from __future__ import annotations

import json
import time
from typing import Any

from backend.store.connection import Store


class SelectionRepository:
    def __init__(self, store: Store) -> None:
        self.store = store

    def get(self, key: str, default: Any = None) -> Any:
        rows = self.store.query("SELECT value FROM selections WHERE key = ?", (key,))
        return json.loads(rows[0]["value"]) if rows else default

    def set(self, key: str, value: Any) -> None:
        with self.store.write() as db:
            db["selections"].insert(
                {"key": key, "value": json.dumps(value), "updated_at": time.time()}, pk="key", replace=True
            )
