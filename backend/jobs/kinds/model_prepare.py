"""``model.prepare``: convert and register the bundled default model (idempotent)."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from backend.jobs.kind import JobContext, JobKind


@dataclass
class PrepareParams:
    pass


def run(params: PrepareParams, ctx: JobContext) -> dict:
    del params
    from past.models import ModelRegistry

    record = ModelRegistry(ctx.settings).ensure_default(ctx.reporter.progress)
    ctx.reporter.log(f"default model {record.name} ready, fingerprint {record.fingerprint}")
    return {"model": asdict(record)}


KIND = JobKind(
    name="model.prepare",
    params=PrepareParams,
    run=run,
    description="Provision the default model into the model store.",
)
