"""The worker process of one job: ``python -m backend.jobs.worker JOB_ID --data-dir DIR``.

Loads the job from the store, builds its typed parameters and inputs, runs the kind with a
:class:`StoreReporter`, writes the result atomically and the final state. SIGTERM asks the job to
stop cooperatively (``reporter.should_stop()``). Under ``accelerate launch`` only rank 0 writes
to the store; the other ranks run the same code with a reporter that only listens for stop.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
import time
import traceback

from backend.jobs import _lean_start  # noqa: F401 - first: keeps the process start lean
from backend.jobs.artifacts import ArtifactStore
from backend.jobs.kind import InputArtifact, JobContext
from backend.jobs.params import build_params
from backend.jobs.process import RUNNER_PID_ENV, is_alive, kill_rest_of_own_group
from backend.jobs.registry import JobRegistry
from backend.jobs.reporter import StoreReporter
from backend.jobs.states import stopped_outcome
from backend.store import JobRepository, Store
from backend.store.jobs_repo import CANCELLED, FAILED, INTERRUPTED, RUNNING, SUCCEEDED
from past.errors import PastError
from past.progress import NullReporter
from past.settings import Settings

EXIT_CODES = {SUCCEEDED: 0, FAILED: 1, CANCELLED: 2, INTERRUPTED: 2}  # 2 = stopped on request


class _RankReporter(NullReporter):
    """Non-primary ranks: no store writes, but they obey stop."""

    def __init__(self) -> None:
        self.stop_event = threading.Event()

    def should_stop(self) -> bool:
        return self.stop_event.is_set()


def _watch_runner(ident: str, stop: threading.Event, lost: threading.Event, interval: float = 0.5) -> None:
    """Stop cooperatively (as interrupted) if the runner that launched us dies."""
    pid_text, _, started_text = ident.partition(":")
    pid, started = int(pid_text), float(started_text) if started_text not in ("", "None") else None

    def watch() -> None:
        while not stop.wait(interval):
            if not is_alive(pid, started):
                print(f"the job runner (pid {pid}) is gone: stopping", flush=True)
                lost.set()
                stop.set()
                return

    threading.Thread(target=watch, name="runner-watchdog", daemon=True).start()


def _stopped(jobs: JobRepository, job_id: str, runner_lost: threading.Event) -> tuple[str, str]:
    current = jobs.get(job_id)
    if runner_lost.is_set() and not current.stop_reason:
        return INTERRUPTED, "interrupted: the job runner died while this job ran; resume it to continue"
    return stopped_outcome(current.stop_reason, current.timeout_s, forced=False)


def run_job(job_id: str, settings: Settings, registry: JobRegistry | None = None) -> int:
    store = Store(settings.db_path)
    jobs = JobRepository(store)
    job = jobs.get(job_id)
    primary = int(os.environ.get("RANK", "0")) == 0
    if primary and job.state != RUNNING:
        print(f"job {job_id} is {job.state}, not running; nothing to do", file=sys.stderr)
        return 3
    reporter = StoreReporter(store, job_id) if primary else _RankReporter()

    def on_term(signum, frame):
        del frame
        reporter.stop_event.set()
        print(f"received signal {signum}: stopping", flush=True)

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    runner_lost = threading.Event()
    if primary and os.environ.get(RUNNER_PID_ENV):
        _watch_runner(os.environ[RUNNER_PID_ENV], reporter.stop_event, runner_lost)
    if primary:
        jobs.update(job_id, expect=(RUNNING,), started_at=time.time(), message="started")
        devices = os.environ.get("CUDA_VISIBLE_DEVICES")
        where = f" with CUDA_VISIBLE_DEVICES={devices}" if devices is not None else ""
        reporter.log(f"job {job_id} ({job.kind}) attempt {job.attempt} started in pid {os.getpid()}{where}")
        reporter.flush()  # the first line is in the store at once

    state, error, result = FAILED, None, None
    try:
        registry = registry or JobRegistry.default()
        kind = registry.get(job.kind)
        params = build_params(kind.params, job.params)
        artifacts = ArtifactStore(settings)
        out_dir = artifacts.ensure_dir(artifacts.job_dir(job_id))
        ckpt = artifacts.ensure_dir(artifacts.checkpoint_dir(job_id)) if kind.resumable else None
        inputs = {}
        for name, upstream_id in job.inputs.items():
            upstream = jobs.get(upstream_id)
            inputs[name] = InputArtifact(upstream_id, upstream.kind, artifacts.job_dir(upstream_id), upstream.result)
        ctx = JobContext(
            job_id=job_id,
            attempt=job.attempt,
            settings=settings,
            reporter=reporter,
            output_dir=out_dir,
            checkpoint_dir=ckpt,
            resume=job.resume and kind.resumable,
            inputs=inputs,
            artifacts=artifacts,
        )
        result = kind.run(params, ctx) or {}
        if reporter.should_stop():
            state, error = _stopped(jobs, job_id, runner_lost)
        else:
            if primary:
                artifacts.write_bytes(job_id, "result.json", json.dumps(result, indent=2).encode())
            state = SUCCEEDED
    except PastError as exc:
        state, error = FAILED, str(exc)
        print(f"error: {exc}", flush=True)
    except BaseException as exc:  # the job's own bug: keep the traceback in its log
        traceback.print_exc()
        sys.stdout.flush()
        state, error = FAILED, f"{type(exc).__name__}: {exc}"
        if reporter.should_stop():
            state, error = _stopped(jobs, job_id, runner_lost)
    leftovers = kill_rest_of_own_group()  # nothing the job started outlives it
    if leftovers:
        print(f"killed {len(leftovers)} process(es) the job left running: {leftovers}", flush=True)
    if not primary:
        return EXIT_CODES[state]
    if error:
        reporter.log(error, level="error")
    reporter.log(f"job {job_id} {state}")
    reporter.close()
    final = {
        "state": state,
        "finished_at": time.time(),
        "error": error,
        "result": result if state == SUCCEEDED else None,
    }
    if state == SUCCEEDED:
        final.update(progress=1.0, message="done")
    jobs.update(job_id, expect=(RUNNING,), **final)
    store.close()
    return EXIT_CODES[state]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m backend.jobs.worker")
    parser.add_argument("job_id")
    parser.add_argument("--data-dir", required=True)
    args = parser.parse_args(argv)
    return run_job(args.job_id, Settings.load(args.data_dir))


if __name__ == "__main__":
    sys.exit(main())
