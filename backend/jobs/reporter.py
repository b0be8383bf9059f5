"""The worker's :class:`past.progress.Reporter`: progress, metrics and logs into the store, batched.

Metrics and log lines are buffered and flushed by a background thread every ``flush_interval``
seconds (or when the buffer fills) in one short transaction each, so a training loop that logs
thousands of rows per second costs a few writes per second. Log lines are also printed to stdout,
which the runner sends to the job's log file. ``should_stop`` turns True on SIGTERM.
"""

from __future__ import annotations

import sys
import threading
import time

from backend.store import EventRepository, JobRepository, Store
from backend.store.jobs_repo import RUNNING


class StoreReporter:
    def __init__(
        self,
        store: Store,
        job_id: str,
        *,
        flush_interval: float = 0.25,
        max_buffer: int = 5000,
        progress_interval: float = 0.2,
    ) -> None:
        self.job_id = job_id
        self.jobs, self.events = JobRepository(store), EventRepository(store)
        self.flush_interval, self.max_buffer, self.progress_interval = flush_interval, max_buffer, progress_interval
        self.stop_event = threading.Event()
        self._lock = threading.Lock()
        self._metrics: list[tuple[int, str, float, float]] = []
        self._logs: list[tuple[float, str, str]] = []
        self._progress: tuple[float, str] | None = None
        self._last_progress_write = 0.0
        self._closed = threading.Event()
        self._thread = threading.Thread(target=self._flush_loop, name=f"reporter-{job_id}", daemon=True)
        self._thread.start()

    # Reporter protocol
    def progress(self, fraction: float, message: str) -> None:
        fraction = min(max(float(fraction), 0.0), 1.0)
        with self._lock:
            self._progress = (fraction, message)
        now = time.monotonic()
        if now - self._last_progress_write >= self.progress_interval or fraction >= 1.0:
            self._last_progress_write = now
            self._write_progress()

    def metric(self, step: int, name: str, value: float) -> None:
        with self._lock:
            self._metrics.append((int(step), str(name), float(value), time.time()))
            full = len(self._metrics) >= self.max_buffer
        if full:
            self.flush()

    def log(self, message: str, level: str = "info") -> None:
        print(message, flush=True)
        with self._lock:
            self._logs.append((time.time(), level, str(message)))

    def should_stop(self) -> bool:
        return self.stop_event.is_set()

    # plumbing
    def _write_progress(self) -> None:
        with self._lock:
            pending, self._progress = self._progress, None
        if pending is not None:
            self.jobs.update(self.job_id, expect=(RUNNING,), progress=pending[0], message=pending[1])

    def flush(self) -> None:
        with self._lock:
            metrics, self._metrics = self._metrics, []
            logs, self._logs = self._logs, []
        if metrics:
            self.events.add_metrics(self.job_id, metrics)
        if logs:
            self.events.add_logs(self.job_id, logs)
        self._write_progress()

    def _flush_loop(self) -> None:
        while not self._closed.wait(self.flush_interval):
            try:
                self.flush()
            except Exception as exc:  # keep the job running; the final flush reports again
                print(f"reporter flush failed: {exc}", file=sys.stderr, flush=True)

    def close(self) -> None:
        self._closed.set()
        self._thread.join(timeout=5)
        self.flush()
