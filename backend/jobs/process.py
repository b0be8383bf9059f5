"""Process-tree helpers: liveness checks that survive pid reuse, and killing a whole worker tree."""

from __future__ import annotations

import contextlib
import os
import signal

import psutil

RUNNER_PID_ENV = "PAST_RUNNER_PID"  # "pid:start_time" of the runner that launched a worker


def process_start_time(pid: int) -> float | None:
    try:
        return psutil.Process(pid).create_time()
    except psutil.Error:
        return None


def is_alive(pid: int | None, started: float | None = None) -> bool:
    """True if ``pid`` runs and (when given) was started at ``started`` (not a reused pid)."""
    if not pid:
        return False
    try:
        proc = psutil.Process(pid)
        if proc.status() == psutil.STATUS_ZOMBIE:
            return False
        return started is None or abs(proc.create_time() - started) < 1.0
    except psutil.Error:
        return False


def signal_group(pid: int, sig: int) -> None:
    """Send ``sig`` to the process group led by ``pid`` (workers start in their own session)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)


def kill_tree(pid: int, started: float | None = None) -> list[int]:
    """SIGKILL ``pid``, its process group, and every descendant (even ones that left the group)."""
    if not is_alive(pid, started):
        signal_group(pid, signal.SIGKILL)  # the leader is gone; members of its group may remain
        return []
    try:
        descendants = psutil.Process(pid).children(recursive=True)
    except psutil.Error:
        descendants = []
    signal_group(pid, signal.SIGKILL)
    killed = [pid]
    for proc in descendants:
        with contextlib.suppress(psutil.Error):
            proc.kill()
            killed.append(proc.pid)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    psutil.wait_procs([p for p in descendants if p.is_running()], timeout=3)
    return killed
