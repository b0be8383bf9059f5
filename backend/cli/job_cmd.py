"""``past job``: submit, list, show, follow logs, cancel, resume and retry jobs; run the runner daemon."""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import datetime
from typing import TYPE_CHECKING

from past.cli.actions import action_group, add_action
from past.errors import ConfigError
from past.numbers import COUNT, GRACE_SECONDS, PRIORITY, SECONDS, THREADS
from past.settings import Settings

if TYPE_CHECKING:  # the backend is imported only when a job command runs (keeps `past --help` fast)
    from backend.jobs import JobService
    from backend.store import JobRecord


def _service(settings: Settings) -> JobService:
    from backend.jobs import JobService

    return JobService(settings)


def register(subparsers: argparse._SubParsersAction) -> None:
    actions = action_group(subparsers, "job", "submit and control background jobs")
    submit = add_action(actions, "submit", "submit a job (typed parameters from the kind's schema)", submit_job)
    submit.add_argument("kind", nargs="?", help="job kind (see `past job kinds`); optional with --spec")
    submit.add_argument("--param", "-p", action="append", default=[], metavar="NAME=VALUE", help="a parameter")
    submit.add_argument("--input", "-i", action="append", default=[], metavar="NAME=JOB_ID", help="an input by job id")
    submit.add_argument("--after", action="append", default=[], metavar="JOB_ID", help="start after this job")
    submit.add_argument("--spec", help="a JSON job spec file (flags given as well override it)")
    submit.add_argument("--priority", type=PRIORITY.flag, help="higher starts first (default 0)")
    submit.add_argument("--timeout", type=SECONDS.flag, help="seconds before the job is stopped as failed")
    submit.add_argument("--resources", help="comma-separated slots, e.g. cpu or gpu or gpu:0,gpu:1")
    submit.add_argument("--executor", choices=["local", "accelerate", "ray"])
    submit.add_argument("--experiment", help="experiment id to file the job under")
    submit.add_argument("--name", help="a display name")
    submit.add_argument("--wait", action="store_true", help="follow the job until it ends (needs a runner)")
    submit.add_argument("--json", action="store_true", help="print the job as JSON")
    kinds = add_action(actions, "kinds", "job kinds and their parameters", list_kinds)
    kinds.add_argument("--json", action="store_true")
    listing = add_action(actions, "list", "recent jobs", list_jobs)
    listing.add_argument("--state")
    listing.add_argument("--kind")
    listing.add_argument("--limit", type=COUNT.flag, default=50)
    listing.add_argument("--json", action="store_true")
    show = add_action(actions, "show", "one job: state, progress, parameters, latest metrics", show_job, "job_id")
    show.add_argument("--json", action="store_true")
    logs = add_action(actions, "logs", "a job's log events (or its raw worker log with --raw)", job_logs, "job_id")
    logs.add_argument("--follow", "-f", action="store_true", help="keep printing until the job ends")
    logs.add_argument("--raw", action="store_true", help="the worker's stdout/stderr log file")
    metrics = add_action(actions, "metrics", "a job's metrics as CSV (step,name,value)", job_metrics, "job_id")
    metrics.add_argument("--name")
    for name, helptext in (
        ("cancel", "cancel a job (cooperative stop, then forced)"),
        ("resume", "resume an interrupted/failed job from its checkpoint"),
    ):
        add_action(actions, name, helptext, control_job, "job_id", control=name)
    retry_help = "retry a failed/cancelled job (from its checkpoint unless --fresh)"
    retry = add_action(actions, "retry", retry_help, control_job, "job_id", control="retry")
    retry.add_argument("--fresh", action="store_true", help="discard the checkpoint")
    daemon = add_action(actions, "daemon", "run the job runner in the foreground (one per data directory)", run_daemon)
    daemon.add_argument("--cpu-slots", type=THREADS.flag, help="concurrent CPU jobs (default $PAST_CPU_SLOTS or 2)")
    daemon.add_argument(
        "--grace", type=GRACE_SECONDS.flag, default=10.0, help="seconds between SIGTERM and kill on cancel"
    )


def _pairs(items: list[str], what: str) -> dict[str, str]:
    out = {}
    for item in items:
        if "=" not in item:
            raise ConfigError(f"{what} {item!r} must look like NAME=VALUE")
        key, value = item.split("=", 1)
        out[key.strip()] = value
    return out


def submit_job(args: argparse.Namespace, settings: Settings) -> int:
    from backend.jobs.errors import JobSpecError
    from backend.jobs.params import ParamTypeError, coerce_value
    from backend.jobs.service import spec_from_file

    service = _service(settings)
    spec: dict = spec_from_file(args.spec) if args.spec else {}
    if args.kind:
        spec["kind"] = args.kind
    if not spec.get("kind"):
        raise JobSpecError("give a job kind (past job submit KIND) or a --spec file")
    kind = service.registry.get(spec["kind"])
    # CLI strings are typed from the schema; values from the JSON file keep their JSON types
    fields = {f.name: f for f in kind.fields()}

    params = dict(spec.get("params") or {})
    for key, value in _pairs(args.param, "--param").items():
        if key not in fields:
            raise ParamTypeError(f"unknown parameter {key!r} for {kind.name}; known: {', '.join(fields) or 'none'}")
        params[key] = coerce_value(fields[key], value, from_string=True)
    spec["params"] = params
    if args.input:
        spec["inputs"] = {**spec.get("inputs", {}), **_pairs(args.input, "--input")}
    if args.after:
        spec["after"] = [*spec.get("after", []), *args.after]
    for key, value in (
        ("priority", args.priority),
        ("timeout_s", args.timeout),
        ("executor", args.executor),
        ("experiment_id", args.experiment),
        ("name", args.name),
    ):
        if value is not None:
            spec[key] = value
    if args.resources:
        spec["resources"] = [r.strip() for r in args.resources.split(",") if r.strip()]
    job = service.submit_spec(spec)
    if args.json:
        print(json.dumps(_as_dict(job), indent=2))
    else:
        print(job.id)
    if args.wait:
        return _follow(service, job.id)
    return 0


def list_kinds(args: argparse.Namespace, settings: Settings) -> int:
    kinds = _service(settings).kinds()
    if args.json:
        print(json.dumps(kinds, indent=2))
        return 0
    for kind in kinds:
        print(f"{kind['name']:24} {kind['description']}")
        for f in kind["params"]:
            default = "(required)" if f["required"] else f"= {f['default']!r}"
            print(f"    --param {f['name']}=<{f['type']}> {default}  {f['help']}")
        for name, spec in kind["inputs"].items():
            print(f"    --input {name}=<job id>  {spec['help']}")
    return 0


def _when(ts: float | None) -> str:
    return datetime.fromtimestamp(ts).strftime("%m-%d %H:%M:%S") if ts else "-"


def list_jobs(args: argparse.Namespace, settings: Settings) -> int:
    jobs = _service(settings).list(state=args.state, kind=args.kind, limit=args.limit)
    if args.json:
        print(json.dumps([_as_dict(j) for j in jobs], indent=2))
        return 0
    for job in jobs:
        print(
            f"{job.id}  {job.state:11} {job.progress * 100:3.0f}%  {job.kind:20} {_when(job.created_at)}  {job.message}"
        )
    return 0


def _as_dict(job: JobRecord) -> dict:
    from dataclasses import asdict

    return asdict(job)


def show_job(args: argparse.Namespace, settings: Settings) -> int:
    service = _service(settings)
    job = service.get(args.job_id)
    info = _as_dict(job)
    info["latest_metrics"] = service.latest_metrics(job.id)
    info["log_file"] = str(service.log_file(job.id))
    if args.json:
        print(json.dumps(info, indent=2))
        return 0
    for key in ("id", "kind", "name", "state", "attempt", "error", "message", "log_file"):
        if info.get(key) is not None:
            print(f"{key:10} {info[key]}")
    print(f"{'progress':10} {job.progress * 100:.0f}%")
    print(f"{'params':10} {json.dumps(job.params)}")
    if job.inputs or job.depends_on:
        print(f"{'inputs':10} {json.dumps(job.inputs)}  depends on {', '.join(job.depends_on)}")
    for name, last in info["latest_metrics"].items():
        print(f"  {name} = {last['value']:.6g} (step {last['step']})")
    if job.result:
        print(f"{'result':10} {json.dumps(job.result)}")
    return 0


def _follow(service: JobService, job_id: str) -> int:
    runner = service.runner_status()
    if not (runner and runner["alive"]) and not service.get(job_id).terminal:
        print("note: no job runner is running; start the studio or `past job daemon`", file=sys.stderr, flush=True)
    last = 0
    while True:
        job = service.get(job_id)
        for event in service.logs(job_id, after_id=last):
            last = event["id"]
            print(event["message"], flush=True)
        if job.terminal:
            print(f"job {job_id} {job.state}" + (f": {job.error}" if job.error else ""), file=sys.stderr)
            return 0 if job.state == "succeeded" else 1
        time.sleep(0.3)


def job_logs(args: argparse.Namespace, settings: Settings) -> int:
    service = _service(settings)
    if args.raw:
        print(service.log_tail(args.job_id, max_bytes=10_000_000), end="")
        return 0
    if args.follow:
        return _follow(service, args.job_id)
    for event in service.logs(args.job_id, limit=1_000_000):
        print(f"{_when(event['ts'])} {event['level']:7} {event['message']}")
    return 0


def job_metrics(args: argparse.Namespace, settings: Settings) -> int:
    rows = _service(settings).metrics(args.job_id, args.name)  # an unknown id is an error, not an empty table
    print("step,name,value")
    for row in rows:
        print(f"{row['step']},{row['name']},{row['value']}")
    return 0


def control_job(args: argparse.Namespace, settings: Settings) -> int:
    service = _service(settings)
    if args.control == "cancel":
        job = service.cancel(args.job_id)
    elif args.control == "resume":
        job = service.resume(args.job_id)
    else:
        job = service.retry(args.job_id, fresh=args.fresh)
    print(f"{job.id} {job.state}" + (" (stop requested)" if job.stop_reason else ""))
    return 0


def run_daemon(args: argparse.Namespace, settings: Settings) -> int:
    from backend.jobs import JobRunner
    from backend.jobs.slots import detect_slots

    runner = JobRunner(settings, slots=detect_slots(args.cpu_slots), grace_s=args.grace)
    print(f"job runner {runner.runner_id} serving {settings.data_dir} with slots {runner.pool.capacity}", flush=True)
    runner.run_forever()
    print("job runner stopped", flush=True)
    return 0
