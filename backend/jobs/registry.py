"""The registry of job kinds: name -> :class:`JobKind`, loaded from a list of kind modules.

Adding a kind = one module defining ``KIND`` + one line in :data:`KIND_MODULES`.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable

from backend.jobs.errors import UnknownJobKindError
from backend.jobs.kind import JobKind

KIND_MODULES: tuple[str, ...] = (
    "backend.jobs.kinds.selftest_count",
    "backend.jobs.kinds.selftest_ranks",
    "backend.jobs.kinds.model_prepare",
    "backend.jobs.kinds.adapt",
    "backend.jobs.kinds.build_skill",
    "backend.jobs.kinds.evaluate",
)


class JobRegistry:
    def __init__(self, kinds: Iterable[JobKind] = ()) -> None:
        self._kinds: dict[str, JobKind] = {}
        for kind in kinds:
            self.register(kind)

    @classmethod
    def default(cls, modules: Iterable[str] = KIND_MODULES) -> JobRegistry:
        return cls(importlib.import_module(name).KIND for name in modules)

    def register(self, kind: JobKind) -> None:
        if kind.name in self._kinds:
            raise ValueError(f"job kind {kind.name!r} registered twice")
        self._kinds[kind.name] = kind

    def get(self, name: str) -> JobKind:
        try:
            return self._kinds[name]
        except KeyError:
            known = ", ".join(sorted(self._kinds))
            raise UnknownJobKindError(f"unknown job kind {name!r}; known kinds: {known}") from None

    def names(self) -> list[str]:
        return sorted(self._kinds)

    def __iter__(self):
        return iter(self._kinds[n] for n in self.names())
