"""The Build-a-skill screen (for ML staff): source documents + questions → K rounds of SFT + GRPO.

Submits one ``pipeline.build_skill`` job and watches it: progress, live reward and KL curves, log tail.
The page reattaches to the latest build when it is reopened.
"""

from __future__ import annotations

import gradio as gr

from backend.jobs.kinds.build_skill import BuildSkillParams
from backend.jobs.params import describe_params
from past.skills.lambdas import DEFAULT_LAMBDA, LAMBDA_MAX, LAMBDA_MIN
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
    "one text. On a CPU, one GRPO step takes about a minute."
)
# Sliders/numbers for these fields, with the defaults and help text of the job's schema.
TUNABLE = ("rounds", "sft_steps", "grpo_steps", "num_generations", "prompts_per_step", "beta", "learning_rate")


def render(ctx: StudioContext, ui: StudioUI | None = None) -> list[OnLoad]:
    gr.Markdown(INTRO)
    fields = {f.name: f for f in describe_params(BuildSkillParams)}
    with gr.Row():
        name = gr.Textbox(label="Skill name", placeholder="e.g. closed-book-qa-v2", elem_id="build-name")
        collection = gr.Dropdown(
            [], label="Source collection (with questions)", allow_custom_value=True, elem_id="build-collection"
        )
        default_lambda = gr.Slider(
            LAMBDA_MIN, LAMBDA_MAX, value=DEFAULT_LAMBDA, step=0.05, label="Recommended strength λ"
        )
    with gr.Accordion("Training settings (sensible defaults)", open=False):
        inputs = {}
        with gr.Row():
            for key in TUNABLE:
                spec = fields[key]
                inputs[key] = gr.Number(
                    value=spec.default,
                    label=key.replace("_", " "),
                    info=spec.help,
                    elem_id=f"build-{key.replace('_', '-')}",
                )
    launch = gr.Button("Build", variant="primary", elem_id="build-launch")
    job_id = gr.Textbox(visible=False, elem_id="build-job-id")
    status = gr.HTML(status_html(None), elem_id="build-status")
    curves = gr.Plot(label="Reward and KL (live)", elem_id="build-curves")
    log = gr.Textbox(label="Log (last lines)", lines=8, max_lines=8, elem_id="build-log")
    timer = gr.Timer(3.0)

    @user_errors
    def load():
        collections = ctx.documents.question_collections()
        latest = ctx.jobs.list(kind=KIND, limit=1)
        return gr.update(choices=collections, value=collections[0] if collections else None), (
            latest[0].id if latest else ""
        )

    @user_errors
    def do_launch(skill_name: str, coll: str, lam: float, *values: float):
        if not (skill_name or "").strip():
            raise gr.Error("Give the new skill a name.")
        if not coll:
            raise gr.Error("Choose a collection that has questions (Evaluate screen: Add questions to a collection).")
        if ctx.skills.exists(skill_name.strip()):
            raise gr.Error(f"A skill named '{skill_name.strip()}' already exists; choose another name.")
        params = {"name": skill_name.strip(), "collection": coll, "default_lambda": float(lam)}
        for key, value in zip(TUNABLE, values, strict=True):
            params[key] = float(value) if fields[key].type == "float" else int(value)
        job = ctx.jobs.submit(KIND, params, name=f"Build skill '{params['name']}'")
        gr.Info("Skill building started; it keeps running if you close the page.")
        return job.id

    @user_errors
    def watch(current: str):
        if not current:
            return status_html(None), None, "", gr.update(interactive=True)
        job = ctx.jobs.get(current)
        return (
            status_html(job),
            curves_figure(ctx.jobs, current),
            ctx.jobs.log_tail(current, max_bytes=4000),
            gr.update(interactive=job.terminal),
        )

    do_launch = ctx.guard.editor("build_skill", target=0)(do_launch)
    launch.click(do_launch, [name, collection, default_lambda, *inputs.values()], job_id, api_name="build_skill")
    watched = [status, curves, log, launch]
    job_id.change(watch, job_id, watched, api_name=False)
    timer.tick(watch, job_id, watched, api_name=False, show_progress="hidden")
    return [OnLoad(load, [], [collection, job_id], on_show=True)]
