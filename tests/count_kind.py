"""``selftest.count``: a test job kind that counts to N in a real worker, with progress, metrics and a checkpoint.

Not part of the product's registry: the tests (``tests/conftest.py``) and ``bench/jobs_bench.py`` opt in by
naming this module in ``PAST_EXTRA_JOB_KINDS``, which the runner passes on to its workers. Knobs exercise the
runner: a crash at a step, a spawned grandchild process, ignoring cooperative stop, a high metric rate.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass

from backend.jobs.kind import InputSpec, JobContext, JobKind
from backend.jobs.params import param
from past.errors import PastError


@dataclass
class CountParams:
    n: int = param(10, help="count to this number")
    interval_s: float = param(0.05, help="seconds between counts")
    metrics_per_step: int = param(1, help="metric rows written per count")
    fail_at: int | None = param(None, help="raise an error at this count (tests the failure path)")
    spawn_child: bool = param(False, help="start a grandchild process that sleeps (tests tree kill)")
    ignore_stop: bool = param(False, help="ignore cooperative stop and SIGTERM (tests forced kill)")
    raise_on_stop: bool = param(False, help="stop by raising a PastError, as the pipeline's stages do")
    artifact_mb: float = param(0.0, help="write an artifact of this many MiB at the end")

    def validate(self) -> None:
        if self.n < 0:
            raise ValueError("n must be >= 0")
        if self.interval_s < 0:
            raise ValueError("interval_s must be >= 0")


def run(params: CountParams, ctx: JobContext) -> dict:
    offset = 0
    if "previous" in ctx.inputs:  # consume the upstream job's artifact by id
        previous = json.loads((ctx.inputs["previous"].path / "count.json").read_text())
        offset = previous["offset"] + previous["count"]
        ctx.reporter.log(f"continuing after job {ctx.inputs['previous'].job_id}: offset {offset}")
    start = 0
    ckpt = ctx.checkpoint_dir / "count.txt" if ctx.checkpoint_dir else None
    if ctx.resume and ckpt and ckpt.exists():
        start = int(ckpt.read_text())
        ctx.reporter.log(f"resuming from checkpoint at {start}")
    child = None
    if params.spawn_child:
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
        ctx.reporter.log(f"grandchild pid {child.pid}")
        ctx.write_json("grandchild.json", {"pid": child.pid})
    if params.ignore_stop:
        import signal

        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    ctx.reporter.log(f"counting from {start} to {params.n} (pid {os.getpid()})")
    i = start
    while i < params.n:
        if ctx.reporter.should_stop() and not params.ignore_stop:
            ctx.reporter.log(f"stopped at {i}")
            if params.raise_on_stop:
                raise PastError(f"stopped on request at {i}; rerun to resume")
            return {"count": i, "stopped": True}
        if params.fail_at is not None and i == params.fail_at:
            raise RuntimeError(f"selftest failure at {i}")
        i += 1
        for k in range(params.metrics_per_step):
            ctx.reporter.metric(i, f"value{k}" if k else "value", float(offset + i))
        ctx.reporter.progress(i / max(params.n, 1), f"counted {i}/{params.n}")
        if ckpt is not None:
            tmp = ckpt.with_suffix(".tmp")
            tmp.write_text(str(i))
            os.replace(tmp, ckpt)
        if params.interval_s:
            time.sleep(params.interval_s)
    if params.artifact_mb:
        ctx.artifacts.write_bytes(ctx.job_id, "blob.bin", b"\0" * int(params.artifact_mb * 1024 * 1024))
    ctx.write_json("count.json", {"count": i, "offset": offset, "started_from": start})
    return {"count": i, "offset": offset, "started_from": start}


KIND = JobKind(
    name="selftest.count",
    params=CountParams,
    run=run,
    description="Count to N with progress and metrics (checks the job runner).",
    resumable=True,
    inputs={
        "previous": InputSpec(
            help="continue counting after this job's count", kinds=("selftest.count",), required=False
        )
    },
)
