"""``selftest.ranks``: checks rank-aware jobs under ``accelerate launch`` with several processes.

Every rank takes its share of N items (item i goes to rank i mod world size, as a data-parallel trainer
shards its data) and says so on stdout (the job's log file). Work whose effect must happen once runs on
the main rank while the others wait: preparing a shared input (rank 0 writes it, the others read it
after, as synthesis before training does), writing the summary artifact, publishing a directory under
``<data>/selftest/<job id>``. Each rank prints when it got past the publishing barrier, so a test can
check that none went on before the main rank had published. Check an installation with
``past job submit --spec ranks.json`` where ``ranks.json`` holds
``{"kind": "selftest.ranks", "executor": "accelerate", "executor_options": {"cpu": true, "num_processes": 2}}``.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

from backend.jobs.kind import JobContext, JobKind
from backend.jobs.params import param
from past.numbers import COUNT, NON_NEGATIVE


@dataclass
class RanksParams:
    n: int = param(12, bounds=COUNT, help="items shared out between the ranks")
    prepare_s: float = param(0.5, bounds=NON_NEGATIVE, help="seconds the main rank takes to prepare the shared input")

    def validate(self) -> None:
        if self.n < 0 or self.prepare_s < 0:
            raise ValueError("n and prepare_s must be >= 0")


def run(params: RanksParams, ctx: JobContext) -> dict:
    from past import distributed

    rank, world = distributed.rank(), distributed.world_size()
    prepared = ctx.output_dir / "prepared.json"
    with distributed.main_process_first():
        if ctx.is_main:
            time.sleep(params.prepare_s)
            ctx.write_json(prepared.name, {"items": list(range(params.n)), "written_at": time.time()})
            ctx.reporter.log("prepared the shared input on the main rank")
        items = json.loads(prepared.read_text())["items"]
        print(f"rank {rank} read the prepared input at {time.time():.6f}", flush=True)
    mine = [i for i in items if i % world == rank]
    print(f"rank {rank} of {world}: {len(mine)} item(s) in pid {os.getpid()}", flush=True)
    for step, item in enumerate(mine, 1):
        ctx.reporter.metric(step, "item", float(item))  # the main rank's reporter writes; the others' do not
        ctx.reporter.progress(step / max(len(mine), 1), f"{step}/{len(mine)} item(s) on this rank")
    ctx.write_json("summary.json", {"world_size": world, "items": params.n})

    def fill(staging: Path) -> None:
        (staging / "published.json").write_text(json.dumps({"rank": rank, "at": time.time()}))

    target = ctx.publish(ctx.settings.data_dir / "selftest" / ctx.job_id, fill)
    print(f"rank {rank} got past the publishing barrier at {time.time():.6f}", flush=True)
    return {"world_size": world, "items": params.n, "published": str(target)}


KIND = JobKind(
    name="selftest.ranks",
    params=RanksParams,
    run=run,
    description="Share items between ranks; prepare, write and publish once (checks multi-process jobs).",
)
