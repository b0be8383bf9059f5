"""The Evaluate screen: closed-book QA of chosen models on a collection's questions, as a background job.

Launch submits an ``evaluate`` job; a timer watches it through the store, so a reloaded page finds
the latest evaluation again. When it has finished: a table (accuracy ± sd, mean F1), a bar chart and
every question's answer. A tools collection with tool-use queries (StableToolBench query files) is evaluated
as tool use: the table shows each model's pass rate, valid-call rate, format and finish rates, and the details
the same per category.
"""

from __future__ import annotations

import json
from pathlib import Path

import gradio as gr

from backend.adapter_catalog import find_adapters
from backend.tool_collections import ToolCollections
from past.skills.lambdas import check_lambda
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


def render(ctx: StudioContext, ui: StudioUI | None = None) -> list[OnLoad]:
    gr.Markdown(INTRO)
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
    with_docs = gr.Checkbox(
        False,
        label="Also answer with the documents (retrieval): each model again, with the collection's best-matching "
        "passages in front of each question (shown as 'MODEL + documents')",
        elem_id="ev-with-documents",
    )
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
        qa_file, qa_collection, attach_btn = row.files, row.collection, row.button
        attach_msg = gr.Markdown("", elem_id="ev-attach-msg")
    with gr.Row():
        judge = gr.Radio(JUDGE_CHOICES, value="rule", label="How answers are graded", scale=3, min_width=280)
        max_tokens = gr.Slider(8, 128, value=32, step=8, label="Longest answer (tokens)", scale=2)
        limit = gr.Number(0, precision=0, minimum=0, label="Ask at most (0 = all questions)", scale=1)
    with gr.Accordion("λ sweep (for ML staff): how the skill strength changes accuracy", open=False), gr.Row():
        sweep_skill = gr.Dropdown([], label="Skill", allow_custom_value=True)
        sweep_target = gr.Dropdown([], label="Target model", allow_custom_value=True)
        sweep_lambdas = gr.Textbox("", label="λ values (comma-separated, e.g. 0, 0.5, 1; empty = no sweep)")
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

    def collections_update(selected: str | None = None):
        names = ctx.documents.question_collections() + ToolCollections(ctx.settings, ctx.store).query_collections()
        value = selected if selected in names else (names[0] if names else None)
        return gr.update(choices=names, value=value)

    @user_errors
    def refresh(current: str | None, already: str):
        """Status of the watched job; results once it has succeeded (drawn once)."""
        if not current:
            return status_html(None), gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip(), already, *_idle()
        job = ctx.jobs.get(current)
        running = not job.terminal
        controls = (gr.update(interactive=not running), gr.Timer(active=running))
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
        return (
            status_html(job),
            plain_summary(job),
            summary_rows(comparisons),
            accuracy_figure(comparisons),
            question_rows(comparisons),
            result_files(ctx.jobs, current),
            current,
            *controls,
        )

    def _idle():
        return gr.update(interactive=True), gr.Timer(active=False)

    @user_errors
    def launch(
        picked: list[str] | None,
        source: str | None,
        grader: str,
        tokens: float,
        most: float,
        skill: str | None,
        target: str | None,
        lambdas: str,
        with_documents: bool = False,
    ):
        lam_values = _lambdas(lambdas)
        if not picked and not lam_values:
            raise gr.Error("Pick at least one model to evaluate.")
        if not source:
            raise gr.Error("Pick a collection that has questions (or add a question file first).")
        params = {
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
        return job.id, status_html(job), "", [], None, [], None, "", gr.update(interactive=False), gr.Timer(active=True)

    @user_errors
    def attach(path: str | None, target: str):
        if not path:
            raise gr.Error("Choose a question file first.")
        row = ctx.documents.upload_qa_path(ctx.guard.policy.path(path, "question file"), target or "default")
        meta = row["meta"]
        message = (
            f"✓ **{meta['n_questions']} questions** from {meta['file_name']} are attached to collection "
            f"**{meta['collection']}**."
        )
        return message, None, collections_update(meta["collection"])

    def on_load():
        latest = ctx.jobs.list(kind=EVAL_KIND, limit=1)
        current = latest[0].id if latest else ""
        names = [n for _, n in model_choices(ctx)]
        skills = [m.name for m in ctx.skills.list()]
        docs_collections = sorted({*ctx.documents.collections(), *ctx.documents.question_collections(), "default"})
        return (
            gr.update(choices=model_choices(ctx), value=[names[0]] if names else []),
            collections_update(),
            gr.update(choices=docs_collections),
            gr.update(choices=skills),
            gr.update(choices=[(label, spec.split("=", 1)[-1]) for label, spec in model_choices(ctx)]),
            current,
            *refresh(current, ""),
        )

    guard = ctx.guard
    guard.editor_only(add_questions, launch_btn)
    launch = guard.editor("evaluate", target=lambda m, s, *_: f"{s}: {', '.join(m or [])}")(launch)
    attach = guard.editor("attach_questions", target=lambda p, t: f"{t}: {str(p or '').rsplit('/', 1)[-1]}")(attach)
    watched = [status, summary, table, chart, details, files, shown, launch_btn, timer]
    timer.tick(refresh, [job_id, shown], watched, api_name=False, show_progress="hidden")
    launch_btn.click(lambda: gr.update(interactive=False), None, launch_btn, api_name=False, queue=False).then(
        launch,
        [models, collection, judge, max_tokens, limit, sweep_skill, sweep_target, sweep_lambdas, with_docs],
        [job_id, *watched],
        api_name="evaluate",
    ).then(_enable_if_failed(ctx), job_id, launch_btn, api_name=False)
    attach_btn.click(lambda: gr.update(interactive=False), None, attach_btn, api_name=False, queue=False).then(
        attach, [qa_file, qa_collection], [attach_msg, qa_file, collection], api_name="attach_questions"
    ).then(lambda: gr.update(interactive=True), None, attach_btn, api_name=False)
    status_api = gr.Button(visible=False)
    status_api.click(refresh, [job_id, shown], watched, api_name="evaluate_status")
    return [
        OnLoad(on_load, [], [models, collection, qa_collection, sweep_skill, sweep_target, job_id, *watched]),
    ]


def _enable_if_failed(ctx: StudioContext):
    """After Launch: the button comes back at once if nothing was submitted (an error), else when it ends."""

    def check(current: str | None):
        if not current:
            return gr.update(interactive=True)
        return gr.update(interactive=ctx.jobs.get(current).terminal)

    return check


def _lambdas(text: str | None) -> list[float]:
    """The λ values of the sweep box; a bad one is a :class:`LambdaError` (shown in the page)."""
    parts = [part.strip() for part in (text or "").replace(";", ",").split(",")]
    return [check_lambda(part, f"λ {part!r}") for part in parts if part]
