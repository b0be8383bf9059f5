"""The Adapt screen: a short wizard — base model → documents → skill → λ → Launch — and its progress.

The launch submits one ``pipeline.adapt`` job (synthesis, fine-tuning, injection). The screen only
watches it, so closing or reloading the page changes nothing: on open it shows the latest adaptation.
When it is done, "Chat with it" opens A/B chat with the fine-tuned model on the left and the
skill-injected one on the right; "Evaluate it" opens the Evaluate screen.
"""

from __future__ import annotations

from pathlib import Path

import gradio as gr

from past.pipeline.adapt import DEFAULT_PRESET, PRESETS, TARGET_SFT
from past.skills.lambdas import DEFAULT_LAMBDA, LAMBDA_MAX, LAMBDA_MIN
from studio.analysis_view import stored_heatmap
from studio.context import StudioContext
from studio.errors import user_errors
from studio.job_view import status_html
from studio.screen import OnLoad, StudioUI

KIND = "pipeline.adapt"
SIDES_KEY = "ab_chat.sides"
INTRO = (
    "### Adapt a model to your documents\n"
    "1. **Base model** — the model to teach. 2. **Documents** — a collection from the Documents screen. "
    "3. **Skill** — a skill from the library, built on the same base. 4. **Strength (λ)** — how much of the "
    "skill to add; the skill's recommended value is preselected. Then press **Launch**. The studio writes "
    "practice material from your documents, fine-tunes the model on them, and adds the skill. It runs in "
    "the background: you can leave this page and come back."
)
STAGES = [(0.0, "writing practice material"), (0.2, "learning the documents"), (0.9, "adding the skill")]
DEFAULT_EPOCHS = int(TARGET_SFT["num_train_epochs"])


def stage_lines(progress: float, state: str) -> str:
    lines = []
    for i, (start, label) in enumerate(STAGES):
        end = STAGES[i + 1][0] if i + 1 < len(STAGES) else 1.0
        if state == "succeeded" or progress >= end:
            mark = "✓"
        elif progress >= start and state in ("running", "queued"):
            mark = "▶"
        else:
            mark = "○"
        lines.append(f"{mark} {label}")
    return " · ".join(lines)


def render(ctx: StudioContext, ui: StudioUI | None = None) -> list[OnLoad]:
    gr.Markdown(INTRO)
    with gr.Row():
        base = gr.Dropdown([], label="1. Base model", allow_custom_value=True, elem_id="adapt-base")
        collection = gr.Dropdown(
            [], label="2. Documents (collection)", allow_custom_value=True, elem_id="adapt-collection"
        )
        skill = gr.Dropdown([], label="3. Skill", allow_custom_value=True, elem_id="adapt-skill")
        lam = gr.Slider(
            LAMBDA_MIN, LAMBDA_MAX, value=DEFAULT_LAMBDA, step=0.05, label="4. Strength λ", elem_id="adapt-lam"
        )
    skill_note = gr.Markdown("", elem_id="adapt-skill-note")
    with gr.Accordion("More settings", open=False):
        name = gr.Textbox(label="Name of the adapted model (optional)", placeholder="e.g. handbook-v1")
        preset = gr.Radio(
            [(f"{key}: {spec['description']}", key) for key, spec in PRESETS.items()],
            value=DEFAULT_PRESET,
            label="What to learn from",
            elem_id="adapt-preset",
        )
        steps = gr.Slider(
            1,
            20,
            value=DEFAULT_EPOCHS,
            step=1,
            label="Passes over your documents (more = learns the text better, slower)",
            elem_id="adapt-steps",
        )
    launch = gr.Button("Launch", variant="primary", elem_id="adapt-launch")
    job_id = gr.Textbox(visible=False, elem_id="adapt-job-id")
    status = gr.HTML(status_html(None), elem_id="adapt-status")
    stages = gr.Markdown("", elem_id="adapt-stages")
    with gr.Column(visible=False) as done_row:
        with gr.Row():
            chat_btn = gr.Button("Chat with it", variant="primary", elem_id="adapt-chat")
            eval_btn = gr.Button("Evaluate it", elem_id="adapt-eval")
        gr.Markdown(
            "How the fine-tune and the skill changed the model, layer by layer: values near 0 (white) mean "
            "they changed it in independent directions, so adding the skill keeps what was learned from "
            "your documents."
        )
        heatmap = gr.Plot(label="Fine-tune vs skill (cosine similarity)", elem_id="adapt-heatmap")
    timer = gr.Timer(2.0)

    def skill_choices(model: str | None) -> tuple[list[str], str]:
        if not model:
            return [], ""
        fingerprint = ctx.registry.fingerprint(ctx.guard.policy.model_ref(model, "base model"))
        usable, refused = [], []
        for m in ctx.skills.list():
            (usable if m.base_fingerprint == fingerprint else refused).append(m.name)
        note = ""
        if refused:
            note = f"Not offered, built on another base model: {', '.join(refused)}."
        if not usable:
            note = "No skill in the library fits this base model. " + note
        return usable, note

    @user_errors
    def load_choices():
        models = [r.name for r in ctx.registry.list() if r.kind == "base"] or [ctx.settings.default_model]
        model = ctx.settings.default_model if ctx.settings.default_model in models else models[0]
        collections = ctx.documents.collections()
        skills, note = skill_choices(model)
        latest = ctx.jobs.list(kind=KIND, limit=1)
        return (
            gr.update(choices=models, value=model),
            gr.update(choices=collections, value=collections[0] if collections else None),
            gr.update(choices=skills, value=skills[0] if skills else None),
            note,
            latest[0].id if latest else "",
        )

    @user_errors
    def on_base(model: str):
        skills, note = skill_choices(model)
        return gr.update(choices=skills, value=skills[0] if skills else None), note

    @user_errors
    def on_skill(name: str | None):
        if not name:
            return gr.update()
        return gr.update(value=ctx.skills.info(name).default_lambda)

    @user_errors
    def do_launch(model: str, coll: str, skill_name: str, strength: float, label: str, epochs: float, chosen: str):
        if not coll:
            raise gr.Error("Choose a document collection (upload documents on the Documents screen first).")
        if not skill_name:
            raise gr.Error("Choose a skill built on this base model.")
        params = {
            "base": model,
            "collection": coll,
            "skill": skill_name,
            "lam": float(strength),
            "name": (label or "").strip(),
            "epochs": float(epochs),
            "preset": chosen or DEFAULT_PRESET,
        }
        job = ctx.jobs.submit(KIND, params, name=f"Adapt '{coll}' + {skill_name}")
        gr.Info("Adaptation started. You can follow it here or on the Jobs screen.")
        return job.id, gr.update(interactive=False)

    @user_errors
    def watch(current: str):
        if not current:
            return status_html(None), "", gr.update(visible=False), gr.update(interactive=True), gr.update()
        job = ctx.jobs.get(current)
        finished = job.state == "succeeded"
        figure = gr.update()
        if finished and job.result and job.result.get("baseline_adapter"):
            figure = stored_heatmap(Path(job.result["baseline_adapter"]).parent)
        return (
            status_html(job),
            stage_lines(job.progress or 0.0, job.state),
            gr.update(visible=finished),
            gr.update(interactive=job.terminal),
            figure,
        )

    @user_errors
    def chat_with_it(current: str):
        job = ctx.jobs.get(current)
        result = job.result or {}
        base_model = job.params.get("base") or "default"
        if base_model == "default":
            base_model = ctx.settings.default_model
        ctx.selections.set(
            SIDES_KEY,
            {
                "a": {"model": base_model, "adapter": result.get("baseline_adapter", "")},
                "b": {"model": base_model, "adapter": result.get("injected_adapter", "")},
            },
        )
        return ui.go_to("ab-chat") if ui else gr.update()

    def evaluate_it():
        return ui.go_to("evaluate") if ui else gr.update()

    base.input(ctx.guard.paths(on_base), base, [skill, skill_note], api_name=False)
    skill.change(on_skill, skill, lam, api_name=False)
    do_launch = ctx.guard.editor("adapt", target=lambda m, c, s, *_: f"{c} + {s} on {m}")(do_launch)
    launch.click(do_launch, [base, collection, skill, lam, name, steps, preset], [job_id, launch], api_name="adapt")
    watched = [status, stages, done_row, launch, heatmap]
    job_id.change(watch, job_id, watched, api_name=False)
    timer.tick(watch, job_id, watched, api_name=False, show_progress="hidden")
    if ui is not None:
        chat_btn.click(chat_with_it, job_id, ui.tabs, api_name=False)
        eval_btn.click(evaluate_it, None, ui.tabs, api_name=False)
    return [OnLoad(load_choices, [], [base, collection, skill, skill_note, job_id], on_show=True)]
