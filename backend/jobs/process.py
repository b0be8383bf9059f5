"""Process identities that survive pid reuse and wall-clock steps, and killing what is left of a worker.

A process is named by its pid plus its start time *counted from boot*: on Linux field 22 of
``/proc/<pid>/stat`` (clock ticks since boot), which no change of the wall clock can move. (psutil's
``create_time()`` adds the boot time as the wall clock sees it now, so it jumps when NTP or an operator
steps the clock, and a worker would take its live runner for a dead one.) Elsewhere psutil's wall-clock
start time is the fallback.

Every worker leads its own session and process group (``start_new_session=True``), so whatever it started
can be found and killed through the group even after the worker itself died: the kernel does not hand a
pid out again while a process group of that id still has members.
"""

from __future__ import annotations

import contextlib
import os
import signal
from pathlib import Path

import psutil

RUNNER_PID_ENV = "PAST_RUNNER_PID"  # "pid:start" of the runner that launched a worker
_PROC = Path("/proc")
_HAS_PROC = (_PROC / "self" / "stat").is_file()
_TICKS = os.sysconf("SC_CLK_TCK") if _HAS_PROC else 100
_WALL_CLOCK = 1e8  # a recorded start above this is wall-clock seconds (older versions, or no /proc)

OURS, GONE, OTHER = "ours", "gone", "other"  # what a recorded (pid, start) now names


def process_start_time(pid: int) -> float | None:
    """When ``pid`` started, in seconds after boot (None when no such process): immune to clock steps."""
    if _HAS_PROC:
        try:
            raw = (_PROC / str(pid) / "stat").read_bytes()
        except OSError:
            return None
        fields = raw[raw.rindex(b")") + 2 :].split()  # after "pid (comm) ": state is field 3, starttime 22
        return int(fields[19]) / _TICKS
    try:
        return psutil.Process(pid).create_time()
    except psutil.Error:
        return None


def _same_start(pid: int, actual: float, recorded: float) -> bool:
    if recorded > _WALL_CLOCK and actual < _WALL_CLOCK:  # recorded by an older version as wall-clock time
        try:
            return abs(psutil.Process(pid).create_time() - recorded) < 1.0
        except psutil.Error:
            return False
    if not _HAS_PROC:
        return abs(actual - recorded) < 1.0
    return abs(actual - recorded) < 0.5 / _TICKS  # the same tick count, read twice


def process_state(pid: int, started: float | None) -> str:
    """:data:`OURS` if ``pid`` is the process that started at ``started`` (dead but unreaped counts),
    :data:`GONE` if no process has that pid, :data:`OTHER` if the pid now names another process."""
    actual = process_start_time(pid)
    if actual is None:
        return GONE
    return OURS if started is None or _same_start(pid, actual, started) else OTHER


def is_alive(pid: int | None, started: float | None = None) -> bool:
    """True if ``pid`` runs (not a zombie) and, when given, is the process that started at ``started``."""
    if not pid or process_state(pid, started) != OURS:
        return False
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def signal_group(pid: int, sig: int) -> None:
    """Send ``sig`` to the process group led by ``pid`` (workers start in their own session)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)


def group_members(pgid: int) -> list[psutil.Process]:
    """The processes whose process group is ``pgid``."""
    members = []
    for proc in psutil.process_iter():
        with contextlib.suppress(psutil.Error, ProcessLookupError, PermissionError):
            if os.getpgid(proc.pid) == pgid:
                members.append(proc)
    return members


def kill_tree(pid: int) -> list[int]:
    """SIGKILL ``pid`` (a process known to be ours), its process group, and every descendant (even ones
    that left the group)."""
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


def kill_rest_of_own_group() -> list[int]:
    """Kill every other process of this process's group (what a job started), if this process leads it.

    A worker calls this on its way out, so nothing a job started outlives it even when no runner is left to
    clean up. Under ``accelerate launch`` the launcher leads the group and nothing is done here.
    """
    me = os.getpid()
    if os.getpgid(0) != me:
        return []
    others = [p for p in group_members(me) if p.pid != me]
    for proc in others:
        with contextlib.suppress(psutil.Error):
            proc.kill()
    psutil.wait_procs(others, timeout=3)
    return [p.pid for p in others]


def reap_group(pid: int, started: float | None) -> list[int]:
    """Kill whatever is left of the worker that was ``(pid, started)``: itself if it still runs, and the
    members of its process group (e.g. a ``sleep`` it started) if it is gone. Returns the pids killed.

    A pid that now names another process is left alone: its old group cannot have members any more.
    """
    state = process_state(pid, started)
    if state == OURS:
        return kill_tree(pid)
    if state == OTHER:
        return []
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        return []  # no group left (the common case: the worker took everything with it)
    members = group_members(pid)
    psutil.wait_procs(members, timeout=3)
    return [p.pid for p in members]


__all__ = [
    "GONE",
    "OTHER",
    "OURS",
    "RUNNER_PID_ENV",
    "group_members",
    "is_alive",
    "kill_rest_of_own_group",
    "kill_tree",
    "process_start_time",
    "process_state",
    "reap_group",
    "signal_group",
]
