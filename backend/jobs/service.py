"""The job service: the one Python API the studio and the ``past job`` CLI both call.

It validates specs at submit (kind, typed parameters and the models, skills, collections and files they
name, inputs by job id, resources, executor) and
reads/writes the store; it never runs jobs itself: a :class:`~backend.jobs.runner.JobRunner` (in the
studio process or ``past job daemon``) picks queued jobs up.
"""

from __future__ import annotations

import json
import shutil
import socket
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from backend.jobs.artifacts import ArtifactStore
from backend.jobs.errors import JobSpecError, JobStateError, MissingInputError
from backend.jobs.executors.accelerate import check_options
from backend.jobs.kind import JobKind
from backend.jobs.logs import log_path
from backend.jobs.params import build_params, params_to_json
from backend.jobs.process import is_alive
from backend.jobs.refs import apply_policy, check_refs
from backend.jobs.registry import JobRegistry
from backend.jobs.slots import check_resources, gpu_count
from backend.jobs.states import STOP_CANCEL
from backend.path_policy import PathPolicy
from backend.store import EventRepository, ExperimentRepository, JobRecord, JobRepository, NotFoundError, Store
from backend.store.catalog_repo import referencing_catalog_rows
from backend.store.jobs_repo import CANCELLED, FAILED, INTERRUPTED, QUEUED, RUNNING, TERMINAL
from past.datasets.jsonl import loads_json
from past.numbers import PRIORITY, SECONDS, NumberError
from past.settings import Settings

EXECUTORS = ("local", "accelerate", "ray")
SPEC_KEYS = {
    "kind",
    "params",
    "inputs",
    "after",
    "priority",
    "timeout_s",
    "resources",
    "executor",
    "executor_options",
    "experiment_id",
    "name",
    "client_token",
}


@dataclass
class JobSpec:
    """What a caller submits. ``inputs`` maps input names to upstream job ids; ``after`` adds plain deps."""

    kind: str
    params: dict[str, Any] = field(default_factory=dict)
    inputs: dict[str, str] = field(default_factory=dict)
    after: list[str] = field(default_factory=list)
    priority: int = 0
    timeout_s: float | None = None
    resources: list[str] | None = None
    executor: str | None = None
    executor_options: dict[str, Any] = field(default_factory=dict)
    experiment_id: str | None = None
    name: str | None = None
    client_token: str | None = None  # idempotency key: submitting twice records one job

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> JobSpec:
        if not isinstance(data, dict):
            raise JobSpecError("a job spec must be a JSON object")
        unknown = sorted(set(data) - SPEC_KEYS)
        if unknown:
            raise JobSpecError(f"unknown job spec field(s) {', '.join(unknown)}; known: {', '.join(sorted(SPEC_KEYS))}")
        if not isinstance(data.get("kind"), str):
            raise JobSpecError("a job spec needs a 'kind' (string)")
        for key, typ in (("params", dict), ("inputs", dict), ("after", list), ("executor_options", dict)):
            if key in data and not isinstance(data[key], typ):
                raise JobSpecError(f"job spec field {key!r} must be a {typ.__name__}")
        return cls(**data)


class JobService:
    def __init__(self, settings: Settings, *, store: Store | None = None, registry: JobRegistry | None = None) -> None:
        self.settings = settings
        self.store = store or Store(settings.db_path)
        self.registry = registry or JobRegistry.default()
        self.jobs, self.events = JobRepository(self.store), EventRepository(self.store)
        self.experiments = ExperimentRepository(self.store)
        self.artifacts = ArtifactStore(settings)
        self._gpus: int | None = None  # counted on the first submit that needs it
        # the studio's path policy (backend.path_policy) when it is reachable from elsewhere: job parameters
        # that name paths must then stay inside the data directory
        self.path_policy: PathPolicy | None = None

    # kinds
    def kinds(self) -> list[dict[str, Any]]:
        """Every job kind with its parameter schema (for forms and flags)."""
        return [kind.describe() for kind in self.registry]

    # submit
    def submit(self, kind: str, params: dict[str, Any] | None = None, **spec: Any) -> JobRecord:
        return self.submit_spec(JobSpec(kind=kind, params=params or {}, **spec))

    def submit_spec(self, spec: JobSpec | dict[str, Any], *, params_from_strings: bool = False) -> JobRecord:
        if isinstance(spec, dict):
            spec = JobSpec.from_dict(spec)
        for key, bounds in (("priority", PRIORITY), ("timeout_s", SECONDS)):
            if getattr(spec, key) is not None:
                try:
                    bounds.check(getattr(spec, key), f"job spec field {key!r}")
                except NumberError as exc:
                    raise JobSpecError(str(exc)) from None
        kind = self.registry.get(spec.kind)
        raw = apply_policy(kind.params, spec.params, self.path_policy)  # before anything reads a path
        typed = build_params(kind.params, raw, from_strings=params_from_strings)
        params = params_to_json(check_refs(typed, self.settings, self.store, self.path_policy))
        self._check_inputs(kind, spec.inputs)
        for dep in spec.after:
            self._existing_job(dep, "dependency")
        resources = list(spec.resources) if spec.resources is not None else self._default_resources(kind)
        check_resources(resources)
        executor = spec.executor or kind.executor
        if executor not in EXECUTORS:
            raise JobSpecError(f"unknown executor {executor!r}; use one of {', '.join(EXECUTORS)}")
        if executor == "accelerate":
            check_options(spec.executor_options)
        if spec.experiment_id:
            self.experiments.get(spec.experiment_id)
        return self.jobs.insert(
            kind=kind.name,
            params=params,
            inputs=dict(spec.inputs),
            depends_on=[*spec.inputs.values(), *spec.after],
            resources=resources,
            executor=executor,
            executor_options=spec.executor_options,
            priority=spec.priority,
            timeout_s=spec.timeout_s,
            experiment_id=spec.experiment_id,
            name=spec.name,
            client_token=spec.client_token,
        )

    def _default_resources(self, kind: JobKind) -> list[str]:
        """A kind's resources; one GPU instead when the kind runs models and this machine has a GPU."""
        if kind.prefers_gpu:
            if self._gpus is None:
                self._gpus = gpu_count()
            if self._gpus:
                return ["gpu"]
        return list(kind.resources)

    def _existing_job(self, job_id: str, what: str) -> JobRecord:
        if not isinstance(job_id, str):
            raise MissingInputError(f"{what} must be a job id (string), got {job_id!r}")
        try:
            job = self.jobs.get(job_id)
        except NotFoundError:
            raise MissingInputError(f"{what} {job_id!r} names no job in this store") from None
        if job.state in (FAILED, CANCELLED):
            raise MissingInputError(f"{what} {job_id} ({job.kind}) is {job.state}; retry it first")
        return job

    def _check_inputs(self, kind, inputs: dict[str, str]) -> None:
        unknown = sorted(set(inputs) - set(kind.inputs))
        if unknown:
            known = ", ".join(kind.inputs) or "none"
            raise JobSpecError(f"job kind {kind.name} has no input(s) {', '.join(unknown)}; its inputs: {known}")
        for name, spec in kind.inputs.items():
            if name not in inputs:
                if spec.required:
                    accepted = f" (a job of kind {' or '.join(spec.kinds)})" if spec.kinds else ""
                    raise MissingInputError(f"job kind {kind.name} needs input {name!r}{accepted}")
                continue
            upstream = self._existing_job(inputs[name], f"input {name!r}")
            if spec.kinds and upstream.kind not in spec.kinds:
                raise MissingInputError(
                    f"input {name!r} must come from a job of kind {' or '.join(spec.kinds)}, "
                    f"but {upstream.id} is a {upstream.kind} job"
                )

    # read
    def get(self, job_id: str) -> JobRecord:
        return self.jobs.get(job_id)

    def list(self, *, state: str | None = None, kind: str | None = None, experiment_id: str | None = None, limit=200):
        return self.jobs.list(states=(state,) if state else None, kind=kind, experiment_id=experiment_id, limit=limit)

    def logs(self, job_id: str, after_id: int = 0, limit: int = 1000) -> list[dict]:
        """Structured log events (incremental: pass the last id seen)."""
        self.jobs.get(job_id)
        return self.events.logs(job_id, after_id, limit)

    def log_file(self, job_id: str) -> Path:
        return log_path(self.settings, job_id)

    def log_tail(self, job_id: str, max_bytes: int = 64_000) -> str:
        """The end of the worker's stdout/stderr log file ("" before the worker started)."""
        self.jobs.get(job_id)
        path = self.log_file(job_id)
        if not path.exists():
            return ""
        with open(path, "rb") as handle:
            handle.seek(max(0, path.stat().st_size - max_bytes))
            return handle.read().decode(errors="replace")

    def metrics(self, job_id: str, name: str | None = None, after_id: int = 0) -> list[dict]:
        self.jobs.get(job_id)
        return self.events.metrics(job_id, name, after_id)

    def metric_series(self, job_id: str, name: str, max_points: int = 2000) -> list[dict]:
        """A chart-ready series of one metric, thinned to about ``max_points``."""
        return self.events.series(job_id, name, max_points)

    def metric_names(self, job_id: str) -> list[str]:
        return self.events.metric_names(job_id)

    def latest_metrics(self, job_id: str) -> dict[str, dict]:
        return self.events.latest_metrics(job_id)

    def wait(self, job_id: str, timeout: float = 60.0, poll: float = 0.05) -> JobRecord:
        """Block until the job is terminal (or raise TimeoutError)."""
        deadline = time.monotonic() + timeout
        while True:
            job = self.jobs.get(job_id)
            if job.terminal:
                return job
            if time.monotonic() > deadline:
                raise TimeoutError(f"job {job_id} still {job.state} after {timeout} s")
            time.sleep(poll)

    # control
    def cancel(self, job_id: str) -> JobRecord:
        job = self.jobs.get(job_id)
        if job.state == QUEUED:
            if self.jobs.update(job_id, expect=(QUEUED,), state=CANCELLED, error="cancelled", finished_at=time.time()):
                self.events.log(job_id, "cancelled before it started")
                return self.jobs.get(job_id)
            job = self.jobs.get(job_id)
        if job.state == RUNNING:
            if not job.stop_reason:
                self.jobs.update(job_id, expect=(RUNNING,), stop_reason=STOP_CANCEL, stop_requested_at=time.time())
                self.events.log(job_id, "cancel requested")
            return self.jobs.get(job_id)
        raise JobStateError(f"job {job_id} is already {job.state}")

    def resume(self, job_id: str) -> JobRecord:
        """Queue an interrupted/failed/cancelled job again, continuing from its checkpoint if it has one."""
        return self._requeue(job_id, fresh=False)

    def retry(self, job_id: str, fresh: bool = False) -> JobRecord:
        """Like resume; ``fresh`` discards the checkpoint and starts over."""
        return self._requeue(job_id, fresh=fresh)

    def _requeue(self, job_id: str, fresh: bool) -> JobRecord:
        job = self.jobs.get(job_id)
        if job.state not in (INTERRUPTED, FAILED, CANCELLED):
            raise JobStateError(f"job {job_id} is {job.state}; only interrupted, failed or cancelled jobs can resume")
        kind = self.registry.get(job.kind)
        if fresh:
            shutil.rmtree(self.artifacts.checkpoint_dir(job_id), ignore_errors=True)
        resume = kind.resumable and not fresh
        if not self.jobs.update(
            job_id,
            expect=(INTERRUPTED, FAILED, CANCELLED),
            state=QUEUED,
            attempt=job.attempt + 1,
            resume=int(resume),
            message="queued (resume from checkpoint)" if resume else "queued (retry)",
            error=None,
            finished_at=None,
            stop_reason=None,
            stop_requested_at=None,
        ):
            raise JobStateError(f"job {job_id} changed state meanwhile; try again")
        self.events.log(job_id, f"attempt {job.attempt + 1} queued ({'resume' if resume else 'fresh'})")
        self._revive_dependents(job_id)
        return self.jobs.get(job_id)

    def _revive_dependents(self, job_id: str) -> None:
        """Dependents cancelled only because ``job_id`` (transitively) failed are queued again."""
        for dep_id in self.jobs.dependents(job_id):
            dep = self.jobs.get(dep_id)
            blocked = dep.state == CANCELLED and (dep.error or "").startswith(f"not run: dependency {job_id} ")
            if blocked and self.jobs.update(
                dep_id, expect=(CANCELLED,), state=QUEUED, error=None, finished_at=None, message="queued"
            ):
                self.events.log(dep_id, f"queued again: dependency {job_id} was retried")
                self._revive_dependents(dep_id)

    # experiments
    def create_experiment(self, name: str, description: str = "", meta: dict | None = None) -> dict:
        return self.experiments.create(name, description, meta)

    def list_experiments(self) -> list[dict]:
        return self.experiments.list()

    def delete_experiment(self, experiment_id: str) -> dict[str, list[str]]:
        """Delete an experiment and its jobs; keep the artifacts (and job rows) something else references."""
        self.experiments.get(experiment_id)
        job_ids = self.experiments.job_ids(experiment_id)
        active = [j.id for j in (self.jobs.get(i) for i in job_ids) if not j.terminal]
        if active:
            raise JobStateError(f"experiment {experiment_id} has active jobs {', '.join(active)}; cancel them first")
        members = set(job_ids)
        removed, kept = [], []
        for job_id in job_ids:
            outside = [d for d in self.jobs.dependents(job_id) if d not in members]
            catalog = referencing_catalog_rows(self.store, job_id)
            (kept if outside or catalog else removed).append(job_id)
        self.experiments.delete_row(experiment_id)
        self.jobs.delete(removed)
        for job_id in removed:
            self.artifacts.remove(job_id)
            log_path(self.settings, job_id).unlink(missing_ok=True)
        return {"removed": removed, "kept": kept}

    def runner_status(self) -> dict[str, Any] | None:
        """The runner serving this data directory (``alive`` False when its process is gone), or None."""
        rows = self.store.query("SELECT * FROM runner_lease WHERE id = 1")
        if not rows:
            return None
        lease = rows[0]
        lease["alive"] = lease["hostname"] != socket.gethostname() or is_alive(lease["pid"])
        return lease


def spec_from_file(path: Path) -> dict[str, Any]:
    try:
        spec = loads_json(Path(path).read_text())
    except OSError as exc:
        raise JobSpecError(f"cannot read the spec file {path}: {exc.strerror}") from exc
    except json.JSONDecodeError as exc:
        raise JobSpecError(f"the spec file {path} is not valid JSON: {exc}") from exc
    if not isinstance(spec, dict):
        raise JobSpecError(f"the spec file {path} must hold a JSON object (a job spec), not {type(spec).__name__}")
    return spec


__all__ = ["TERMINAL", "JobService", "JobSpec", "spec_from_file"]
