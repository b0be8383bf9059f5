"""The worker process of one job: ``python -m backend.jobs.worker JOB_ID --data-dir DIR`` on the runner's
machine, or ``python -m backend.jobs.worker JOB_ID --gateway URL`` on another node (a Ray job).

Loads the job through its :class:`~backend.jobs.link.JobLink` (the store, or the runner's gateway), builds
its typed parameters and inputs, runs the kind with a reporter, writes the result atomically and the final
state. SIGTERM asks the job to stop cooperatively (``reporter.should_stop()``).

Under ``accelerate launch`` with several processes every rank runs the kind (training is data-parallel)
but only the main rank (0) touches the store and writes outputs: it loads the job and hands it to the
others (:func:`past.distributed.broadcast_json`), the others report nothing and only listen for stop, and
when the kind is done all ranks meet at a barrier before the main rank records the outcome. A rank that
fails exits at once (``accelerate launch`` then stops the others) instead of waiting at a barrier.
"""

from __future__ import annotations

import argparse
import dataclasses
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
from backend.jobs.link import JobLink, StoreLink
from backend.jobs.params import build_params
from backend.jobs.process import RUNNER_PID_ENV, is_alive, kill_rest_of_own_group
from backend.jobs.registry import JobRegistry
from backend.jobs.states import stopped_outcome
from backend.store import JobRecord
from backend.store.jobs_repo import CANCELLED, FAILED, INTERRUPTED, RUNNING, SUCCEEDED
from past import distributed
from past.errors import PastError
from past.progress import NullReporter
from past.settings import Settings

EXIT_CODES = {SUCCEEDED: 0, FAILED: 1, CANCELLED: 2, INTERRUPTED: 2}  # 2 = stopped on request


class _RankReporter(NullReporter):
    """Non-main ranks: no store writes, but they obey stop."""

    def __init__(self, stop_event: threading.Event) -> None:
        self.stop_event = stop_event

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


def _stopped(link: JobLink, runner_lost: threading.Event) -> tuple[str, str]:
    current = link.load()
    if runner_lost.is_set() and not current.stop_reason:
        return INTERRUPTED, "interrupted: the job runner died while this job ran; resume it to continue"
    return stopped_outcome(current.stop_reason, current.timeout_s, forced=False)


def _plan(link: JobLink) -> dict | None:
    """What every rank needs to run the job: its record and its inputs' records (None: nothing to run)."""
    job = link.load()
    if job.state != RUNNING:
        print(f"job {job.id} is {job.state}, not running; nothing to do", file=sys.stderr)
        return None
    inputs = {name: dataclasses.asdict(link.upstream(up)) for name, up in job.inputs.items()}
    return {"job": dataclasses.asdict(job), "inputs": inputs}


def run_job(job_id: str, settings: Settings, registry: JobRegistry | None = None) -> int:
    """Run a job of the data directory ``settings`` (this machine): the store is opened by the main rank."""
    link = StoreLink(settings, job_id) if distributed.is_main() else None
    try:
        return _run(job_id, settings, link, registry)
    finally:
        if link is not None:
            link.close()
        distributed.shutdown()


def run_remote(job_id: str, url: str, token: str, registry: JobRegistry | None = None) -> int:
    """Run a job on another node, through the runner's gateway at ``url``."""
    from backend.jobs.gateway.client import GatewayLink

    link = GatewayLink(job_id, url, token)
    try:
        return _run(job_id, link.settings, link, registry, runner_lost=link.lost)
    finally:
        link.close()


def _run(
    job_id: str,
    settings: Settings,
    link: JobLink | None,
    registry: JobRegistry | None,
    runner_lost: threading.Event | None = None,
) -> int:
    """The job on this rank; ``link`` on the main rank only (the others hear from it)."""
    main = link is not None
    stop = threading.Event()

    def on_term(signum, frame):
        del frame
        stop.set()
        print(f"received signal {signum}: stopping", flush=True)

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    distributed.init()
    plan = distributed.broadcast_json(_plan(link) if link is not None else None)
    if plan is None:
        return 3
    job = JobRecord(**plan["job"])
    reporter = link.reporter(stop) if link is not None else _RankReporter(stop)
    runner_lost = runner_lost or threading.Event()
    if link is not None and link.watches_runner and os.environ.get(RUNNER_PID_ENV):
        _watch_runner(os.environ[RUNNER_PID_ENV], stop, runner_lost)
    if link is not None:
        devices = os.environ.get("CUDA_VISIBLE_DEVICES")
        where = f" with CUDA_VISIBLE_DEVICES={devices}" if devices is not None else ""
        ranks = f" as {distributed.world_size()} ranks" if distributed.is_distributed() else ""
        link.started(f"job {job_id} ({job.kind}) attempt {job.attempt} started in pid {os.getpid()}{where}{ranks}")

    state, error, result = FAILED, None, None
    try:
        registry = registry or JobRegistry.default()
        kind = registry.get(job.kind)
        params = build_params(kind.params, job.params)
        artifacts = ArtifactStore(settings)
        out_dir = artifacts.ensure_dir(artifacts.job_dir(job_id))
        if link is not None:
            link.prepare(job, kind.resumable)
        distributed.barrier()  # the others start once the main rank has what the attempt continues from
        ckpt = artifacts.ensure_dir(artifacts.checkpoint_dir(job_id)) if kind.resumable else None
        inputs = {
            name: InputArtifact(up["id"], up["kind"], artifacts.job_dir(up["id"]), up["result"])
            for name, up in plan["inputs"].items()
        }
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
            is_main=main,
        )
        result = kind.run(params, ctx) or {}
        distributed.barrier()  # every rank has finished its part before the main rank records the outcome
        if reporter.should_stop():
            state, error = _stopped(link, runner_lost) if link is not None else (CANCELLED, None)
        else:
            if main:
                artifacts.write_bytes(job_id, "result.json", json.dumps(result, indent=2).encode())
            state = SUCCEEDED
    except PastError as exc:
        state, error = FAILED, str(exc)
        print(f"error: {exc}", flush=True)
        if reporter.should_stop() and link is not None:  # a job that stops by raising (the pipeline's StoppedError)
            state, stopped = _stopped(link, runner_lost)  # is cancelled / interrupted as asked, not failed
            error = f"{stopped}: {exc}"
    except BaseException as exc:  # the job's own bug: keep the traceback in its log
        traceback.print_exc()
        sys.stdout.flush()
        state, error = FAILED, f"{type(exc).__name__}: {exc}"
        if reporter.should_stop() and link is not None:
            state, error = _stopped(link, runner_lost)
    if not distributed.is_distributed():  # ranks share a group; a single process reaps what it started
        leftovers = kill_rest_of_own_group()  # nothing the job started outlives it
        if leftovers:
            print(f"killed {len(leftovers)} process(es) the job left running: {leftovers}", flush=True)
    if link is None:
        return EXIT_CODES[state]
    if error:
        reporter.log(error, level="error")
    reporter.log(f"job {job_id} {state}")
    final = {
        "state": state,
        "finished_at": time.time(),
        "error": error,
        "result": result if state == SUCCEEDED else None,
    }
    if state == SUCCEEDED:
        final.update(progress=1.0, message="done")
    link.finish(final)
    return EXIT_CODES[state]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m backend.jobs.worker")
    parser.add_argument("job_id")
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--data-dir", help="the data directory (a worker on the runner's machine)")
    where.add_argument("--gateway", help="the runner's gateway URL (another node; token in the environment)")
    args = parser.parse_args(argv)
    if args.gateway:
        from backend.jobs.gateway.client import TOKEN_ENV

        token = os.environ.get(TOKEN_ENV)
        if not token:
            print(f"error: --gateway needs the job's token in ${TOKEN_ENV}", file=sys.stderr)
            return 2
        return run_remote(args.job_id, args.gateway, token)
    return run_job(args.job_id, Settings.load(args.data_dir))


if __name__ == "__main__":
    sys.exit(main())
