"""A small pool of loaded models for serving chat, shared by all sessions of one studio process.

Models are loaded on first use and kept, least recently used first out, up to ``max_models``.
Loading is serialised by a lock so two sessions asking for the same model load it once.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from past.models import LoadedModel, ModelRegistry


class ModelPool:
    """Loaded models keyed by reference, with LRU eviction."""

    def __init__(self, registry: ModelRegistry, max_models: int = 2) -> None:
        self.registry = registry
        self.max_models = max_models
        self._models: OrderedDict[str, LoadedModel] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, ref: str) -> LoadedModel:
        """The loaded model for ``ref``, loading (and evicting) as needed."""
        with self._lock:
            if ref in self._models:
                self._models.move_to_end(ref)
                return self._models[ref]
            loaded = self.registry.load(ref)
            self._models[ref] = loaded
            while len(self._models) > self.max_models:
                self._models.popitem(last=False)
            return loaded

    def loaded(self) -> list[str]:
        with self._lock:
            return list(self._models)
