"""The Adapt screen: a short wizard — base model → documents → skill → λ → Launch — and its progress.

The launch submits one ``pipeline.adapt`` job (synthesis, fine-tuning, injection). The screen only
watches it, so closing or reloading the page changes nothing: on open it shows the latest adaptation.
When it is done, "Chat with it" opens A/B chat with the fine-tuned model on the left and the
skill-injected one on the right; "Evaluate it" opens the Evaluate screen.

Below them, the knowledge report card (:mod:`studio.adapt_card`): made automatically by a
``report_card`` job when a run finishes and its collection has questions, and on demand with a button; a
collection without questions is said so in plain words.

Each handler is a module-level function given the studio context (bound by :func:`studio.bind.bind`);
``render`` lays the sections out and wires their events. The time estimate comes from
:mod:`backend.estimates`.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gradio as gr

from backend.analysis import stored_heatmap
from backend.estimates import adapt_estimate
from backend.tool_collections import ToolCollections
from past.adapt_params import (
    DEFAULT_PRESET,
    PRESETS,
    TARGET_SFT,
    TOOL_PRESET,
    answer_format,
    preset_epochs,
    preset_mismatch,
)
from past.skills.lambdas import DEFAULT_LAMBDA, LAMBDA_MAX, LAMBDA_MIN, SYNTAX, LambdaError, LambdaSpec
from studio.adapt_card import Card, card_section, wire_card
from studio.bind import bind
from studio.context import StudioContext
from studio.errors import user_errors
from studio.job_view import status_html
from studio.recall_view import FORMAT_KEY, format_for
from studio.screen import OnLoad, StudioUI
from studio.skill_choice import built_for_preset, offered_skills

KIND = "pipeline.adapt"
SIDES_KEY = "ab_chat.sides"
INTRO = (
    "### Adapt a model to your documents\n\n"
    "1. **Base model**: the model to teach.\n"
    "2. **Documents**: a collection from the Documents screen.\n"
    "3. **Skill**: a skill from the library, built on the same base.\n"
    "4. **Strength (λ)**: how much of the skill to add; the skill's recommended value is preselected.\n\n"
    "Then press **Launch**. The studio writes practice material from your documents, fine-tunes the model on "
    "them, and adds the skill; when the collection has questions, a report card follows. It runs in the "
    "background: you can leave this page and come back."
)
STAGES = [(0.0, "writing practice material"), (0.2, "learning the documents"), (0.9, "adding the skill")]
DEFAULT_EPOCHS = int(TARGET_SFT["num_train_epochs"])
SCHEDULE_HELP = (
    "λ per module or per layer, sent instead of the slider's single value (as `past adapt --lam` takes it). "
    'JSON, e.g. `{"default": 0.8, "modules": {"mlp": 1.0, "q_proj": 0.5}, "layers": [[0, 9, 0.3]]}`, or '
    f"the CLI's text form, e.g. `0.8,mlp=1.0,layers=0-9:0.3` ({SYNTAX}). Leave empty to use the slider."
)


def launch_lambda(strength: float, schedule: str | None = "") -> float | str:
    """The λ a launch sends, as given: the schedule typed under *Advanced* when there is one, else the slider's
    number. The job checks it (:class:`past.adapt_params.AdaptParams`), as it checks ``past adapt --lam``."""
    return (schedule or "").strip() or float(strength)


def schedule_note(schedule: str | None) -> str:
    """The line beside the schedule field: what Launch will send, or what is wrong with it ('' when empty)."""
    text = (schedule or "").strip()
    if not text:
        return ""
    try:
        spec = LambdaSpec.coerce(text)
    except LambdaError as exc:
        return f"⚠️ {exc}"
    return f"✓ Launch sends this schedule instead of the slider: `{spec.text()}`"


def epochs_override(chosen: str | None, epochs: float | None) -> float | None:
    """The epochs to send with a launch: None (the preset's own, every stage as the CLI runs it) while the slider
    still shows the preset's value; the user's value, for every stage, once they moved it."""
    if epochs is None or float(epochs) == preset_epochs(chosen):
        return None
    return float(epochs)


STAGE_WORDS = {  # a preset stage's name in plain words
    "memorise": "memorising the document window by window",
    "qa": "practising questions it writes about it",
    "documents": "learning the documents",
    "tools": "learning the API documentation",
}
STAGE_MESSAGE = re.compile(r"stage (\d+)/(\d+) ([\w-]+): (.*)")


def stage_lines(progress: float, state: str, message: str = "", preset: str | None = None) -> str:
    """Where the run is, in plain words: a multi-stage preset's stages (from the job's message), else the
    three steps of a one-stage run (from its progress)."""
    stages = PRESETS.get(preset or "", {}).get("stages", [])
    current = STAGE_MESSAGE.match(message or "")
    if len(stages) > 1 and state in ("running", "queued", "succeeded"):
        at = int(current.group(1)) - 1 if current else (len(stages) if progress >= 0.9 else 0)
        lines = []
        for i, stage in enumerate(stages):
            words = STAGE_WORDS.get(stage["name"], stage["name"])
            if state == "succeeded" or i < at:
                lines.append(f"✓ {words}")
            elif i == at:
                doing = "writing practice material" if current and "generating" in current.group(4) else "fine-tuning"
                lines.append(f"▶ {words} ({doing})")
            else:
                lines.append(f"○ {words}")
        done = state == "succeeded"
        lines.append(f"{'✓' if done else '▶' if at >= len(stages) else '○'} adding the skill")
        return " · ".join(lines)
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


# -- handlers: module-level, each given the studio context (render binds it with studio.bind.bind) -----------


def skill_choices(ctx: StudioContext, model: str | None, coll: str | None = None) -> tuple[list[str], str]:
    """The skills offered for ``model`` (and a tools collection), and a note on those refused."""
    if not model:
        return [], ""
    fingerprint = ctx.registry.fingerprint(ctx.guard.policy.model_ref(model, "base model"))
    tools = ToolCollections(ctx.settings, ctx.store).is_tools(coll)
    usable, refused = offered_skills(ctx.skills.list(), fingerprint, tools)
    note = ""
    if refused:
        note = f"Not offered, built on another base model: {', '.join(refused)}."
    if not usable:
        note = "No skill in the library fits this base model. " + note
    return usable, note


@user_errors
def load_choices(ctx: StudioContext) -> tuple[Any, ...]:
    """The choices, and the latest adaptation; while it runs, the form shows what it was launched with (a user
    who reloads mid-run sees that run's documents, skill, preset and estimate, not the defaults)."""
    models = [r.name for r in ctx.registry.list() if r.kind == "base"] or [ctx.settings.default_model]
    model = ctx.settings.default_model if ctx.settings.default_model in models else models[0]
    collections = ctx.documents.collections() + ToolCollections(ctx.settings, ctx.store).collections()
    latest = ctx.jobs.list(kind=KIND, limit=1)
    running = latest[0].params if latest and not latest[0].terminal else {}
    model = running.get("base") if running.get("base") in models else model
    coll = running.get("collection") if running.get("collection") in collections else None
    coll = coll or (collections[0] if collections else None)
    skills, note = skill_choices(ctx, model, coll)
    chosen_skill = running.get("skill") if running.get("skill") in skills else (skills[0] if skills else None)
    chosen_preset = running.get("preset") if running.get("preset") in PRESETS else None
    passes = running.get("epochs") or (preset_epochs(chosen_preset) if chosen_preset else None)
    return (
        gr.update(choices=models, value=model),
        gr.update(choices=collections, value=coll),
        gr.update(choices=skills, value=chosen_skill),
        note,
        latest[0].id if latest else "",
        gr.update(value=running["lam"]) if isinstance(running.get("lam"), int | float) else gr.update(),
        gr.update(value=chosen_preset) if chosen_preset else gr.update(),
        gr.update(value=passes) if passes else gr.update(),
    )


@user_errors
def on_base(ctx: StudioContext, model: str, coll: str | None = None) -> tuple[Any, str]:
    skills, note = skill_choices(ctx, model, coll)
    return gr.update(choices=skills, value=skills[0] if skills else None), note


@user_errors
def on_skill(ctx: StudioContext, name: str | None) -> Any:
    if not name:
        return gr.update()
    return gr.update(value=ctx.skills.info(name).default_lambda)


@user_errors
def preset_fit(ctx: StudioContext, name: str | None, chosen: str | None) -> str:
    """Before launch, beside the skill: a warning when the skill was built for another preset than the one chosen,
    and the library's skill built for the chosen one if there is one ('' when they fit, when the skill names no
    preset and none other fits better, or when the name is not a skill of the library)."""
    if not name or not ctx.skills.exists(name):
        return ""
    chosen = chosen or DEFAULT_PRESET
    if chosen not in PRESETS:  # whatever a share link sends: only a preset's name is echoed (the launch refuses it)
        return ""
    info = ctx.skills.info(name)
    if (info.recipe or {}).get("preset") == chosen:
        return ""
    others = built_for_preset(ctx.skills.list(), chosen, info.base_fingerprint, but=name)
    hint = f" The library's '{others[0]}' was built for '{chosen}'." if others else ""
    warning = preset_mismatch(info.recipe, chosen)
    if not warning:
        return f"ℹ️{hint}" if hint else ""
    return f"⚠️ {warning[0].upper()}{warning[1:]} (More settings → What to learn from).{hint}"


@user_errors
def on_preset(chosen: str | None) -> Any:
    return gr.update(value=preset_epochs(chosen))


@user_errors
def tool_preset(ctx: StudioContext, coll: str | None) -> tuple[Any, Any]:
    if not ToolCollections(ctx.settings, ctx.store).is_tools(coll):
        return gr.update(), gr.update()
    return gr.update(value=TOOL_PRESET), on_preset(TOOL_PRESET)


@user_errors
def show_estimate(
    ctx: StudioContext, model: str | None, coll: str | None, chosen: str | None, epochs: float | None
) -> str:
    """The time estimate of the form's choices ('' until there is a model and a collection with documents)."""
    return adapt_estimate(ctx.registry, ctx.documents, model, coll, chosen, epochs_override(chosen, epochs))


def launch_target(model: str, coll: str, skill_name: str, *_: Any) -> str:
    """What a launch is about, for the audit log."""
    return f"{coll} + {skill_name} on {model}"


@user_errors
def do_launch(
    ctx: StudioContext,
    model: str,
    coll: str,
    skill_name: str,
    strength: float,
    label: str,
    epochs: float,
    chosen: str,
    schedule: str = "",
) -> tuple[str, Any]:
    if not coll:
        raise gr.Error("Choose a document collection (upload documents on the Documents screen first).")
    if not skill_name:
        raise gr.Error("Choose a skill built on this base model.")
    params = {
        "base": model,
        "collection": coll,
        "skill": skill_name,
        "lam": launch_lambda(strength, schedule),
        "name": (label or "").strip(),
        "epochs": epochs_override(chosen, epochs),
        "preset": chosen or DEFAULT_PRESET,
    }
    job = ctx.jobs.submit(KIND, params, name=f"Adapt '{coll}' + {skill_name}")
    gr.Info("Adaptation started. You can follow it here or on the Jobs screen.")
    return job.id, gr.update(interactive=False)


@user_errors
def watch(ctx: StudioContext, current: str, shown: str = "") -> tuple[Any, ...]:
    """The job's status, stages, buttons and heatmap; nothing is re-sent while the job has not changed
    (a re-render every tick would detach the buttons a user is about to press)."""
    if not current:
        nothing = status_html(None), "", gr.update(visible=False), gr.update(interactive=True), gr.update()
        return *nothing, ""
    job = ctx.jobs.get(current)
    key = f"{job.id}:{job.state}:{job.progress}" + ("" if job.terminal else f":{time.time():.0f}")  # clock ticks
    if key == shown:
        return gr.update(), gr.update(), gr.update(), gr.update(), gr.update(), shown
    finished = job.state == "succeeded"
    figure = gr.update()
    if finished and job.result and job.result.get("baseline_adapter"):
        figure = stored_heatmap(Path(job.result["baseline_adapter"]).parent)
    return (
        status_html(job),
        stage_lines(job.progress or 0.0, job.state, job.message, job.params.get("preset")),
        gr.update(visible=finished),
        gr.update(interactive=job.terminal),
        figure,
        key,
    )


@user_errors
def chat_with_it(ctx: StudioContext, ui: StudioUI | None, current: str) -> Any:
    """Open A/B chat with the fine-tuned model on the left and the skill-injected one on the right."""
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
    # a preset that trains the recall-then-answer format is read in it
    ctx.selections.set(FORMAT_KEY, format_for(answer_format(job.params.get("preset"))))
    return ui.go_to("ab-chat") if ui else gr.update()


def evaluate_it(ui: StudioUI | None) -> Any:
    return ui.go_to("evaluate") if ui else gr.update()


# -- layout: render() builds the sections and wires their events -----------------------------------------------


@dataclass
class Form:
    """The wizard's fields, the estimate and the Launch button."""

    base: gr.Dropdown
    collection: gr.Dropdown
    skill: gr.Dropdown
    lam: gr.Slider
    skill_note: gr.Markdown
    fit_note: gr.Markdown
    name: gr.Textbox
    preset: gr.Radio
    steps: gr.Slider
    lam_schedule: gr.Textbox
    lam_note: gr.Markdown
    estimate: gr.Markdown
    launch: gr.Button


@dataclass
class Progress:
    """The watched job: its status and stages, and what a finished run offers."""

    job_id: gr.Textbox
    status: gr.HTML
    stages: gr.Markdown
    done_row: gr.Column
    chat_btn: gr.Button
    eval_btn: gr.Button
    heatmap: gr.Plot
    shown: gr.State  # the job state last shown by watch()
    timer: gr.Timer


def form_section() -> Form:
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
    fit_note = gr.Markdown("", elem_id="adapt-fit-note")
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
    with gr.Accordion("Advanced: λ per module or per layer", open=False, elem_id="adapt-advanced"):
        lam_schedule = gr.Textbox(
            "", label="λ schedule (optional)", info=SCHEDULE_HELP, lines=2, elem_id="adapt-lam-schedule"
        )
        lam_note = gr.Markdown("", elem_id="adapt-lam-note")
    estimate = gr.Markdown("", elem_id="adapt-estimate")
    launch = gr.Button("Launch", variant="primary", elem_id="adapt-launch")
    return Form(
        base,
        collection,
        skill,
        lam,
        skill_note,
        fit_note,
        name,
        preset,
        steps,
        lam_schedule,
        lam_note,
        estimate,
        launch,
    )


def progress_section() -> tuple[Progress, Card]:
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
        card = card_section()
    progress = Progress(job_id, status, stages, done_row, chat_btn, eval_btn, heatmap, gr.State(""), gr.Timer(2.0))
    return progress, card


def wire_form(ctx: StudioContext, form: Form, progress: Progress) -> None:
    """The form's events; the order matters where two share a trigger (Gradio runs them in this order)."""
    on_base_paths = ctx.guard.paths(bind(on_base, ctx))
    form.base.input(on_base_paths, [form.base, form.collection], [form.skill, form.skill_note], api_name=False)
    form.collection.input(on_base_paths, [form.base, form.collection], [form.skill, form.skill_note], api_name=False)
    form.preset.input(on_preset, form.preset, form.steps, api_name=False)
    # a tools collection: tool-docs
    form.collection.input(bind(tool_preset, ctx), form.collection, [form.preset, form.steps], api_name=False)
    # .change fires on the user's choices and on the handlers' (a preset sets its passes): one queue, in order,
    # the last pending one only, so the estimate shown is always for what the screen shows last.
    for trigger in (form.base.change, form.collection.change, form.preset.change, form.steps.change):
        trigger(
            bind(show_estimate, ctx),
            [form.base, form.collection, form.preset, form.steps],
            form.estimate,
            api_name=False,
            concurrency_id="adapt-estimate",
            concurrency_limit=1,
            trigger_mode="always_last",
            show_progress="minimal",
        )
    form.skill.change(bind(on_skill, ctx), form.skill, form.lam, api_name=False)
    for trigger in (form.skill.change, form.preset.change):  # does the skill fit the preset? said before launch
        trigger(bind(preset_fit, ctx), [form.skill, form.preset], form.fit_note, api_name=False, show_progress="hidden")
    launch = ctx.guard.editor("adapt", target=launch_target)(bind(do_launch, ctx))
    form.lam_schedule.change(schedule_note, form.lam_schedule, form.lam_note, api_name=False, show_progress="hidden")
    # the schedule last: optional
    inputs = [form.base, form.collection, form.skill, form.lam, form.name, form.steps, form.preset, form.lam_schedule]
    form.launch.click(launch, inputs, [progress.job_id, form.launch], api_name="adapt")


def wire_progress(ctx: StudioContext, ui: StudioUI | None, form: Form, progress: Progress, card: Card) -> None:
    """The watched job's events: the status every tick, then the report card (in this order), and the buttons."""
    watched = [progress.status, progress.stages, progress.done_row, form.launch, progress.heatmap, progress.shown]
    progress.job_id.change(bind(watch, ctx), progress.job_id, watched, api_name=False)
    timer = progress.timer
    timer.tick(bind(watch, ctx), [progress.job_id, progress.shown], watched, api_name=False, show_progress="hidden")
    wire_card(ctx, card, progress.job_id, timer, form.steps, form.lam)
    if ui is not None:
        progress.chat_btn.click(bind(chat_with_it, ctx, ui), progress.job_id, ui.tabs, api_name=False)
        progress.eval_btn.click(bind(evaluate_it, ui), None, ui.tabs, api_name=False)


def render(ctx: StudioContext, ui: StudioUI | None = None) -> list[OnLoad]:
    """The screen: the form, the watched job and its report card; the form is filled when the page opens."""
    gr.Markdown(INTRO)
    form = form_section()
    progress, card = progress_section()
    wire_form(ctx, form, progress)
    wire_progress(ctx, ui, form, progress, card)
    picks = [form.base, form.collection, form.skill, form.skill_note]
    shown = [*picks, progress.job_id, form.lam, form.preset, form.steps]  # what load_choices() returns
    estimate_inputs = [form.base, form.collection, form.preset, form.steps]
    return [
        OnLoad(bind(load_choices, ctx), [], shown, on_show=True),
        # the documents may have changed on another screen (a deletion): the estimate is made again on each visit
        OnLoad(bind(show_estimate, ctx), estimate_inputs, [form.estimate], on_show=True),
    ]
