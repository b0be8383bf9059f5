"""How a worker reaches its job: its record, its inputs' records, where it reports, how it finishes.

A worker on the runner's machine (local process or ``accelerate launch``) talks to the SQLite store of the
data directory directly (:class:`StoreLink`). A worker on another node (Ray) never opens that file: it
talks to the runner's gateway over HTTP and works in a scratch directory of its node
(:class:`backend.jobs.gateway.client.GatewayLink`). The worker code is the same for both.
"""

from __future__ import annotations

import threading
import time
from typing import Any, Protocol

from backend.jobs.reporter import BufferedReporter, StoreReporter
from backend.store import JobRecord, JobRepository, Store
from backend.store.jobs_repo import RUNNING
from past.settings import Settings


class JobLink(Protocol):
    settings: Settings  # where this worker's artifacts and models live
    job_id: str
    watches_runner: bool  # the runner is a process on this machine the worker can watch

    def load(self) -> JobRecord:
        """The job's current record."""

    def upstream(self, job_id: str) -> JobRecord:
        """An input job's record; its artifacts are under ``settings.artifacts_dir`` afterwards."""

    def prepare(self, job: JobRecord, resumable: bool) -> None:
        """Make what an attempt continues from (its checkpoints) available locally."""

    def reporter(self, stop_event: threading.Event) -> BufferedReporter:
        """The job's reporter (one per link); ``stop_event`` is set when the job is to stop."""

    def started(self, message: str) -> None:
        """Record that the job started; ``message`` is its first log line."""

    def finish(self, final: dict[str, Any]) -> None:
        """Publish the job's artifacts and write its outcome (state, error, result, ...)."""

    def close(self) -> None: ...


class StoreLink:
    """A worker on the runner's machine: the data directory's store and artifacts, directly."""

    watches_runner = True

    def __init__(self, settings: Settings, job_id: str) -> None:
        self.settings, self.job_id = settings, job_id
        self.store = Store(settings.db_path)
        self.jobs = JobRepository(self.store)
        self._reporter: StoreReporter | None = None

    def load(self) -> JobRecord:
        return self.jobs.get(self.job_id)

    def upstream(self, job_id: str) -> JobRecord:
        return self.jobs.get(job_id)

    def prepare(self, job: JobRecord, resumable: bool) -> None:
        del job, resumable  # the checkpoints are already in the data directory

    def reporter(self, stop_event: threading.Event) -> StoreReporter:
        if self._reporter is None:
            self._reporter = StoreReporter(self.store, self.job_id, stop_event=stop_event)
        return self._reporter

    def started(self, message: str) -> None:
        self.jobs.update(self.job_id, expect=(RUNNING,), started_at=time.time(), message="started")
        assert self._reporter is not None, "reporter() comes first"
        reporter = self._reporter
        reporter.log(message)
        reporter.flush()  # the first line is in the store at once

    def finish(self, final: dict[str, Any]) -> None:
        if self._reporter is not None:
            self._reporter.close()
        self.jobs.update(self.job_id, expect=(RUNNING,), **final)

    def close(self) -> None:
        self.store.close()
