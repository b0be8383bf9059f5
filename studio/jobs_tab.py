"""The Jobs screen: every background job with its state, progress, log tail and live curves."""

from __future__ import annotations

import gradio as gr

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

    def choices() -> list[tuple[str, str]]:
        return [(f"{j.name or j.kind} · {j.state} · {j.id}", j.id) for j in ctx.jobs.list(limit=200)]

    @user_errors
    def refresh(job_id: str | None):
        jobs = ctx.jobs.list(limit=200)
        detail = ctx.jobs.get(job_id) if job_id else None
        log_text = job_log_lines(ctx.jobs.log_tail(job_id, max_bytes=32_000)) if job_id else ""
        figure = curves_figure(ctx.jobs, job_id) if job_id else None
        return (
            job_rows(jobs),
            gr.update(choices=choices(), value=job_id),
            status_html(detail),
            log_text,
            figure,
        )

    outputs = [table, picked, status, log, curves]
    timer.tick(refresh, picked, outputs, api_name=False, show_progress="hidden")
    picked.change(refresh, picked, outputs, api_name=False)

    def action(verb: str):
        @ctx.guard.editor(f"{verb}_job", target=0)
        @user_errors
        def run(job_id: str | None):
            if not job_id:
                raise gr.Error("Pick a job first.")
            job = getattr(ctx.jobs, verb)(job_id)
            gr.Info(f"{job.name or job.kind}: {job.state}")
            return refresh(job_id)

        return run

    cancel.click(action("cancel"), picked, outputs, api_name="cancel_job")
    resume.click(action("resume"), picked, outputs, api_name="resume_job")
    retry.click(action("retry"), picked, outputs, api_name="retry_job")
    return [OnLoad(refresh, [picked], outputs)]
