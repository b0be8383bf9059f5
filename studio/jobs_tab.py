"""The Jobs screen: every background job with its state, progress, log tail and live curves.

Handlers are module-level functions of the studio's context and the components' values (bound with
``functools.partial``); ``render`` only lays the screen out and wires them.
"""

from __future__ import annotations

from typing import Any

import gradio as gr

from studio.bind import bind
from studio.context import StudioContext
from studio.errors import user_errors
from studio.job_view import JOB_COLUMNS, curves_figure, job_log_lines, job_rows, status_html
from studio.screen import OnLoad, StudioUI

INTRO = (
    "### Jobs\n"
    "Everything long — preparing data, training, building skills, evaluating — runs here in the "
    "background, in its own process. You can close the page: jobs keep running, and this list shows "
    "them again when you come back. Pick a job to see its log and curves. **Stop** asks the job to "
    "finish cleanly (forced after a grace period); **Resume** continues an interrupted or stopped job "
    "from its last checkpoint; **Run again** starts a failed one over."
)
REFRESH_S = 2.0


ACTIONS = (("cancel", "cancel_job"), ("resume", "resume_job"), ("retry", "retry_job"))  # (JobService verb, API name)


def choices(ctx: StudioContext) -> list[tuple[str, str]]:
    return [(f"{j.name or j.kind} · {j.state} · {j.id}", j.id) for j in ctx.jobs.list(limit=200)]


@user_errors
def refresh(ctx: StudioContext, job_id: str | None) -> tuple[Any, ...]:
    """(every job, the picker, the picked job's status, its log's own lines, its curves)."""
    jobs = ctx.jobs.list(limit=200)
    detail = ctx.jobs.get(job_id) if job_id else None
    log_text = job_log_lines(ctx.jobs.log_tail(job_id, max_bytes=32_000)) if job_id else ""
    figure = curves_figure(ctx.jobs, job_id) if job_id else None
    return job_rows(jobs), gr.update(choices=choices(ctx), value=job_id), status_html(detail), log_text, figure


@user_errors
def job_action(ctx: StudioContext, verb: str, job_id: str | None) -> tuple[Any, ...]:
    """Stop, resume or run again the picked job (``verb`` is the :class:`JobService` method), then refresh."""
    if not job_id:
        raise gr.Error("Pick a job first.")
    job = getattr(ctx.jobs, verb)(job_id)
    gr.Info(f"{job.name or job.kind}: {job.state}")
    return refresh(ctx, job_id)


def render(ctx: StudioContext, ui: StudioUI | None = None) -> list[OnLoad]:
    gr.Markdown(INTRO)
    table = gr.Dataframe(headers=JOB_COLUMNS, interactive=False, label="All jobs (newest first)", elem_id="jobs-table")
    with gr.Row():
        picked = gr.Dropdown([], label="Job", allow_custom_value=True, scale=3, elem_id="jobs-pick")
        cancel = gr.Button("Stop", variant="stop", scale=1, elem_id="jobs-cancel")
        resume = gr.Button("Resume", scale=1, elem_id="jobs-resume")
        retry = gr.Button("Run again", scale=1, elem_id="jobs-retry")
    status = gr.HTML(status_html(None), elem_id="jobs-status")
    curves = gr.Plot(label="Curves", elem_id="jobs-curves")
    log = gr.Textbox(
        label="Log (the job's last lines; progress bars and library warnings left out)",
        lines=12,
        max_lines=12,
        autoscroll=True,
        elem_id="jobs-log",
    )
    timer = gr.Timer(REFRESH_S)

    outputs = [table, picked, status, log, curves]
    watch = bind(refresh, ctx)
    timer.tick(watch, picked, outputs, api_name=False, show_progress="hidden")
    picked.change(watch, picked, outputs, api_name=False)
    for button, (verb, api_name) in zip((cancel, resume, retry), ACTIONS, strict=True):
        handler = ctx.guard.editor(f"{verb}_job", target=0)(bind(job_action, ctx, verb))
        button.click(handler, picked, outputs, api_name=api_name)
    return [OnLoad(watch, [picked], outputs)]
