"""How a stop request ends a job: the mapping shared by the worker and the runner."""

from __future__ import annotations

from backend.store.jobs_repo import CANCELLED, FAILED, INTERRUPTED

STOP_CANCEL, STOP_TIMEOUT, STOP_SHUTDOWN = "cancel", "timeout", "shutdown"


def stopped_outcome(stop_reason: str | None, timeout_s: float | None, forced: bool) -> tuple[str, str]:
    """(final state, error message) of a job stopped for ``stop_reason``."""
    how = "killed after the grace period" if forced else "stopped cleanly"
    if stop_reason == STOP_TIMEOUT:
        return FAILED, f"timed out after {timeout_s:g} s ({how})"
    if stop_reason == STOP_SHUTDOWN:
        return INTERRUPTED, f"the job runner shut down ({how}); resume it to continue"
    return CANCELLED, f"cancelled ({how})"
