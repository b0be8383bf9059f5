"""The worker's :class:`past.progress.Reporter`: progress, metrics and logs, batched, sent to a sink.

Metrics and log lines are buffered and flushed by a background thread every ``flush_interval``
seconds (or when the buffer fills) in one write each, so a training loop that logs thousands of rows
per second costs a few writes per second. Where the writes go is the sink's business: the SQLite store
(:class:`StoreSink`, a worker on the runner's machine) or the runner's gateway over HTTP (a worker on
another node, :mod:`backend.jobs.gateway`). Log lines are also printed to stdout, which ends up in the
job's log file. ``should_stop`` turns True on SIGTERM, or when the sink says the job was asked to stop.
"""

from __future__ import annotations

import sys
import threading
import time
from typing import Any, Protocol

from backend.store import EventRepository, JobRepository, Store
from backend.store.jobs_repo import RUNNING

Progress = tuple[float, str]
MetricRow = tuple[int, str, float, float]  # step, name, value, ts
LogRow = tuple[float, str, str]  # ts, level, message


class ReportSink(Protocol):
    def write(self, progress: Progress | None, metrics: list[MetricRow], logs: list[LogRow]) -> bool:
        """Store what was reported; True when the job has been asked to stop."""


class StoreSink:
    """Reports written straight into the store (short transactions)."""

    def __init__(self, store: Store, job_id: str) -> None:
        self.job_id = job_id
        self.jobs, self.events = JobRepository(store), EventRepository(store)

    def write(self, progress: Progress | None, metrics: list[MetricRow], logs: list[LogRow]) -> bool:
        if metrics:
            self.events.add_metrics(self.job_id, metrics)
        if logs:
            self.events.add_logs(self.job_id, logs)
        if progress is not None:
            self.jobs.update(self.job_id, expect=(RUNNING,), progress=progress[0], message=progress[1])
        return False  # the runner stops a local worker with SIGTERM


class BufferedReporter:
    def __init__(
        self,
        sink: ReportSink,
        job_id: str,
        *,
        flush_interval: float = 0.25,
        max_buffer: int = 5000,
        progress_interval: float = 0.2,
        stop_event: threading.Event | None = None,
    ) -> None:
        self.sink, self.job_id = sink, job_id
        self.flush_interval, self.max_buffer, self.progress_interval = flush_interval, max_buffer, progress_interval
        self.stop_event = stop_event or threading.Event()
        self._lock = threading.Lock()
        self._write_lock = threading.Lock()  # one write to the sink at a time, in order
        self._metrics: list[MetricRow] = []
        self._logs: list[LogRow] = []
        self._progress: Progress | None = None
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
            self._send(progress_only=True)

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
    def flush(self) -> None:
        self._send(progress_only=False)

    def _send(self, progress_only: bool) -> None:
        with self._write_lock:
            with self._lock:
                progress, self._progress = self._progress, None
                metrics: list[MetricRow] = []
                logs: list[LogRow] = []
                if not progress_only:
                    metrics, self._metrics = self._metrics, []
                    logs, self._logs = self._logs, []
            if progress is None and not metrics and not logs:
                return
            if self.sink.write(progress, metrics, logs):
                self.stop_event.set()

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


class StoreReporter(BufferedReporter):
    """A reporter writing into the store of the runner's machine."""

    def __init__(self, store: Store, job_id: str, **kwargs: Any) -> None:
        super().__init__(StoreSink(store, job_id), job_id, **kwargs)
