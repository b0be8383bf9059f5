"""The Adapt screen: a short wizard — base model → documents → skill → λ → Launch — and its progress.

The launch submits one ``pipeline.adapt`` job (synthesis, fine-tuning, injection). The screen only
watches it, so closing or reloading the page changes nothing: on open it shows the latest adaptation.
When it is done, "Chat with it" opens A/B chat with the fine-tuned model on the left and the
skill-injected one on the right; "Evaluate it" opens the Evaluate screen.

Below them, the knowledge report card (:mod:`studio.report_card_view`): made automatically by a
``report_card`` job when a run finishes and its collection has questions, and on demand with a button; a
collection without questions is said so in plain words.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import gradio as gr

from backend.tool_collections import ToolCollections
from past.adapt_params import (
    DEFAULT_PRESET,
    PRESETS,
    TARGET_SFT,
    TOOL_PRESET,
    AdaptParams,
    answer_format,
    preset_epochs,
)
from past.skills.lambdas import DEFAULT_LAMBDA, LAMBDA_MAX, LAMBDA_MIN, SYNTAX, LambdaError, LambdaSpec
from studio.analysis_view import stored_heatmap
from studio.context import StudioContext
from studio.errors import user_errors
from studio.job_view import status_html
from studio.recall_view import FORMAT_KEY, format_for
from studio.report_card_view import KIND as CARD_KIND
from studio.report_card_view import (
    answer_rows,
    card_details,
    card_figure,
    card_markdown,
    gentler_setting,
    gentler_words,
    latest_card_job,
)
from studio.screen import OnLoad, StudioUI
from studio.skill_choice import offered_skills

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


ATTACH_HERE = "under *Add questions to a collection*"  # where the Evaluate screen takes question files
AUTO_CARD_WINDOW_S = 600  # a run that finished this recently gets its report card made automatically


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
    with gr.Accordion("Advanced: λ per module or per layer", open=False, elem_id="adapt-advanced"):
        lam_schedule = gr.Textbox(
            "", label="λ schedule (optional)", info=SCHEDULE_HELP, lines=2, elem_id="adapt-lam-schedule"
        )
        lam_note = gr.Markdown("", elem_id="adapt-lam-note")
    estimate = gr.Markdown("", elem_id="adapt-estimate")
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
        card_text = gr.Markdown("", elem_id="adapt-card")
        with gr.Row(visible=False) as gentle_row:
            gentle_btn = gr.Button("Use the gentler setting", elem_id="adapt-gentler")
            gentle_note = gr.Markdown("", elem_id="adapt-gentler-note")
        card_button = gr.Button("Make the report card", elem_id="adapt-card-run")
        with gr.Accordion("Details: each score with its 95 % interval", open=False, elem_id="adapt-card-more"):
            card_more = gr.Markdown("", elem_id="adapt-card-details")
            card_chart = gr.Plot(label="Report card", elem_id="adapt-card-chart", visible=False)
        with gr.Accordion("Answers side by side", open=False, elem_id="adapt-card-fold"):
            card_answers = gr.Dataframe(elem_id="adapt-card-answers", wrap=True, interactive=False)
    card_shown = gr.State("")
    gentle = gr.State(None)  # the gentler setting the report card suggests, if any
    watch_shown = gr.State("")  # the job state last shown by watch()
    timer = gr.Timer(2.0)

    def skill_choices(model: str | None, coll: str | None = None) -> tuple[list[str], str]:
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
    def load_choices():
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
        skills, note = skill_choices(model, coll)
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
    def on_base(model: str, coll: str | None = None):
        skills, note = skill_choices(model, coll)
        return gr.update(choices=skills, value=skills[0] if skills else None), note

    @user_errors
    def on_skill(name: str | None):
        if not name:
            return gr.update()
        return gr.update(value=ctx.skills.info(name).default_lambda)

    @user_errors
    def on_preset(chosen: str | None):
        return gr.update(value=preset_epochs(chosen))

    @user_errors
    def tool_preset(coll: str | None):
        if not ToolCollections(ctx.settings, ctx.store).is_tools(coll):
            return gr.update(), gr.update()
        return gr.update(value=TOOL_PRESET), on_preset(TOOL_PRESET)

    @user_errors
    def show_estimate(model: str | None, coll: str | None, chosen: str | None, epochs: float | None):
        if not model or not coll:
            return ""
        docs = ctx.documents.documents(coll)  # as they are now: a deleted document no longer counts
        if not docs:
            return ""
        from past.pipeline.cost import estimate_preset, launch_note

        base_dir = ctx.registry.resolve(model).path
        params = AdaptParams(chosen or DEFAULT_PRESET, epochs=epochs_override(chosen, epochs))
        cost = estimate_preset(base_dir, docs, params)
        questions = len(ctx.documents.qa_pairs(coll)) if ctx.documents.qa_rows(coll) else 0
        return launch_note(cost, len(docs), card_questions=questions)

    @user_errors
    def do_launch(
        model: str,
        coll: str,
        skill_name: str,
        strength: float,
        label: str,
        epochs: float,
        chosen: str,
        schedule: str = "",
    ):
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
    def watch(current: str, shown: str = ""):
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

    def submit_card(name: str, collection: str):
        return ctx.jobs.submit(CARD_KIND, {"adapted": name, "collection": collection}, name=f"Report card of '{name}'")

    def card_view(job, shown: str, may_start: bool = True):
        """The report card of a finished adapt job: (text, chart, answers, button, shown key).

        ``may_start``: this page's user may start the automatic card job (editors only; a card is a job)."""
        name, collection = (job.result or {}).get("name", ""), job.params.get("collection") or "default"
        card_job = latest_card_job(ctx.jobs, name)
        has_questions = bool(ctx.documents.qa_rows(collection))
        recent = job.finished_at is not None and time.time() - job.finished_at < AUTO_CARD_WINDOW_S
        if card_job is None and has_questions and recent and may_start:
            card_job = submit_card(name, collection)
        key = f"{card_job.id}:{card_job.state}:{card_job.progress}" if card_job else f"none:{name}:{has_questions}"
        if key == shown:
            return *(gr.update(),) * 7, shown
        hidden = gr.update(visible=False), gr.update(), None  # the gentler-setting row, its button, its setting
        if card_job is None:
            text = (
                f"The collection '{collection}' has no questions, so there is no report card: attach a question "
                f"file (.qa.json) to it on the Evaluate screen ({ATTACH_HERE}), then press the button."
                if not has_questions
                else "No report card yet: press the button to measure what the model learned."
            )
            return text, "", gr.update(visible=False), gr.update(), gr.update(interactive=True), *hidden, key
        if card_job.state != "succeeded":
            words = {"failed": f"failed: {card_job.error}", "cancelled": "was cancelled"}.get(
                card_job.state, f"is being made ({(card_job.progress or 0) * 100:.0f} %)…"
            )
            return (
                f"The report card {words}",
                "",
                gr.update(visible=False),
                gr.update(),
                gr.update(interactive=card_job.terminal),
                *hidden,
                key,
            )
        card = card_job.result or {}
        figure = card_figure(card) if card.get("systems") else None
        headers, rows = answer_rows(card)
        passes = job.params.get("epochs") or preset_epochs(job.params.get("preset"))
        gentler = gentler_setting(card, int(passes), job.params.get("lam")) if card.get("systems") else None
        offer = hidden
        if gentler:
            offer = gr.update(visible=True), gr.update(value=gentler_words(gentler)), gentler
        return (
            card_markdown(card) if card.get("systems") else card.get("summary", ""),
            card_details(card) if card.get("systems") else "",
            gr.update(value=figure, visible=figure is not None),
            gr.update(value=rows, headers=headers) if rows else gr.update(),
            gr.update(interactive=True),
            *offer,
            key,
        )

    @user_errors
    def watch_card(current: str, shown: str, request: gr.Request):
        job = ctx.jobs.get(current) if current else None
        if job is None or job.state != "succeeded" or not (job.result or {}).get("name"):
            return *(gr.update(),) * 7, shown
        return card_view(job, shown, may_start=ctx.guard.is_editor(request))

    def use_gentler(setting: dict | None):
        """Set the form to the gentler setting the report card suggests (fewer passes, a smaller λ)."""
        if not setting:
            return gr.update(), gr.update(), gr.update()
        lam_update = gr.update(value=setting["lam"]) if "lam" in setting else gr.update()
        words = gentler_words(setting).removeprefix("Use the gentler setting ")
        return gr.update(value=setting["passes"]), lam_update, f"Set {words}: press **Launch** to adapt again."

    @user_errors
    def make_card(current: str):
        job = ctx.jobs.get(current) if current else None
        if job is None or job.state != "succeeded":
            raise gr.Error("The report card is made for a finished adaptation: launch one first.")
        name, collection = job.result["name"], job.params.get("collection") or "default"
        running = latest_card_job(ctx.jobs, name)
        if running is not None and not running.terminal:
            raise gr.Error("A report card of this model is already being made.")
        if not ctx.documents.qa_rows(collection):
            raise gr.Error(
                f"The collection '{collection}' has no questions: attach a .qa.json file to it on the Evaluate screen "
                f"({ATTACH_HERE})."
            )
        submit_card(name, collection)
        gr.Info("Making the report card: it appears here when it is done.")
        return gr.update(interactive=False), ""

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
        # a preset that trains the recall-then-answer format is read in it
        ctx.selections.set(FORMAT_KEY, format_for(answer_format(job.params.get("preset"))))
        return ui.go_to("ab-chat") if ui else gr.update()

    def evaluate_it():
        return ui.go_to("evaluate") if ui else gr.update()

    base.input(ctx.guard.paths(on_base), [base, collection], [skill, skill_note], api_name=False)
    collection.input(ctx.guard.paths(on_base), [base, collection], [skill, skill_note], api_name=False)
    preset.input(on_preset, preset, steps, api_name=False)
    collection.input(tool_preset, collection, [preset, steps], api_name=False)  # a tools collection: tool-docs
    # .change fires on the user's choices and on the handlers' (a preset sets its passes): one queue, in order,
    # the last pending one only, so the estimate shown is always for what the screen shows last.
    for trigger in (base.change, collection.change, preset.change, steps.change):
        trigger(
            show_estimate,
            [base, collection, preset, steps],
            estimate,
            api_name=False,
            concurrency_id="adapt-estimate",
            concurrency_limit=1,
            trigger_mode="always_last",
            show_progress="minimal",
        )
    skill.change(on_skill, skill, lam, api_name=False)
    do_launch = ctx.guard.editor("adapt", target=lambda m, c, s, *_: f"{c} + {s} on {m}")(do_launch)
    lam_schedule.change(schedule_note, lam_schedule, lam_note, api_name=False, show_progress="hidden")
    launch_inputs = [base, collection, skill, lam, name, steps, preset, lam_schedule]  # the schedule last: optional
    launch.click(do_launch, launch_inputs, [job_id, launch], api_name="adapt")
    watched = [status, stages, done_row, launch, heatmap, watch_shown]
    job_id.change(watch, job_id, watched, api_name=False)
    timer.tick(watch, [job_id, watch_shown], watched, api_name=False, show_progress="hidden")
    card_outputs = [card_text, card_more, card_chart, card_answers, card_button, gentle_row, gentle_btn, gentle]
    card_outputs.append(card_shown)
    timer.tick(watch_card, [job_id, card_shown], card_outputs, api_name=False, show_progress="hidden")
    make_card = ctx.guard.editor("report_card", target=0)(make_card)  # a card is a job: editors start it
    card_button.click(make_card, job_id, [card_button, card_shown], api_name="report_card")
    gentle_btn.click(use_gentler, gentle, [steps, lam, gentle_note], api_name=False)
    if ui is not None:
        chat_btn.click(chat_with_it, job_id, ui.tabs, api_name=False)
        eval_btn.click(evaluate_it, None, ui.tabs, api_name=False)
    return [
        OnLoad(load_choices, [], [base, collection, skill, skill_note, job_id, lam, preset, steps], on_show=True),
        # the documents may have changed on another screen (a deletion): the estimate is made again on each visit
        OnLoad(show_estimate, [base, collection, preset, steps], [estimate], on_show=True),
    ]
