"""The registry of job kinds: name -> :class:`JobKind`, loaded from a list of kind modules.

Adding a kind = one module defining ``KIND`` + one line in :data:`KIND_MODULES`. Kinds that are not part of
the product (the tests' ``selftest.count``) are opted in explicitly: ``PAST_EXTRA_JOB_KINDS`` names their
modules, comma-separated; the runner passes the variable on to the workers it starts.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Iterable

from backend.jobs.errors import JobError, UnknownJobKindError
from backend.jobs.kind import JobKind

EXTRA_KINDS_ENV = "PAST_EXTRA_JOB_KINDS"
KIND_MODULES: tuple[str, ...] = (
    "backend.jobs.kinds.model_prepare",
    "backend.jobs.kinds.adapt",
    "backend.jobs.kinds.build_skill",
    "backend.jobs.kinds.evaluate",
    "backend.jobs.kinds.report_card",
    "backend.jobs.kinds.selftest_ranks",  # a documented diagnostic: rank-aware jobs under accelerate launch
)


def kind_modules() -> tuple[str, ...]:
    """:data:`KIND_MODULES` plus the modules named in ``$PAST_EXTRA_JOB_KINDS``."""
    extra = [name.strip() for name in os.environ.get(EXTRA_KINDS_ENV, "").split(",") if name.strip()]
    return (*KIND_MODULES, *(name for name in extra if name not in KIND_MODULES))


def _load_kind(module: str) -> JobKind:
    try:
        return importlib.import_module(module).KIND
    except (ImportError, AttributeError) as exc:
        raise JobError(f"job kind module {module!r} (from {EXTRA_KINDS_ENV}?) cannot be loaded: {exc}") from exc


class JobRegistry:
    def __init__(self, kinds: Iterable[JobKind] = ()) -> None:
        self._kinds: dict[str, JobKind] = {}
        for kind in kinds:
            self.register(kind)

    @classmethod
    def default(cls, modules: Iterable[str] | None = None) -> JobRegistry:
        """The kinds of ``modules`` (default: :func:`kind_modules`)."""
        return cls(_load_kind(name) for name in (kind_modules() if modules is None else modules))

    def register(self, kind: JobKind) -> None:
        if kind.name in self._kinds:
            raise ValueError(f"job kind {kind.name!r} registered twice")
        self._kinds[kind.name] = kind

    def get(self, name: str) -> JobKind:
        if not isinstance(name, str):
            raise UnknownJobKindError(f"a job kind is a name (string), got {name!r}")
        try:
            return self._kinds[name]
        except KeyError:
            known = ", ".join(sorted(self._kinds))
            raise UnknownJobKindError(f"unknown job kind {name!r}; known kinds: {known}") from None

    def names(self) -> list[str]:
        return sorted(self._kinds)

    def __iter__(self):
        return iter(self._kinds[n] for n in self.names())
