"""The Analyse screen: orthogonality heatmaps between any two weight changes (a skill, an adapted model's
fine-tune, a folder), with a control pair, and the results of finished evaluations and λ sweeps.

The comparison runs in ``backend.analysis``; the handlers here are module-level functions of the studio's
context and the components' values (``functools.partial`` binds the context), so they are tested directly.
"""

from __future__ import annotations

from typing import Any

import gradio as gr

from backend.analysis import PairSummary, compare, delta_choices
from studio.bind import bind
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
from studio.words import COSINE_WORDS

INTRO = (
    "### Analyse\n"
    "PaST works because what a model learns from documents (fine-tuning) and what it learns from practice "
    "(reinforcement learning) change its weights in nearly **independent directions**. Pick two weight "
    "changes to see, layer by layer, how aligned they are: 0 (white) means independent, red or blue means they "
    "overlap. A change is a skill of the library, or a model you adapted on the Adapt screen: its fine-tune on "
    'your documents (the "SFT update"), or its fine-tune with the skill added. Add a control pair — two '
    "fine-tunes on different documents — to compare against."
)
PICKERS = (
    ("First change: e.g. an adapted model's fine-tune on its documents (the SFT update)", "an-a"),
    ("Second change: e.g. the skill added to it (the RL update)", "an-b"),
    ("Control: first (optional), e.g. another fine-tune", "an-c"),
    ("Control: second (optional), e.g. a fine-tune on different documents", "an-d"),
)
PICK_TWO = "**Pick two changes to compare** (the *First change* and *Second change* lists above)."
PICK_CONTROL = "**A control pair needs both of its changes** (the two *Control* lists above), or neither."
VERDICT = "Values near 0 mean the two changes are nearly independent, so adding one to the other keeps both."
EVAL_INTRO = (
    "### Evaluation and λ-sweep results\n"
    "Every finished evaluation (from the Evaluate screen or the `evaluate` job). Pick one to see how often "
    "each model answered correctly, and for a λ sweep (λ is the skill's strength) how accuracy changes with it."
)


def picker_choices(ctx: StudioContext) -> list[dict[str, Any]]:
    """The four pickers' choices: the library's skills and the adapted models' adapters."""
    choices = delta_choices(ctx.settings, ctx.skills, ctx.guard.policy)
    return [gr.update(choices=choices) for _ in PICKERS]


def pair_line(pair: PairSummary) -> str:
    if not pair.matrices:
        return f"- **{pair.label}**: the two changes share no weight matrix (were they made on different models?)"
    return (
        f"- **{pair.label}**: mean |cos| {pair.mean_abs_cosine:.4f}, largest |cos| {pair.max_abs_cosine:.4f}, "
        f"overall cosine {pair.global_cosine:.4f} over {pair.matrices} matrices"
    )


@user_errors
def compare_changes(
    ctx: StudioContext,
    first: str | None,
    second: str | None,
    third: str | None,
    fourth: str | None,
    progress: gr.Progress = gr.Progress(),  # noqa: B008
) -> tuple[str, Any, Any]:
    """(summary, heatmap, files); a missing pick is said where the summary goes and clears the old result."""
    if not first or not second:
        return PICK_TWO, None, None
    pairs = [(first, second)]
    if third or fourth:
        if not (third and fourth):
            return PICK_CONTROL, None, None
        pairs.append((third, fourth))
    policy = ctx.guard.policy  # an exposed studio reads only folders inside the data directory
    checked = [(policy.skill_ref(x), policy.skill_ref(y)) for x, y in pairs]
    out = download_dir(ctx.settings, "analysis-")
    result = compare(ctx.settings, ctx.skills, checked, out, lambda done, text: progress(done, desc=text))
    summary = "\n".join([*map(pair_line, result.pairs), "", COSINE_WORDS, "", VERDICT])
    return policy.hide_paths(summary), result.figure, [str(p) for p in result.files]


def eval_listing(ctx: StudioContext, current: str | None) -> dict[str, Any]:
    jobs = finished_eval_jobs(ctx.jobs)
    ids = [j.id for j in jobs]
    value = current if current in ids else (ids[0] if ids else None)
    return gr.update(choices=[job_choice(j) for j in jobs], value=value)


@user_errors
def show_evaluation(ctx: StudioContext, job_id: str | None) -> tuple[str, list, Any]:
    if not job_id:
        return "No finished evaluation yet: run one on the Evaluate screen.", [], None
    comparisons = load_results(ctx.jobs, job_id)
    if not comparisons:
        return "This evaluation's result files are missing (deleted?).", [], None
    return plain_summary(ctx.jobs.get(job_id)), summary_rows(comparisons), accuracy_figure(comparisons)


def render(ctx: StudioContext, ui: StudioUI | None = None) -> list[OnLoad]:
    gr.Markdown(INTRO)
    pickers = []
    for row in (PICKERS[:2], PICKERS[2:]):
        with gr.Row():
            pickers += [gr.Dropdown([], allow_custom_value=True, label=label, elem_id=eid) for label, eid in row]
    run_btn = gr.Button("Compare", variant="primary", elem_id="an-run")
    summary = gr.Markdown("", elem_id="an-summary")
    heatmap = gr.Plot(label="Overlap of the two changes per layer and weight matrix (cosine)", elem_id="an-heatmap")
    files = gr.File(label="Tables (JSON, CSV) and the interactive heatmap (HTML)", file_count="multiple")
    ctx.guard.editor_only(run_btn)
    handler = ctx.guard.editor("analyze", target=_audit_target)(bind(compare_changes, ctx))
    run_btn.click(handler, pickers, [summary, heatmap, files], api_name="analyze")
    for picker in pickers:  # a mistake said in the summary stays until a pick changes
        picker.input(_clear_mistake, summary, summary, api_name=False)
    return [OnLoad(bind(picker_choices, ctx), [], pickers), *_evaluation_results(ctx)]


def _audit_target(*refs: str | None) -> str:
    return " vs ".join(str(r) for r in refs[:4] if r)


def _clear_mistake(shown: str) -> Any:
    return "" if shown in (PICK_TWO, PICK_CONTROL) else gr.skip()


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
    listing = bind(eval_listing, ctx)
    reload_btn.click(listing, picked, picked, api_name=False)
    picked.change(bind(show_evaluation, ctx), picked, [words, table, chart], api_name="evaluation_results")
    return [OnLoad(listing, [picked], [picked])]
