"""The Analyse screen: orthogonality heatmaps between any two weight deltas, with a control pair, and the
results of finished evaluations and λ sweeps."""

from __future__ import annotations

import gradio as gr

from past.skills import analyze, heatmap_figure
from past.skills.ops.analyze import write_report
from studio.context import StudioContext
from studio.downloads import download_dir
from studio.errors import user_errors
from studio.eval_view import (
    SUMMARY_COLUMNS,
    accuracy_figure,
    finished_eval_jobs,
    job_choice,
    load_results,
    plain_summary,
    summary_rows,
)
from studio.screen import OnLoad, StudioUI

INTRO = (
    "### Analyse\n"
    "PaST works because what a model learns from documents (fine-tuning) and what it learns from practice "
    "(reinforcement learning) change its weights in nearly **independent directions**. Pick two weight "
    "changes (skills or fine-tunes in the library, or folders) to see, layer by layer, how aligned they are: "
    "0 (white) means independent, red or blue means they overlap. Add a control pair — two fine-tunes on "
    "different documents — to compare against."
)


def render(ctx: StudioContext, ui: StudioUI | None = None) -> list[OnLoad]:
    gr.Markdown(INTRO)
    with gr.Row():
        a = gr.Dropdown([], allow_custom_value=True, label="First change (e.g. the SFT update)", elem_id="an-a")
        b = gr.Dropdown([], allow_custom_value=True, label="Second change (e.g. the RL skill)", elem_id="an-b")
    with gr.Row():
        c = gr.Dropdown([], allow_custom_value=True, label="Control: first (optional)", elem_id="an-c")
        d = gr.Dropdown([], allow_custom_value=True, label="Control: second (optional)", elem_id="an-d")
    run_btn = gr.Button("Compare", variant="primary", elem_id="an-run")
    summary = gr.Markdown("", elem_id="an-summary")
    heatmap = gr.Plot(label="Layer × module cosine similarity", elem_id="an-heatmap")
    files = gr.File(label="Tables (JSON, CSV) and the interactive heatmap (HTML)", file_count="multiple")

    def choices():
        names = [m.name for m in ctx.skills.list()]
        return [gr.update(choices=names) for _ in range(4)]

    @user_errors
    def compare(first: str, second: str, third: str, fourth: str, progress=gr.Progress()):  # noqa: B008
        if not first or not second:
            raise gr.Error("Pick two changes to compare.")
        pairs = [(first, second)]
        if third or fourth:
            if not (third and fourth):
                raise gr.Error("A control pair needs both of its changes.")
            pairs.append((third, fourth))
        tables = []
        for i, (x, y) in enumerate(pairs):
            progress(i / len(pairs), desc=f"comparing {x} and {y}")
            policy = ctx.guard.policy  # an exposed studio reads only folders inside the data directory
            with ctx.skills.resolve(policy.skill_ref(x)) as left, ctx.skills.resolve(policy.skill_ref(y)) as right:
                label = f"{left.name} vs {right.name}" + (" (control)" if i else "")
                tables.append(analyze(left, right, label=label))
        out = download_dir(ctx.settings, "analysis-")
        write_report(tables, html=out / "heatmap.html", json_path=out / "cosine.json", csv_path=out / "cosine.csv")
        lines = []
        for t in tables:
            s = t.summary()
            lines.append(
                f"- **{t.label}**: mean |cos| {s['mean_abs_cosine']:.4f}, largest |cos| {s['max_abs_cosine']:.4f}, "
                f"overall cosine {s.get('global_cosine', float('nan')):.4f} over {len(t.rows)} matrices"
            )
        verdict = "Values near 0 mean the two changes are nearly independent, so adding one to the other keeps both."
        return "\n".join([*lines, "", verdict]), heatmap_figure(tables), [str(p) for p in sorted(out.iterdir())]

    ctx.guard.editor_only(run_btn)
    run_btn.click(
        ctx.guard.editor("analyze", target=lambda *refs: " vs ".join(str(r) for r in refs[:4] if r))(compare),
        [a, b, c, d],
        [summary, heatmap, files],
        api_name="analyze",
    )
    eval_hooks = _evaluation_results(ctx)
    return [OnLoad(choices, [], [a, b, c, d]), *eval_hooks]


EVAL_INTRO = (
    "### Evaluation and λ-sweep results\n"
    "Every finished evaluation (from the Evaluate screen or the `evaluate` job). Pick one to see how often "
    "each model answered correctly, and for a λ sweep how accuracy changes with the skill's strength."
)


def _evaluation_results(ctx: StudioContext) -> list[OnLoad]:
    gr.Markdown(EVAL_INTRO)
    with gr.Row():
        picked = gr.Dropdown(
            [], label="Finished evaluation", scale=4, min_width=280, elem_id="an-eval-pick", allow_custom_value=True
        )
        reload_btn = gr.Button("Refresh list", scale=1)
    words = gr.Markdown("", elem_id="an-eval-summary")
    table = gr.Dataframe(headers=SUMMARY_COLUMNS, interactive=False, label="Results", elem_id="an-eval-table")
    chart = gr.Plot(label="Accuracy", elem_id="an-eval-chart")

    def listing(current: str | None):
        jobs = finished_eval_jobs(ctx.jobs)
        ids = [j.id for j in jobs]
        value = current if current in ids else (ids[0] if ids else None)
        return gr.update(choices=[job_choice(j) for j in jobs], value=value)

    @user_errors
    def show(job_id: str | None):
        if not job_id:
            return "No finished evaluation yet: run one on the Evaluate screen.", [], None
        comparisons = load_results(ctx.jobs, job_id)
        if not comparisons:
            return "This evaluation's result files are missing (deleted?).", [], None
        return plain_summary(ctx.jobs.get(job_id)), summary_rows(comparisons), accuracy_figure(comparisons)

    reload_btn.click(listing, picked, picked, api_name=False)
    picked.change(show, picked, [words, table, chart], api_name="evaluation_results")
    return [OnLoad(listing, [picked], [picked])]
