"""Process identity and cleanup of the job runner: a wall-clock step, and children left by a killed daemon.

No root needed: the clock step is faked where the old identity check read the wall clock (``time.time``
and psutil's boot time, which it adds to a process's start) - in this process, in the workers through a
preamble, and in the runner through its injected clock.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sys
import time

import psutil

from backend.jobs import JobRunner
from backend.jobs.executors.base import LaunchRequest
from backend.jobs.executors.local import LocalProcessExecutor
from backend.jobs.params import REF_KINDS
from backend.jobs.process import GONE, OTHER, OURS, is_alive, process_start_time, process_state, reap_group
from backend.jobs.refs import CHECKERS
from tests.jobs_support import (  # noqa: F401 - fixtures
    job_settings,
    pid_alive,
    service,
    start_daemon,
    wait_until,
)

CLOCK_STEP_S = 31.0  # what the drill stepped the clock by

STEPPED_WORKER = f"""
import runpy, time
import psutil._pslinux as linux
real_time, real_boot = time.time, linux.boot_time
time.time = lambda: real_time() + {CLOCK_STEP_S}
linux.boot_time = lambda: real_boot() + {CLOCK_STEP_S}
runpy.run_module("backend.jobs.worker", run_name="__main__", alter_sys=True)
"""


class SteppedClockExecutor(LocalProcessExecutor):
    """The real worker, in a process whose wall clock reads 31 s ahead of the runner's."""

    def command(self, request: LaunchRequest) -> list[str]:
        return [sys.executable, "-c", STEPPED_WORKER, request.job_id, "--data-dir", str(request.data_dir)]


class SteppingClock:
    """The runner's wall clock, stepped forward by 31 s once ``after_s`` seconds have passed."""

    def __init__(self, after_s: float) -> None:
        self.step_at = time.monotonic() + after_s

    def __call__(self) -> float:
        return time.time() + (CLOCK_STEP_S if time.monotonic() >= self.step_at else 0.0)


def test_a_process_keeps_its_identity_across_a_wall_clock_step(monkeypatch) -> None:
    import psutil._pslinux as linux

    me = os.getpid()
    started = process_start_time(me)
    wall_before = psutil.Process(me).create_time()
    real_time, real_boot = time.time, linux.boot_time
    monkeypatch.setattr(time, "time", lambda: real_time() + CLOCK_STEP_S)
    monkeypatch.setattr(linux, "boot_time", lambda: real_boot() + CLOCK_STEP_S)
    # the step is real for psutil's wall-clock start time (what the identity check used to compare) ...
    assert abs(psutil.Process(me).create_time() - wall_before - CLOCK_STEP_S) < 0.5
    # ... and invisible to the boot-relative identity
    assert process_start_time(me) == started
    assert is_alive(me, started) and process_state(me, started) == OURS
    assert process_state(me, started + 1.0) == OTHER  # a reused pid is still told apart


def test_a_wall_clock_step_does_not_stop_running_jobs(job_settings, service) -> None:  # noqa: F811
    runner = JobRunner(
        job_settings,
        slots={"cpu": 2},
        executors={"local": SteppedClockExecutor()},
        clock=SteppingClock(after_s=1.0),
        grace_s=1.5,
    ).start()
    try:
        jobs = [
            service.submit("selftest.count", {"n": 40, "interval_s": 0.05}, timeout_s=25.0),
            service.submit("selftest.count", {"n": 40, "interval_s": 0.05}, timeout_s=25.0),
        ]
        finished = [service.wait(job.id, 120) for job in jobs]
    finally:
        runner.stop()
    for job in finished:
        assert job.state == "succeeded", (job.state, job.error, service.log_tail(job.id))
        assert job.result["count"] == 40
        assert "is gone" not in service.log_tail(job.id)


def test_children_of_a_job_do_not_outlive_a_kill_9_of_the_daemon(job_settings, service, tmp_path) -> None:  # noqa: F811
    daemon = start_daemon(job_settings, tmp_path / "daemon.log", "--cpu-slots", "2")
    spec = {"n": 100_000, "interval_s": 0.05, "spawn_child": True}
    try:
        # a: its worker outlives the daemon and stops itself; b: its worker is killed too, leaving only the child
        a, b = service.submit("selftest.count", spec), service.submit("selftest.count", spec)
        markers = [service.artifacts.job_dir(j.id) / "grandchild.json" for j in (a, b)]
        wait_until(lambda: all(m.exists() for m in markers), 90, "both jobs to start their child process")
        child_a, child_b = (json.loads(m.read_text())["pid"] for m in markers)
        worker_b = service.get(b.id).pid
        assert pid_alive(child_a) and pid_alive(child_b)
        daemon.send_signal(signal.SIGKILL)
        daemon.wait(10)
        os.kill(worker_b, signal.SIGKILL)
    finally:
        with contextlib.suppress(ProcessLookupError):
            daemon.kill()
    wait_until(lambda: service.get(a.id).state == "interrupted", 30, "a's worker to notice its runner died")
    wait_until(lambda: not pid_alive(child_a), 10, "a's worker to take its child with it")
    time.sleep(1.0)
    assert pid_alive(child_b), "b's child, orphaned by two kill -9s, is still running before the restart"
    assert psutil.Process(child_b).ppid() != worker_b

    restarted = JobRunner(job_settings, slots={"cpu": 2}, grace_s=1.5).start()
    try:
        wait_until(lambda: not pid_alive(child_b), 10, "recovery to reap b's process group")
        assert service.get(b.id).state == "interrupted"
    finally:
        restarted.stop()


def test_reaping_leaves_a_reused_pid_alone() -> None:
    me = os.getpid()
    assert reap_group(me, process_start_time(me) + 5.0) == []  # "our" old worker's pid now names this test
    assert process_state(2**22 + 7, 1.0) == GONE and reap_group(2**22 + 7, 1.0) == []


def test_every_ref_kind_has_a_checker() -> None:
    assert set(CHECKERS) == set(REF_KINDS)
