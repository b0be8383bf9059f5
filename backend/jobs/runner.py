"""The job runner: schedules queued jobs into worker processes and watches them.

Runs in the studio process (:meth:`JobRunner.start`, a background thread) or as a daemon
(``past job daemon`` -> :meth:`JobRunner.run_forever`). Only one runner serves a data directory: it
holds an exclusive ``flock`` on ``<data_dir>/runner.lock`` (released by the OS if the process dies)
and records itself in the ``runner_lease`` row. On start it reconciles jobs left ``running`` by a
dead runner: their leftover workers are killed and they become ``interrupted``, logs kept.

Each pass: reap finished workers (and any process they left behind in their group), apply
cancel/timeout stop requests (SIGTERM, then kill the tree after ``grace_s``), cancel jobs whose
dependencies failed, then start ready jobs by priority within the free resource slots.

Durations (timeouts, grace, heartbeat interval) are measured on the monotonic clock, so a step of the
wall clock neither times a job out nor kills it early; the wall clock (``clock``, injectable) only
stamps records. Workers recognise this runner by its pid and boot-relative start time
(:mod:`backend.jobs.process`), which a clock step cannot change either.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import signal
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from backend.jobs.errors import RunnerBusyError
from backend.jobs.executors import AccelerateExecutor, Executor, LaunchRequest, LocalProcessExecutor, WorkerHandle
from backend.jobs.logs import log_path
from backend.jobs.process import RUNNER_PID_ENV, process_start_time, reap_group
from backend.jobs.registry import EXTRA_KINDS_ENV
from backend.jobs.slots import SlotPool, detect_slots
from backend.jobs.states import STOP_SHUTDOWN, STOP_TIMEOUT, stopped_outcome
from backend.store import EventRepository, JobRecord, JobRepository, NotFoundError, Store
from backend.store.jobs_repo import CANCELLED, FAILED, INTERRUPTED, QUEUED, RUNNING, SUCCEEDED
from past.settings import Settings

RAY_ADDRESS_ENV = "PAST_RAY_ADDRESS"


def default_executors() -> dict[str, Executor]:
    executors: dict[str, Executor] = {"local": LocalProcessExecutor(), "accelerate": AccelerateExecutor()}
    address = os.environ.get(RAY_ADDRESS_ENV)
    if address:
        from backend.jobs.executors.ray import RayExecutor

        executors["ray"] = RayExecutor(address)
    return executors


@dataclass
class _Running:
    job_id: str
    handle: WorkerHandle
    slots: list[str]
    started: float = field(default_factory=time.monotonic)
    term_at: float | None = None  # monotonic time SIGTERM was sent
    killed: bool = False


def _describe_exit(code: int) -> str:
    if code < 0:
        try:
            return f"killed by signal {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exited with code {code}"


class JobRunner:
    def __init__(
        self,
        settings: Settings,
        *,
        slots: dict[str, int] | None = None,
        executors: dict[str, Executor] | None = None,
        poll_interval: float = 0.05,
        full_pass_interval: float = 0.5,
        grace_s: float = 10.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.settings = settings
        self.clock = clock  # wall-clock time for the records only; durations use time.monotonic()
        self.runner_id = uuid.uuid4().hex[:12]
        self.store = Store(settings.db_path)
        self.jobs, self.events = JobRepository(self.store), EventRepository(self.store)
        self.pool = SlotPool(slots or detect_slots())
        self.executors = executors or default_executors()
        self.poll_interval, self.full_pass_interval, self.grace_s = poll_interval, full_pass_interval, grace_s
        self._running: dict[str, _Running] = {}
        self._lock_file = None
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._last_full = 0.0
        self._data_version = -1
        self._last_heartbeat = 0.0
        self._started = process_start_time(os.getpid())  # boot-relative: the workers' way to know us

    # lifecycle
    def acquire(self) -> None:
        """Take the data directory's runner lock, or raise :class:`RunnerBusyError`."""
        path = self.settings.data_dir / "runner.lock"
        handle = open(path, "a+")  # noqa: SIM115 - held for the runner's lifetime
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            lease = self.store.query("SELECT * FROM runner_lease WHERE id = 1")
            who = f" (pid {lease[0]['pid']} on {lease[0]['hostname']})" if lease else ""
            raise RunnerBusyError(f"another job runner already serves {self.settings.data_dir}{who}") from None
        self._lock_file = handle
        now = self.clock()
        with self.store.write() as db:
            db["runner_lease"].upsert(
                {
                    "id": 1,
                    "runner_id": self.runner_id,
                    "pid": os.getpid(),
                    "hostname": socket.gethostname(),
                    "started_at": now,
                    "heartbeat_at": now,
                },
                pk="id",
            )
        self.recover()

    def release(self) -> None:
        if self._lock_file is not None:
            with contextlib.suppress(Exception), self.store.write() as db:
                db.execute("DELETE FROM runner_lease WHERE id = 1 AND runner_id = ?", [self.runner_id])
            fcntl.flock(self._lock_file, fcntl.LOCK_UN)
            self._lock_file.close()
            self._lock_file = None

    def start(self) -> JobRunner:
        """Acquire the lock and run in a background thread (inside the studio)."""
        self.acquire()
        self._thread = threading.Thread(target=self._loop, name="past-job-runner", daemon=True)
        self._thread.start()
        return self

    def run_forever(self) -> None:
        """Acquire the lock and run in this thread until SIGTERM/SIGINT (``past job daemon``)."""
        self.acquire()

        def on_signal(signum, frame):
            del signum, frame
            self._stop.set()

        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)
        try:
            self._loop()
        finally:
            self.shutdown_jobs()
            self.close_executors()
            self.release()

    def stop(self, timeout: float = 60.0) -> None:
        """Stop the loop; running jobs are stopped (interrupted, resumable) and the lock released."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
            self.shutdown_jobs()
            self.close_executors()
            self.release()
        self.store.close()

    def close_executors(self) -> None:
        """Let executors release what they hold (the Ray executor's gateway)."""
        for executor in self.executors.values():
            close = getattr(executor, "close", None)
            if close is not None:
                with contextlib.suppress(Exception):
                    close()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.tick()
            except Exception as exc:  # a bad pass must not kill the runner; log and go on
                print(f"job runner pass failed: {type(exc).__name__}: {exc}", flush=True)
                time.sleep(0.5)
            self._wake.wait(self.poll_interval)
            self._wake.clear()

    # one scheduling pass
    def tick(self, force: bool = False) -> None:
        changed = self._reap()
        now = time.monotonic()
        version = self.store.db.execute("PRAGMA data_version").fetchone()[0]
        if not (force or changed or version != self._data_version or now - self._last_full >= self.full_pass_interval):
            return
        self._data_version, self._last_full = version, now
        if now - self._last_heartbeat > 1.0:
            self._last_heartbeat = now
            self.jobs.store.db.execute(
                "UPDATE runner_lease SET heartbeat_at = ? WHERE id = 1 AND runner_id = ?",
                [self.clock(), self.runner_id],
            )
        self._apply_stops()
        self._cancel_blocked()
        self._schedule()

    def _reap(self) -> bool:
        changed = False
        for entry in list(self._running.values()):
            code = entry.handle.poll()
            if code is None:
                continue
            changed = True
            self._finalize(entry, code)
        return changed

    def _finalize(self, entry: _Running, code: int) -> None:
        self._running.pop(entry.job_id, None)
        self.pool.release(entry.slots)
        if entry.handle.pid:  # a local worker: nothing it started outlives it
            reap_group(entry.handle.pid, entry.handle.pid_started)
        try:
            job = self.jobs.get(entry.job_id)
        except NotFoundError:  # deleted (with its experiment) while the worker was exiting
            return
        if job.state == RUNNING:  # the worker died before writing its outcome
            if job.stop_reason:
                state, error = stopped_outcome(job.stop_reason, job.timeout_s, forced=True)
            else:
                state, error = FAILED, f"the worker {_describe_exit(code)} (logs kept)"
            self.jobs.update(job.id, expect=(RUNNING,), state=state, error=error, finished_at=self.clock())
            self.events.log(job.id, error, level="error")
        self.jobs.update(job.id, exit_code=code)

    def _apply_stops(self) -> None:
        now = time.monotonic()
        for job in self.jobs.list(states=(RUNNING,), limit=10_000):
            entry = self._running.get(job.id)
            if entry is None:
                continue
            if not job.stop_reason and job.timeout_s and now - entry.started > job.timeout_s:
                self.jobs.update(job.id, expect=(RUNNING,), stop_reason=STOP_TIMEOUT, stop_requested_at=self.clock())
                self.events.log(job.id, f"timeout of {job.timeout_s:g} s reached: stopping", level="warning")
                job.stop_reason = STOP_TIMEOUT
            if not job.stop_reason:
                continue
            if entry.term_at is None:
                entry.handle.terminate()
                entry.term_at = now
            elif now - entry.term_at > self.grace_s and not entry.killed:
                self.events.log(job.id, f"still running {self.grace_s:g} s after the stop request: killing", "warning")
                entry.handle.kill()
                entry.killed = True

    def _cancel_blocked(self) -> None:
        rows = self.store.query(
            "SELECT d.job_id, d.depends_on, j.state, j.kind FROM job_deps d "
            "JOIN jobs q ON q.id = d.job_id JOIN jobs j ON j.id = d.depends_on "
            "WHERE q.state = ? AND j.state IN (?, ?)",
            (QUEUED, FAILED, CANCELLED),
        )
        for row in rows:
            reason = f"not run: dependency {row['depends_on']} ({row['kind']}) {row['state']}"
            if self.jobs.update(
                row["job_id"], expect=(QUEUED,), state=CANCELLED, error=reason, finished_at=self.clock(), message=reason
            ):
                self.events.log(row["job_id"], reason, level="error")

    def _schedule(self) -> None:
        ready = self.store.query(
            "SELECT id FROM jobs q WHERE state = ? AND NOT EXISTS ("
            " SELECT 1 FROM job_deps d JOIN jobs j ON j.id = d.depends_on"
            " WHERE d.job_id = q.id AND j.state != ?) ORDER BY priority DESC, seq",
            (QUEUED, SUCCEEDED),
        )
        for row in ready:
            job = self.jobs.get(row["id"])
            executor = self.executors.get(job.executor)
            if executor is None:
                self._fail_unstartable(job, f"executor {job.executor!r} is not configured on this runner")
                continue
            if not self.pool.can_ever(job.resources):
                self._fail_unstartable(
                    job, f"this runner has no slot for resources {job.resources} ({self.pool.capacity})"
                )
                continue
            granted = self.pool.try_acquire(job.resources)
            if granted is None:
                continue
            if not self.jobs.update(
                job.id,
                expect=(QUEUED,),
                state=RUNNING,
                runner_id=self.runner_id,
                claimed_at=self.clock(),
                message="starting",
                progress=0.0,
                error=None,
                stop_reason=None,
                stop_requested_at=None,
                exit_code=None,
                finished_at=None,
            ):
                self.pool.release(granted)
                continue
            self._launch(job, executor, granted)

    def _fail_unstartable(self, job: JobRecord, reason: str) -> None:
        if self.jobs.update(job.id, expect=(QUEUED,), state=FAILED, error=reason, finished_at=self.clock()):
            self.events.log(job.id, reason, level="error")

    def _launch(self, job: JobRecord, executor: Executor, granted: list[str]) -> None:
        gpus = [s.split(":")[1] for s in granted if s.startswith("gpu:")]
        has_gpus = any(name.startswith("gpu:") for name in self.pool.capacity)
        env = {"CUDA_VISIBLE_DEVICES": ",".join(gpus)} if has_gpus else {}  # CPU jobs see no GPU
        env[RUNNER_PID_ENV] = f"{os.getpid()}:{self._started}"  # the worker stops if this process dies
        if extra_kinds := os.environ.get(EXTRA_KINDS_ENV):  # opted-in kinds reach every executor's workers
            env[EXTRA_KINDS_ENV] = extra_kinds
        request = LaunchRequest(
            job_id=job.id,
            attempt=job.attempt,
            data_dir=self.settings.data_dir,
            log_path=log_path(self.settings, job.id),
            options=job.executor_options,
            env=env,
        )
        try:
            handle = executor.launch(request)
        except Exception as exc:
            self.pool.release(granted)
            reason = f"could not start the worker: {exc}"
            self.jobs.update(job.id, expect=(RUNNING,), state=FAILED, error=reason, finished_at=self.clock())
            self.events.log(job.id, reason, level="error")
            return
        self._running[job.id] = _Running(job.id, handle, granted)
        self.jobs.update(job.id, pid=handle.pid, pid_started=handle.pid_started, external_id=handle.external_id)

    # recovery and shutdown
    def recover(self) -> list[str]:
        """Jobs left running by a dead runner: kill leftover workers and whatever they started (their whole
        process group, even when the worker itself already exited), mark them interrupted, keep logs."""
        recovered = []
        for job in self.jobs.list(states=(RUNNING,), limit=100_000):
            if job.runner_id == self.runner_id:
                continue
            executor = self.executors.get(job.executor)
            if executor is not None:
                with contextlib.suppress(Exception):
                    executor.stop_orphan(job.pid, job.pid_started, job.external_id)
            reason = (
                f"interrupted: the runner that started it (runner {job.runner_id}) stopped; "
                f"resume with `past job resume {job.id}`"
            )
            if self.jobs.update(job.id, expect=(RUNNING,), state=INTERRUPTED, error=reason, finished_at=self.clock()):
                self.events.log(job.id, reason, level="warning")
                recovered.append(job.id)
        return recovered

    def shutdown_jobs(self) -> None:
        """Stop our running jobs as ``interrupted`` (graceful, then forced after ``grace_s``)."""
        if not self._running:
            return
        now = self.clock()
        for entry in self._running.values():
            self.jobs.update(entry.job_id, expect=(RUNNING,), stop_reason=STOP_SHUTDOWN, stop_requested_at=now)
            entry.handle.terminate()
        deadline = time.monotonic() + self.grace_s
        while self._running and time.monotonic() < deadline:
            self._reap()
            time.sleep(0.05)
        for entry in list(self._running.values()):
            entry.handle.kill()
        deadline = time.monotonic() + 10
        while self._running and time.monotonic() < deadline:
            self._reap()
            time.sleep(0.05)


def start_embedded(settings: Settings, **kwargs) -> JobRunner | None:
    """Start a runner in this process's background (the studio), or None when another runner
    (``past job daemon`` or another studio) already serves the data directory."""
    runner = JobRunner(settings, **kwargs)
    try:
        return runner.start()
    except RunnerBusyError:
        runner.store.close()
        return None
