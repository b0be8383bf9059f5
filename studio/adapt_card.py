"""The Adapt screen's knowledge report card: its section, its handlers and their events.

A finished adaptation whose collection has questions gets its card made automatically by a ``report_card`` job
(when it finished recently and the page's user is an editor), and on demand with a button; a collection without
questions is said so in plain words. When the card says the model forgot general knowledge, a button sets the
form to a gentler setting (:func:`studio.report_card_view.gentler_setting`). How a card reads is
:mod:`studio.report_card_view`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import gradio as gr

from backend.store import JobRecord
from past.adapt_params import preset_epochs
from studio.bind import bind
from studio.context import StudioContext
from studio.errors import user_errors
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

ATTACH_HERE = "under *Add questions to a collection*"  # where the Evaluate screen takes question files
AUTO_CARD_WINDOW_S = 600  # a run that finished this recently gets its report card made automatically


def unchanged(shown: str) -> tuple[Any, ...]:
    """Every output of the card left as it is (the 8 before the shown key), and the key."""
    return *(gr.update() for _ in range(8)), shown


def submit_card(ctx: StudioContext, name: str, collection: str) -> JobRecord:
    return ctx.jobs.submit(CARD_KIND, {"adapted": name, "collection": collection}, name=f"Report card of '{name}'")


def card_missing(collection: str, has_questions: bool) -> str:
    """Why there is no report card yet, and what to do."""
    if not has_questions:
        return (
            f"The collection '{collection}' has no questions, so there is no report card: attach a question "
            f"file (.qa.json) to it on the Evaluate screen ({ATTACH_HERE}), then press the button."
        )
    return "No report card yet: press the button to measure what the model learned."


def card_view(ctx: StudioContext, job: JobRecord, shown: str, may_start: bool = True) -> tuple[Any, ...]:
    """The report card of a finished adapt job: (text, details, chart, answers, button, gentler row, gentler
    button, gentler setting, shown key).

    ``may_start``: this page's user may start the automatic card job (editors only; a card is a job)."""
    name, collection = (job.result or {}).get("name", ""), job.params.get("collection") or "default"
    card_job = latest_card_job(ctx.jobs, name)
    has_questions = bool(ctx.documents.qa_rows(collection))
    recent = job.finished_at is not None and time.time() - job.finished_at < AUTO_CARD_WINDOW_S
    if card_job is None and has_questions and recent and may_start:
        card_job = submit_card(ctx, name, collection)
    key = f"{card_job.id}:{card_job.state}:{card_job.progress}" if card_job else f"none:{name}:{has_questions}"
    if key == shown:
        return unchanged(shown)
    hidden = gr.update(visible=False), gr.update(), None  # the gentler-setting row, its button, its setting
    if card_job is None:
        text = card_missing(collection, has_questions)
        return text, "", gr.update(visible=False), gr.update(), gr.update(interactive=True), *hidden, key
    if card_job.state != "succeeded":
        words = {"failed": f"failed: {card_job.error}", "cancelled": "was cancelled"}.get(
            card_job.state, f"is being made ({(card_job.progress or 0) * 100:.0f} %)…"
        )
        button = gr.update(interactive=card_job.terminal)
        return f"The report card {words}", "", gr.update(visible=False), gr.update(), button, *hidden, key
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
def watch_card(ctx: StudioContext, current: str, shown: str, request: gr.Request) -> tuple[Any, ...]:
    job = ctx.jobs.get(current) if current else None
    if job is None or job.state != "succeeded" or not (job.result or {}).get("name"):
        return unchanged(shown)
    return card_view(ctx, job, shown, may_start=ctx.guard.is_editor(request))


def use_gentler(setting: dict | None) -> tuple[Any, Any, Any]:
    """Set the form to the gentler setting the report card suggests (fewer passes, a smaller λ)."""
    if not setting:
        return gr.update(), gr.update(), gr.update()
    lam_update = gr.update(value=setting["lam"]) if "lam" in setting else gr.update()
    words = gentler_words(setting).removeprefix("Use the gentler setting ")
    return gr.update(value=setting["passes"]), lam_update, f"Set {words}: press **Launch** to adapt again."


@user_errors
def make_card(ctx: StudioContext, current: str) -> tuple[Any, str]:
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
    submit_card(ctx, name, collection)
    gr.Info("Making the report card: it appears here when it is done.")
    return gr.update(interactive=False), ""


@dataclass
class Card:
    """The knowledge report card of a finished run, and the gentler setting it may suggest."""

    text: gr.Markdown
    gentle_row: gr.Row
    gentle_btn: gr.Button
    gentle_note: gr.Markdown
    button: gr.Button
    more: gr.Markdown
    chart: gr.Plot
    answers: gr.Dataframe
    shown: gr.State  # the card last shown by watch_card()
    gentle: gr.State  # the gentler setting the card suggests, if any


def card_section() -> Card:
    text = gr.Markdown("", elem_id="adapt-card")
    with gr.Row(visible=False) as gentle_row:
        gentle_btn = gr.Button("Use the gentler setting", elem_id="adapt-gentler")
        gentle_note = gr.Markdown("", elem_id="adapt-gentler-note")
    button = gr.Button("Make the report card", elem_id="adapt-card-run")
    with gr.Accordion("Details: each score with its 95 % interval", open=False, elem_id="adapt-card-more"):
        more = gr.Markdown("", elem_id="adapt-card-details")
        chart = gr.Plot(label="Report card", elem_id="adapt-card-chart", visible=False)
    with gr.Accordion("Answers side by side", open=False, elem_id="adapt-card-fold"):
        answers = gr.Dataframe(elem_id="adapt-card-answers", wrap=True, interactive=False)
    return Card(text, gentle_row, gentle_btn, gentle_note, button, more, chart, answers, gr.State(""), gr.State(None))


def wire_card(ctx: StudioContext, card: Card, job_id: gr.Textbox, timer: gr.Timer, steps: Any, lam: Any) -> None:
    """The card's events: it follows the watched job on each tick; its buttons make it and use the gentler
    setting (which sets the form's passes ``steps`` and strength ``lam``)."""
    outputs = [card.text, card.more, card.chart, card.answers, card.button, card.gentle_row, card.gentle_btn]
    outputs += [card.gentle, card.shown]
    timer.tick(bind(watch_card, ctx), [job_id, card.shown], outputs, api_name=False, show_progress="hidden")
    make = ctx.guard.editor("report_card", target=0)(bind(make_card, ctx))  # a card is a job: editors start it
    card.button.click(make, job_id, [card.button, card.shown], api_name="report_card")
    card.gentle_btn.click(use_gentler, card.gentle, [steps, lam, card.gentle_note], api_name=False)
