"""Built-in job kinds, one module each, listed in ``backend.jobs.registry.KIND_MODULES``.

Adding a kind (e.g. ``sft.train``) is one module here plus one line in ``KIND_MODULES``::

    @dataclass
    class SftParams:                      # the schema: types, defaults, help -> forms and CLI flags
        model: str = param("default", help="base model reference")
        epochs: int = param(1, help="passes over the documents")

    def run(params: SftParams, ctx: JobContext) -> dict:
        from past.training.sft import train_sft   # heavy imports inside run()
        docs = ctx.inputs["documents"].path       # upstream artifacts, consumed by job id
        out = train_sft(..., output_dir=ctx.output_dir, checkpoint_dir=ctx.checkpoint_dir,
                        resume=ctx.resume, reporter=ctx.reporter)   # progress/metric/log/should_stop
        return {"model_dir": str(out)}        # stored as the job's result (and result.json)

    KIND = JobKind(name="sft.train", params=SftParams, run=run, resumable=True,
                   inputs={"documents": InputSpec(kinds=("synthesis.generate",))},
                   resources=("gpu",), executor="local")

Write files through ``ctx.artifacts.write_bytes`` / ``ctx.write_json`` (atomic) and directories through
``with ctx.artifacts.atomic_dir(ctx.job_id, "model") as tmp:``; raise a ``PastError`` subclass for
user-facing failures.
"""
