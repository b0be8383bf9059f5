"""Local worker processes: one subprocess per job in its own session, output to the job's log file."""

from __future__ import annotations

import contextlib
import signal
import subprocess

from backend.jobs.executors.base import PROJECT_ROOT, LaunchRequest, worker_argv, worker_env
from backend.jobs.process import kill_tree, process_start_time, reap_group, signal_group


class ProcessHandle:
    """A worker started with ``start_new_session=True``: its pid is its process group id."""

    external_id = None

    def __init__(self, popen: subprocess.Popen) -> None:
        self.popen = popen
        self.pid = popen.pid
        self.pid_started = process_start_time(popen.pid)

    def poll(self) -> int | None:
        return self.popen.poll()

    def terminate(self) -> None:
        signal_group(self.pid, signal.SIGTERM)

    def kill(self) -> None:
        kill_tree(self.pid)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.popen.wait(timeout=5)


def spawn(argv: list[str], request: LaunchRequest) -> ProcessHandle:
    request.log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(request.log_path, "ab") as log:  # the child keeps its own copy of the descriptor
        log.write(f"==> attempt {request.attempt}: {' '.join(argv)}\n".encode())
        log.flush()
        popen = subprocess.Popen(
            argv,
            cwd=PROJECT_ROOT,
            env=worker_env(request),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return ProcessHandle(popen)


def stop_local_orphan(pid: int | None, pid_started: float | None) -> None:
    """The worker if it still runs, and what is left of its process group (children it started) if not."""
    if pid:
        reap_group(pid, pid_started)


class LocalProcessExecutor:
    name = "local"

    def command(self, request: LaunchRequest) -> list[str]:
        return worker_argv(request.job_id, request.data_dir)

    def launch(self, request: LaunchRequest) -> ProcessHandle:
        return spawn(self.command(request), request)

    def stop_orphan(self, pid: int | None, pid_started: float | None, external_id: str | None) -> None:
        del external_id
        stop_local_orphan(pid, pid_started)


__all__ = ["LocalProcessExecutor", "ProcessHandle", "spawn"]
