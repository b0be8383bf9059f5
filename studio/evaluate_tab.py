"""The Evaluate screen: closed-book QA of chosen models on a collection's questions, as a background job.

Launch submits an ``evaluate`` job; a timer watches it through the store, so a reloaded page finds
the latest evaluation again. When it has finished: a table (accuracy ± sd, mean F1), a bar chart and
every question's answer. A tools collection with tool-use queries (StableToolBench query files) is evaluated
as tool use: the table shows each model's pass rate, valid-call rate, format and finish rates, and the details
the same per category.

Handlers are module-level functions of the studio's context and the components' values (bound with
``functools.partial``); ``render`` only lays the screen out and wires them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gradio as gr

from backend.adapter_catalog import find_adapters
from backend.tool_collections import ToolCollections
from past.skills.lambdas import check_lambda
from studio.bind import bind
from studio.buttons import busy, ready
from studio.context import StudioContext
from studio.errors import user_errors
from studio.eval_view import (
    EVAL_KIND,
    QUESTION_COLUMNS,
    SUMMARY_COLUMNS,
    accuracy_figure,
    is_tool_use,
    load_results,
    plain_summary,
    question_rows,
    result_files,
    summary_rows,
    tool_tables,
)
from studio.job_view import status_html
from studio.screen import OnLoad, StudioUI
from studio.upload_row import upload_row

REFRESH_S = 2.0
INTRO = (
    "### Evaluate\n"
    "Check how well models **know the documents**: each model is asked the collection's questions "
    "*without* seeing the documents (closed book), and each answer is compared with the reference answer. "
    "The score is the share of questions answered correctly. Pick the models to compare (for example the "
    "fine-tuned model and the one with a skill added), a collection that has questions, and press **Launch**. "
    "The evaluation runs in the background; you may leave the page and come back."
)
QA_HELP = (
    'Questions are uploaded as a `.qa.json` file: `{"doc_id": ..., "questions": [{"question": ..., '
    '"answer": ...}, ...]}` (the format of the example files that come with PaST Studio), or as a LooGLE '
    "`.jsonl` file (long documents with their questions; a malformed line is refused, naming the line)."
)
WITH_DOCUMENTS = (
    "Also answer with the documents (retrieval): each model again, with the collection's best-matching "
    "passages in front of each question (shown as 'MODEL + documents')"
)
SWEEP_TITLE = "λ sweep (for ML staff): how the skill's strength λ changes accuracy"
SWEEP_VALUES = (
    "λ values: the skill's strength, 0 = without it, 1 = as built (comma-separated, e.g. 0, 0.5, 1; empty = no sweep)"
)
JUDGE_CHOICES = [
    ("Word overlap with the reference answer (fast)", "rule"),
    ("A language model grades each answer yes/no (slower)", "llm"),
]


def model_choices(ctx: StudioContext) -> list[tuple[str, str]]:
    """Registered models, then each adapter on its base model, as (label, model spec)."""
    names = [r.name for r in ctx.registry.list()]
    choices = [(name, name) for name in names]
    for adapter in find_adapters(ctx.settings):
        base = "default"
        try:
            config = json.loads((adapter / "adapter_config.json").read_text())
            base_name = Path(str(config.get("base_model_name_or_path") or "")).name
            base = base_name if base_name in names else "default"
        except (OSError, json.JSONDecodeError):
            pass
        label = f"{adapter.name} (adapter on {base})"
        choices.append((label, f"{label}={base}+{adapter}"))
    return choices


def collections_update(ctx: StudioContext, selected: str | None = None) -> dict[str, Any]:
    """The collections that have questions (or tool-use queries), keeping ``selected`` if it is one."""
    names = ctx.documents.question_collections() + ToolCollections(ctx.settings, ctx.store).query_collections()
    value = selected if selected in names else (names[0] if names else None)
    return gr.update(choices=names, value=value)


def _controls(running: bool) -> tuple[Any, Any]:
    """Launch enabled and the timer stopped when nothing runs; the other way round while a job runs."""
    return gr.update(interactive=not running), gr.Timer(active=running)


@user_errors
def refresh(ctx: StudioContext, current: str | None, already: str) -> tuple[Any, ...]:
    """The watched job's status; its results once it has succeeded (drawn once: ``already`` is the job shown)."""
    if not current:
        return status_html(None), *(gr.skip(),) * 5, already, *_controls(False)
    job = ctx.jobs.get(current)
    controls = _controls(not job.terminal)
    if job.state != "succeeded":
        empty = ([], None, [], None) if job.terminal else (gr.skip(),) * 4
        return status_html(job), plain_summary(job), *empty, "", *controls
    if already == current:
        return status_html(job), *(gr.skip(),) * 5, already, *controls
    if is_tool_use(job):  # a tools collection: pass rate, valid-call rate ... per model and per category
        rates, per_category = tool_tables(job.result or {})
        files = result_files(ctx.jobs, current)
        return status_html(job), plain_summary(job), rates, None, per_category, files, current, *controls
    comparisons = load_results(ctx.jobs, current)
    drawn = summary_rows(comparisons), accuracy_figure(comparisons), question_rows(comparisons)
    return status_html(job), plain_summary(job), *drawn, result_files(ctx.jobs, current), current, *controls


@user_errors
def launch(
    ctx: StudioContext,
    picked: list[str] | None,
    source: str | None,
    grader: str,
    tokens: float,
    most: float,
    skill: str | None,
    target: str | None,
    lambdas: str,
    with_documents: bool = False,
) -> tuple[Any, ...]:
    """Submit the evaluation (a λ sweep too when λ values are given); a missing choice is a plain error."""
    lam_values = sweep_lambdas(lambdas)
    if not picked and not lam_values:
        raise gr.Error("Pick at least one model to evaluate.")
    if not source:
        raise gr.Error("Pick a collection that has questions (or add a question file first).")
    params: dict[str, Any] = {
        "models": list(picked or []),
        "collection": source,
        "judge": grader or "rule",
        "max_new_tokens": int(tokens or 32),
        "limit": int(most) if most else None,
    }
    if with_documents:
        params["with_documents"] = True
    if lam_values:
        if not skill or not target:
            raise gr.Error("A λ sweep needs a skill and a target model.")
        params.update(sweep_lambdas=lam_values, sweep_skill=skill, sweep_target=target)
    job = ctx.jobs.submit(EVAL_KIND, params, name=f"evaluate on {source}")
    gr.Info("Evaluation started; it runs in the background.")
    return job.id, status_html(job), "", [], None, [], None, "", *_controls(True)


@user_errors
def attach(ctx: StudioContext, path: str | None, target: str | None) -> tuple[str, None, dict[str, Any]]:
    """Attach a question file to a collection; the collection picker then shows it."""
    if not path:
        raise gr.Error("Choose a question file first.")
    row = ctx.documents.upload_qa_path(ctx.guard.policy.path(path, "question file"), target or "default")
    meta = row["meta"]
    message = (
        f"✓ **{meta['n_questions']} questions** from {meta['file_name']} are attached to collection "
        f"**{meta['collection']}**."
    )
    return message, None, collections_update(ctx, meta["collection"])


def on_load(ctx: StudioContext) -> tuple[Any, ...]:
    """The pickers' choices and the latest evaluation, watched again."""
    latest = ctx.jobs.list(kind=EVAL_KIND, limit=1)
    current = latest[0].id if latest else ""
    choices = model_choices(ctx)
    skills = [m.name for m in ctx.skills.list()]
    docs_collections = sorted({*ctx.documents.collections(), *ctx.documents.question_collections(), "default"})
    return (
        gr.update(choices=choices, value=[choices[0][1]] if choices else []),
        collections_update(ctx),
        gr.update(choices=docs_collections),
        gr.update(choices=skills),
        gr.update(choices=[(label, spec.split("=", 1)[-1]) for label, spec in choices]),
        current,
        *refresh(ctx, current, ""),
    )


def enable_if_failed(ctx: StudioContext, current: str | None) -> dict[str, Any]:
    """After Launch: the button comes back at once if nothing was submitted (an error), else when it ends."""
    if not current:
        return gr.update(interactive=True)
    return gr.update(interactive=ctx.jobs.get(current).terminal)


def sweep_lambdas(text: str | None) -> list[float]:
    """The λ values of the sweep box; a bad one is a :class:`LambdaError` (shown in the page)."""
    parts = [part.strip() for part in (text or "").replace(";", ",").split(",")]
    return [check_lambda(part, f"λ {part!r}") for part in parts if part]


@dataclass(frozen=True)
class Form:
    """What the user picks: models, collection, grading, the optional λ sweep, and the question upload."""

    models: gr.Dropdown
    collection: gr.Dropdown
    with_docs: gr.Checkbox
    judge: gr.Radio
    max_tokens: gr.Slider
    limit: gr.Number
    sweep_skill: gr.Dropdown
    sweep_target: gr.Dropdown
    sweep_lambdas: gr.Textbox
    add_questions: gr.Accordion
    qa_file: gr.File
    qa_collection: gr.Dropdown
    attach_btn: gr.Button
    attach_msg: gr.Markdown

    def launch_inputs(self) -> list[Any]:
        return [
            self.models,
            self.collection,
            self.judge,
            self.max_tokens,
            self.limit,
            self.sweep_skill,
            self.sweep_target,
            self.sweep_lambdas,
            self.with_docs,
        ]


@dataclass(frozen=True)
class Results:
    """The watched job and what it shows once finished."""

    launch_btn: gr.Button
    job_id: gr.Textbox
    status: gr.HTML
    summary: gr.Markdown
    table: gr.Dataframe
    chart: gr.Plot
    details: gr.Dataframe
    files: gr.File
    shown: gr.State
    timer: gr.Timer

    def watched(self) -> list[Any]:
        """What :func:`refresh` updates, in its order."""
        return [self.status, self.summary, self.table, self.chart, self.details, self.files, self.shown]


def _form() -> Form:
    with gr.Row():
        models = gr.Dropdown(
            [],
            multiselect=True,
            label="Models to compare",
            scale=3,
            min_width=280,
            elem_id="ev-models",
            allow_custom_value=True,
        )
        collection = gr.Dropdown(
            [],
            label="Questions from collection",
            scale=2,
            min_width=240,
            elem_id="ev-collection",
            allow_custom_value=True,
        )
    with_docs = gr.Checkbox(False, label=WITH_DOCUMENTS, elem_id="ev-with-documents")
    with gr.Accordion("Add questions to a collection", open=False, elem_id="ev-add-questions") as add_questions:
        gr.Markdown(QA_HELP)
        row = upload_row(
            "ev",
            "Question file (.json, or LooGLE .jsonl)",
            "Attach to collection",
            "Add questions",
            file_types=[".json", ".jsonl"],
            multiple=False,
            primary=False,
            ids=("qa-file", "qa-collection", "attach"),
        )
        attach_msg = gr.Markdown("", elem_id="ev-attach-msg")
    with gr.Row():
        judge = gr.Radio(JUDGE_CHOICES, value="rule", label="How answers are graded", scale=3, min_width=280)
        max_tokens = gr.Slider(
            8, 128, value=32, step=8, label="Longest answer (tokens, about ¾ of a word each)", scale=2
        )
        limit = gr.Number(0, precision=0, minimum=0, label="Ask at most (0 = all questions)", scale=1)
    with gr.Accordion(SWEEP_TITLE, open=False), gr.Row():
        sweep_skill = gr.Dropdown([], label="Skill", allow_custom_value=True)
        sweep_target = gr.Dropdown([], label="Target model (the skill is added to it)", allow_custom_value=True)
        sweep_lambdas = gr.Textbox("", label=SWEEP_VALUES)
    return Form(
        models, collection, with_docs, judge, max_tokens, limit, sweep_skill, sweep_target, sweep_lambdas,
        add_questions, row.files, row.collection, row.button, attach_msg,
    )  # fmt: skip


def _results() -> Results:
    launch_btn = gr.Button("Launch evaluation", variant="primary", elem_id="ev-launch")
    job_id = gr.Textbox("", label="Evaluation job", interactive=False, elem_id="ev-job")
    status = gr.HTML(status_html(None), elem_id="ev-status")
    summary = gr.Markdown("", elem_id="ev-summary")
    table = gr.Dataframe(headers=SUMMARY_COLUMNS, interactive=False, label="Results", elem_id="ev-table")
    chart = gr.Plot(label="Accuracy (share of questions answered correctly)", elem_id="ev-chart")
    with gr.Accordion("Every question and answer", open=False):
        details = gr.Dataframe(headers=QUESTION_COLUMNS, interactive=False, wrap=True, elem_id="ev-details")
    files = gr.File(label="Download: results (JSON, CSV) and chart (HTML)", file_count="multiple")
    shown = gr.State("")  # the finished job whose results are on the page (skip redrawing them)
    timer = gr.Timer(REFRESH_S, active=False)
    return Results(launch_btn, job_id, status, summary, table, chart, details, files, shown, timer)


def render(ctx: StudioContext, ui: StudioUI | None = None) -> list[OnLoad]:
    gr.Markdown(INTRO)
    form = _form()
    out = _results()
    guard = ctx.guard
    guard.editor_only(form.add_questions, out.launch_btn)
    submit = guard.editor("evaluate", target=_launch_target)(bind(launch, ctx))
    add = guard.editor("attach_questions", target=_attach_target)(bind(attach, ctx))
    watch = bind(refresh, ctx)
    watched = [*out.watched(), out.launch_btn, out.timer]
    out.timer.tick(watch, [out.job_id, out.shown], watched, api_name=False, show_progress="hidden")
    out.launch_btn.click(busy, None, out.launch_btn, api_name=False, queue=False).then(
        submit, form.launch_inputs(), [out.job_id, *watched], api_name="evaluate"
    ).then(bind(enable_if_failed, ctx), out.job_id, out.launch_btn, api_name=False)
    form.attach_btn.click(busy, None, form.attach_btn, api_name=False, queue=False).then(
        add, [form.qa_file, form.qa_collection], [form.attach_msg, form.qa_file, form.collection],
        api_name="attach_questions",
    ).then(ready, None, form.attach_btn, api_name=False, queue=False)  # fmt: skip
    status_api = gr.Button(visible=False)
    status_api.click(watch, [out.job_id, out.shown], watched, api_name="evaluate_status")
    pickers = [form.models, form.collection, form.qa_collection, form.sweep_skill, form.sweep_target]
    return [OnLoad(bind(on_load, ctx), [], [*pickers, out.job_id, *watched])]


def _launch_target(models: list[str] | None, source: str | None, *_: Any) -> str:
    return f"{source}: {', '.join(models or [])}"


def _attach_target(path: str | None, target: str | None) -> str:
    return f"{target}: {str(path or '').rsplit('/', 1)[-1]}"
