"""Pieces every job-watching screen shares: a status line with a progress bar, log tail, curves.

They read the store only, so a reloaded page (or another browser) shows the same job as it runs:
watching never owns the job, which lives in its own worker process.
"""

from __future__ import annotations

import html
import re
import time
from typing import Any

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from backend.jobs.service import JobService
from backend.store import JobRecord

STATE_WORDS = {
    "queued": "waiting to start",
    "running": "running",
    "succeeded": "finished",
    "failed": "failed",
    "cancelled": "cancelled",
    "interrupted": "interrupted (the studio stopped while it ran; press Resume)",
}
STATE_COLOURS = {"succeeded": "#2e7d32", "failed": "#c62828", "cancelled": "#6d4c41", "interrupted": "#ef6c00"}
CURVE_METRICS = ("loss", "reward", "kl", "accuracy", "eval_loss")


def elapsed(job: JobRecord) -> str:
    if not job.started_at:
        return "–"
    seconds = (job.finished_at or time.time()) - job.started_at
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes}m {secs:02d}s" if minutes else f"{secs}s"


def title(job: JobRecord) -> str:
    return job.name or job.kind


def status_html(job: JobRecord | None) -> str:
    """A plain-language status with a progress bar (HTML)."""
    if job is None:
        return "<p>No job selected.</p>"
    pct = max(0.0, min(1.0, job.progress or 0.0)) * 100
    colour = STATE_COLOURS.get(job.state, "#1565c0")
    words = STATE_WORDS.get(job.state, job.state)
    message = html.escape(job.message or "")
    error = f"<p style='color:#c62828'><b>Why:</b> {html.escape(job.error)}</p>" if job.error else ""
    return (
        f"<div class='job-status' data-state='{job.state}'>"
        f"<p><b>{html.escape(title(job))}</b> <code>{job.id}</code> — <span style='color:{colour}'>{words}</span>"
        f" · {elapsed(job)}</p>"
        f"<div style='background:#e0e0e0;border-radius:4px;height:14px;width:100%'>"
        f"<div class='job-progress' style='background:{colour};height:14px;border-radius:4px;width:{pct:.1f}%'></div>"
        f"</div><p>{pct:.0f}% {message}</p>{error}</div>"
    )


PROGRESS_BAR = re.compile(r"\d+%\||\d+(?:\.\d+)?(?:it/s|s/it)\]|^\s*\|?[█▏▎▍▌▋▊▉ ]+\|")
WARNING = re.compile(r"\.py:\d+: \w*Warning\b|^\s*warnings\.warn\(|^\s*warn\(")


def job_log_lines(text: str, keep: int = 40) -> str:
    """The job's own lines from a worker's log: progress-bar redraws (tqdm) and library warnings (a
    ``FutureWarning`` and the ``warnings.warn(`` line under it) left out; the last ``keep`` lines."""
    lines = []
    for raw in text.splitlines():
        line = raw.rsplit("\r", 1)[-1].rstrip()  # a redrawn line: only its last state
        if not line.strip() or PROGRESS_BAR.search(line) or WARNING.search(line):
            continue
        lines.append(line)
    return "\n".join(lines[-keep:])


def curves_figure(service: JobService, job_id: str) -> go.Figure | None:
    """Loss / reward / KL curves of a job, one panel per metric; None when it has none yet."""
    names = [n for n in service.metric_names(job_id) if n in CURVE_METRICS or n.endswith(("loss", "reward", "kl"))]
    if not names:
        return None
    fig = make_subplots(rows=1, cols=len(names), subplot_titles=names)
    for i, name in enumerate(names, start=1):
        series = service.metric_series(job_id, name)
        fig.add_trace(
            go.Scatter(x=[p["step"] for p in series], y=[p["value"] for p in series], mode="lines", name=name),
            row=1,
            col=i,
        )
    fig.update_layout(height=280, showlegend=False, margin={"l": 40, "r": 10, "t": 40, "b": 30})
    return fig


def job_rows(jobs: list[JobRecord]) -> list[list[Any]]:
    return [[j.id, title(j), j.state, f"{(j.progress or 0) * 100:.0f}%", j.message or "", elapsed(j)] for j in jobs]


JOB_COLUMNS = ["id", "job", "state", "progress", "message", "elapsed"]
