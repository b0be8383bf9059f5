"""The Documents screen: upload files into collections, see their text and chunk counts, delete.

A question file (``.qa.json``, SQuAD ``.json``, LooGLE ``.jsonl``) uploaded here is attached to the collection
as its questions (the same :meth:`~backend.documents.DocumentService.upload_qa_path` the Evaluate screen's
"Add questions to a collection" calls), never stored as a text document. A mistake (Delete with nothing
picked) is said next to the button and stays until it is fixed; a deletion is confirmed there.

Handlers are module-level functions of the studio's context and the components' values (bound with
``functools.partial``); ``render`` only lays the screen out and wires them.
"""

from __future__ import annotations

from typing import Any

import gradio as gr

from backend.documents import ACCEPTED, UploadOutcome
from backend.tool_collections import ACCEPTED_TOOLS, ToolCollections, ToolUploadOutcome
from studio.bind import bind
from studio.context import StudioContext
from studio.errors import user_errors
from studio.screen import OnLoad, StudioUI
from studio.upload_row import upload_row

MAX_MB = 20
INTRO = (
    "### Documents\n"
    f"Upload the documents the model should learn: PDF, Word (.docx), web pages, Markdown or plain text, "
    f"up to {MAX_MB} MB each, several at once. Each file's type is checked from its content. Documents are "
    "grouped into **collections** (for example one per product or project); the Adapt screen trains on "
    "one collection.\n\n"
    "**Questions about the documents** (a `.qa.json` file, SQuAD `.json` or LooGLE `.jsonl`) go in the same box: "
    "they are attached to the collection as its questions (not trained on) and used by the report card after "
    "Adapt and by the Evaluate screen."
)
COLUMNS = ["id", "document", "collection", "type", "characters", "tokens", "QA chunks", "memorisation chunks"]


N_LISTING = 5  # what listing() updates: table, document picker, filter, collection, question summary
PICK_FIRST = "**Pick a document first** (the *Document* list above)."
TICK_FIRST = "**Tick the box to confirm the deletion.**"


def _shown(show: str | None) -> str | None:
    return None if show in (None, "all") else show


def listing(ctx: StudioContext, show: str | None, selected: str | None) -> tuple[Any, ...]:
    """The stored documents of the shown collection(s), the pickers' choices and the attached questions."""
    rows = ctx.documents.list(_shown(show))
    table_rows = [
        [
            r["id"],
            r["meta"].get("file_name", r["name"]),
            r["meta"].get("collection", ""),
            r["meta"].get("format", ""),
            r["meta"].get("n_chars", ""),
            r["meta"].get("n_tokens", ""),
            r["meta"].get("chunks_qa", ""),
            r["meta"].get("chunks_memorise", ""),
        ]
        for r in rows
    ]
    choices = [(f"{r['meta'].get('file_name', r['name'])} ({r['meta'].get('collection')})", r["id"]) for r in rows]
    ids = [c[1] for c in choices]
    collections = ctx.documents.collections() or ["default"]
    return (
        table_rows,
        gr.update(choices=choices, value=selected if selected in ids else None),
        gr.update(choices=["all", *collections]),
        gr.update(choices=collections),
        question_summary(ctx, _shown(show)),
    )


@user_errors
def upload(
    ctx: StudioContext, paths: list[str] | None, target: str, show: str | None, selected: str | None
) -> tuple[Any, ...]:
    """Store the files (question files attach to the collection); one line per file says what became of it."""
    if not paths:
        return "**Choose one or more files first** (the box above).", gr.update(), *listing(ctx, show, selected)
    checked = [ctx.guard.policy.path(p, "uploaded file") for p in paths]
    results = ctx.documents.upload_paths(checked, target)
    return upload_summary(results, target), None, *listing(ctx, show, selected)


@user_errors
def show_text(ctx: StudioContext, doc_id: str | None) -> tuple[str, str]:
    """The picked document's text; a new pick also clears the "pick a document" message."""
    return (ctx.documents.text(doc_id) if doc_id else ""), ""


@user_errors
def delete(ctx: StudioContext, doc_id: str | None, sure: bool, show: str | None) -> tuple[Any, ...]:
    """Delete the picked document; a mistake is said beside the button (not as a passing toast)."""
    same = (gr.update(),) * N_LISTING
    if not doc_id:
        return gr.update(), gr.update(), PICK_FIRST, *same
    if not sure:
        return gr.update(), gr.update(), TICK_FIRST, *same
    name = ctx.documents.get(doc_id)["meta"].get("file_name", doc_id)
    ctx.documents.delete(doc_id)
    return False, "", f"Deleted **{name}**.", *listing(ctx, show, None)


def clear_message() -> str:
    return ""


def render(ctx: StudioContext, ui: StudioUI | None = None) -> list[OnLoad]:
    gr.Markdown(INTRO)
    row = upload_row(
        "docs",
        f"Files ({ACCEPTED}; question files .qa.json, .json, .jsonl; up to {MAX_MB} MB each)",
        "Collection",
        "Add to collection",
    )
    outcome = gr.Markdown("", elem_id="docs-outcome")
    questions = gr.Markdown("", elem_id="docs-questions")
    filter_box = gr.Dropdown(["all"], value="all", label="Show collection")
    table = gr.Dataframe(headers=COLUMNS, interactive=False, label="Stored documents", elem_id="docs-table")
    picked = gr.Dropdown([], label="Document", elem_id="docs-pick")
    text = gr.Textbox(label="Extracted text", lines=10, max_lines=20, interactive=False, elem_id="docs-text")
    with gr.Row():
        confirm = gr.Checkbox(label="Yes, delete the selected document", value=False, elem_id="docs-confirm")
        delete_btn = gr.Button("Delete", variant="stop", elem_id="docs-delete")
    delete_msg = gr.Markdown("", elem_id="docs-delete-msg")
    outputs = [table, picked, filter_box, row.collection, questions]
    tool_hooks = render_tools(ctx)

    guard = ctx.guard
    add = guard.editor("upload_documents", target=_upload_target)(bind(upload, ctx))
    remove = guard.editor("delete_document", target=0)(bind(delete, ctx))
    inputs = [row.files, row.collection, filter_box, picked]
    row.button.click(add, inputs, [outcome, row.files, *outputs], api_name="upload")
    filter_box.change(bind(listing, ctx), [filter_box, picked], outputs, api_name=False)
    picked.change(bind(show_text, ctx), picked, [text, delete_msg], api_name=False)
    confirm.input(clear_message, None, delete_msg, api_name=False)
    delete_btn.click(
        remove, [picked, confirm, filter_box], [confirm, text, delete_msg, *outputs], api_name="delete_document"
    )
    return [OnLoad(bind(listing, ctx), [filter_box, picked], outputs), *tool_hooks]


def _upload_target(paths: list[str] | None, target: str, *_: Any) -> str:
    return f"{target}: {', '.join(_names(paths))}"


def upload_summary(results: list[UploadOutcome], target: str) -> str:
    """One line per file: a document's format and size, a question file's questions, or why it was refused."""
    lines = []
    for r in results:
        if r.ok and r.questions is not None:
            lines.append(f"- added **{r.file_name}**: {r.questions} questions, attached to '{target or 'default'}'")
        elif r.ok:
            meta = r.row["meta"]
            lines.append(f"- added **{r.file_name}**: {meta.get('format')}, {meta.get('n_chars')} characters")
            lines += [f"  - note: {warning}" for warning in meta.get("warnings", [])]
        else:
            lines.append(f"- not added **{r.file_name}**: {r.error}")
    good = sum(r.ok for r in results)
    return f"**{good} of {len(results)} file(s) added to '{target or 'default'}'.**\n" + "\n".join(lines)


def question_summary(ctx: StudioContext, collection: str | None) -> str:
    """The question files attached to the shown collections, in one line each."""
    rows = ctx.documents.qa_rows(collection)
    if not rows:
        return "No question files attached yet."
    lines = [
        f"- '{r['meta'].get('collection', 'default')}': {r['meta'].get('file_name', r['name'])} "
        f"({r['meta'].get('n_questions', '?')} questions)"
        for r in rows
    ]
    return "**Questions attached** (used by the report card and Evaluate):\n" + "\n".join(lines)


TOOLS_INTRO = (
    "### Tools (API schemas)\n"
    "To teach a model to call your APIs, add their documentation to a **tools collection**: StableToolBench "
    "`api_list` files, OpenAPI/Swagger documents or JSON-Schema function definitions. Each file is checked; an "
    "API that cannot be read is named with the reason, and a file with no usable API is refused. A tools "
    "collection holds API schemas only. Adapt on it with a tool-use skill; run agents on it on the Tools screen."
)
TOOL_COLUMNS = ["id", "file", "collection", "APIs", "categories", "warnings"]


def tool_listing(ctx: StudioContext, current: str | None) -> tuple[list[list[Any]], dict[str, Any]]:
    """The stored schema files and the tools collections (keeping ``current``)."""
    tools = ToolCollections(ctx.settings, ctx.store)
    rows = [
        [
            r["id"],
            r["meta"].get("file_name", r["name"]),
            r["meta"].get("collection", ""),
            r["meta"].get("n_apis", ""),
            ", ".join(r["meta"].get("categories", [])),
            len(r["meta"].get("warnings", [])),
        ]
        for r in tools.list()
    ]
    found = tools.collections() or ["tools"]
    return rows, gr.update(choices=found, value=current or found[0])


@user_errors
def upload_tools(ctx: StudioContext, paths: list[str] | None, target: str) -> tuple[Any, ...]:
    """Store the schema files; one line per file says its APIs or every reason it was refused."""
    if not paths:
        return "**Choose one or more API schema files first** (the box above).", gr.update(), *tool_listing(ctx, target)
    checked = [ctx.guard.policy.path(p, "uploaded file") for p in paths]
    results = ToolCollections(ctx.settings, ctx.store).upload_paths(checked, target)
    return tool_upload_summary(results, target), None, *tool_listing(ctx, target)


def render_tools(ctx: StudioContext) -> list[OnLoad]:
    """The tools-collection part of the Documents screen: schema uploads and the stored schema files."""
    gr.Markdown(TOOLS_INTRO)
    row = upload_row(
        "tools",
        f"API schema files ({ACCEPTED_TOOLS})",
        "Tools collection",
        "Add to tools collection",
        default="tools",
        ids=("files", "upload-collection", "upload"),
    )
    outcome = gr.Markdown("", elem_id="tools-outcome")
    table = gr.Dataframe(
        headers=TOOL_COLUMNS, interactive=False, label="Stored API schema files", elem_id="tools-table"
    )
    add = ctx.guard.editor("upload_tools", target=_upload_target)(bind(upload_tools, ctx))
    outputs = [outcome, row.files, table, row.collection]
    row.button.click(add, [row.files, row.collection], outputs, api_name="upload_tools")
    return [OnLoad(bind(tool_listing, ctx), [row.collection], [table, row.collection])]


def tool_upload_summary(results: list[ToolUploadOutcome], target: str) -> str:
    """One line per schema file: its APIs, or every reason it was refused; warnings under it."""
    lines = []
    for r in results:
        if r.ok:
            meta = r.row["meta"]
            lines.append(
                f"- added **{r.file_name}**: {meta.get('n_apis')} API(s): {', '.join(meta.get('categories', []))}"
            )
        else:
            lines.append(f"- not added **{r.file_name}**:")
            lines += [f"  - {error}" for error in r.errors]
        lines += [f"  - note: {warning}" for warning in r.warnings]
    good = sum(r.ok for r in results)
    return f"**{good} of {len(results)} schema file(s) added to tools collection '{target}'.**\n" + "\n".join(lines)


def _names(paths: list[str] | None) -> list[str]:
    return [str(p).rsplit("/", 1)[-1] for p in paths or []]
