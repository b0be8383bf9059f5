"""The Build-a-skill screen (for ML staff): source documents + questions → K rounds of SFT + GRPO.

Submits one ``pipeline.build_skill`` job and watches it: progress, live reward and KL curves, log tail.
The page reattaches to the latest build when it is reopened. Handlers are module-level functions of the studio's
context and the components' values (bound with ``functools.partial``); ``render`` only lays out and wires.
"""

from __future__ import annotations

from typing import Any

import gradio as gr

from backend.estimates import build_estimate
from backend.jobs.kinds.build_skill import CUSTOM, BuildSkillParams
from backend.jobs.params import FieldSpec, describe_params
from past.adapt_params import PRESETS
from past.skills.lambdas import DEFAULT_LAMBDA, LAMBDA_MAX, LAMBDA_MIN
from studio.bind import bind
from studio.context import StudioContext
from studio.errors import user_errors
from studio.job_view import curves_figure, status_html
from studio.screen import OnLoad, StudioUI

KIND = "pipeline.build_skill"
INTRO = (
    "### Build a skill (for ML staff)\n"
    "Choose a collection of **source documents with questions** about them (upload the documents on the "
    "Documents screen, then their `.qa.json` question file on the Evaluate screen, under *Add questions to a "
    "collection*). Each round fine-tunes the base model on part of the documents, then trains it by "
    "reinforcement learning (GRPO) to answer the questions without seeing the text; the change that "
    "practice makes is the skill. More rounds over different documents make the skill less tied to any "
    "one text. Each round's documents are first learned the way Adapt learns targets with the preset the "
    "skill is for, so the skill is practised in the state it will be added to. The time it will take is "
    "estimated below the settings."
)
PRESET_LABEL = "The Adapt preset this skill is for (its source documents are learned the same way)"
# Sliders/numbers for these fields, with the defaults and help text of the job's schema.
TUNABLE = ("rounds", "sft_steps", "grpo_steps", "num_generations", "prompts_per_step", "beta", "learning_rate")
# Plain words for the fields whose schema help is technical (the schema's words stay in brackets).
PLAIN_HELP = {
    "grpo_steps": "practice steps per round: the model answers, right answers are rewarded (GRPO)",
    "num_generations": "answers tried per question in one practice step; they are compared with each other",
    "beta": "how strongly practice is held close to the fine-tuned model (KL penalty; 0 = not at all)",
    "learning_rate": "how big each practice update is",
}
LAMBDA_LABEL = "Recommended strength λ (how much of the skill to add: 0 = none, 1 = as built)"


def fields() -> dict[str, FieldSpec]:
    return {f.name: f for f in describe_params(BuildSkillParams)}


def field_help(spec: FieldSpec) -> str:
    words = PLAIN_HELP.get(spec.name)
    return f"{words} ({spec.help})" if words and spec.help else words or spec.help


@user_errors
def load(ctx: StudioContext) -> tuple[dict[str, Any], str]:
    """The collections with questions, and the latest build to watch."""
    collections = ctx.documents.question_collections()
    latest = ctx.jobs.list(kind=KIND, limit=1)
    picker = gr.update(choices=collections, value=collections[0] if collections else None)
    return picker, latest[0].id if latest else ""


def preset_choices() -> list[tuple[str, str]]:
    """The presets a skill can be built for, in plain words, then 'custom' (the fine-tuning steps field)."""
    presets = fields()["preset"].choices or []
    words = {name: PRESETS[name]["description"] for name in presets if name in PRESETS}
    words[CUSTOM] = "fine-tune each round for the number of steps set below (quick; not how Adapt learns)"
    return [(f"{name}: {words[name]}", name) for name in presets]


def form_params(coll: str | None, preset: str | None, *values: float | None) -> dict[str, Any]:
    """The job parameters of the form's collection, preset and :data:`TUNABLE` fields (in order); an empty number
    field is left to the job's default."""
    specs = fields()
    params: dict[str, Any] = {"collection": coll, "preset": preset or specs["preset"].default}
    for key, value in zip(TUNABLE, values, strict=True):
        if value is not None:
            params[key] = float(value) if specs[key].type == "float" else int(value)
    return params


@user_errors
def show_estimate(ctx: StudioContext, coll: str | None, preset: str | None, *values: float | None) -> str:
    """How long the build of the form's choices will take ('' until a collection is chosen)."""
    return build_estimate(ctx.registry, ctx.documents, form_params(coll, preset, *values))


@user_errors
def launch(
    ctx: StudioContext, skill_name: str, coll: str | None, lam: float, preset: str | None, *values: float
) -> str:
    """Submit the build (``values``: the :data:`TUNABLE` fields in order); a missing choice is a plain error."""
    name = (skill_name or "").strip()
    if not name:
        raise gr.Error("Give the new skill a name.")
    if not coll:
        raise gr.Error("Choose a collection that has questions (Evaluate screen: Add questions to a collection).")
    if ctx.skills.exists(name):
        raise gr.Error(f"A skill named '{name}' already exists; choose another name.")
    params = {"name": name, "default_lambda": float(lam), **form_params(coll, preset, *values)}
    job = ctx.jobs.submit(KIND, params, name=f"Build skill '{name}'")
    gr.Info("Skill building started; it keeps running if you close the page.")
    return job.id


@user_errors
def watch(ctx: StudioContext, current: str | None) -> tuple[Any, ...]:
    """(status, curves, log tail, Build enabled) of the watched build."""
    if not current:
        return status_html(None), None, "", gr.update(interactive=True)
    job = ctx.jobs.get(current)
    log = ctx.jobs.log_tail(current, max_bytes=4000)
    return status_html(job), curves_figure(ctx.jobs, current), log, gr.update(interactive=job.terminal)


def render(ctx: StudioContext, ui: StudioUI | None = None) -> list[OnLoad]:
    gr.Markdown(INTRO)
    specs = fields()
    with gr.Row():
        name = gr.Textbox(label="Skill name", placeholder="e.g. closed-book-qa-v2", elem_id="build-name")
        collection = gr.Dropdown(
            [], label="Source collection (with questions)", allow_custom_value=True, elem_id="build-collection"
        )
        default_lambda = gr.Slider(LAMBDA_MIN, LAMBDA_MAX, value=DEFAULT_LAMBDA, step=0.05, label=LAMBDA_LABEL)
    preset = gr.Radio(preset_choices(), value=specs["preset"].default, label=PRESET_LABEL, elem_id="build-preset")
    with gr.Accordion("Training settings (sensible defaults)", open=False), gr.Row():
        inputs = [
            gr.Number(
                value=specs[key].default,
                label=key.replace("_", " "),
                info=field_help(specs[key]),
                elem_id=f"build-{key.replace('_', '-')}",
            )
            for key in TUNABLE
        ]
    estimate = gr.Markdown("", elem_id="build-estimate")
    launch_btn = gr.Button("Build", variant="primary", elem_id="build-launch")
    job_id = gr.Textbox(visible=False, elem_id="build-job-id")
    status = gr.HTML(status_html(None), elem_id="build-status")
    curves = gr.Plot(
        label="Reward and KL (live): how often answers were right, and how far practice moved", elem_id="build-curves"
    )
    log = gr.Textbox(label="Log (last lines)", lines=8, max_lines=8, elem_id="build-log")
    timer = gr.Timer(3.0)

    submit = ctx.guard.editor("build_skill", target=0)(bind(launch, ctx))
    launch_btn.click(submit, [name, collection, default_lambda, preset, *inputs], job_id, api_name="build_skill")
    # the last pending estimate only, so the one shown is for the choices the screen shows last
    for trigger in (collection.change, preset.change, *(number.change for number in inputs)):
        trigger(
            bind(show_estimate, ctx),
            [collection, preset, *inputs],
            estimate,
            api_name=False,
            concurrency_id="build-estimate",
            concurrency_limit=1,
            trigger_mode="always_last",
            show_progress="minimal",
        )
    watched = [status, curves, log, launch_btn]
    job_id.change(bind(watch, ctx), job_id, watched, api_name=False)
    timer.tick(bind(watch, ctx), job_id, watched, api_name=False, show_progress="hidden")
    return [OnLoad(bind(load, ctx), [], [collection, job_id], on_show=True)]
