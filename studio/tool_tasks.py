"""Ready-made tasks for the Tools screen: the queries stored with a tools collection's StableToolBench files.

Pure functions of :class:`~past.tools.queries.ToolQuery` lists (no Gradio), so they are tested directly: the
dropdown's choices (a short label, the query text as the value) and a plain-words note on what is offered.
"""

from __future__ import annotations

from collections.abc import Sequence

from past.tools.queries import ToolQuery

LABEL_CHARS = 90
NO_TASKS = (
    "*This collection has no stored tasks: its files hold API schemas only. Type a task, or upload a "
    "StableToolBench query file (a list of `{query, api_list, relevant APIs}`) into it to pick from its queries.*"
)


def task_label(query: ToolQuery) -> str:
    """``#28 · Logistics · Where is my parcel …`` (the query id, its category, the start of the request)."""
    text = " ".join(query.query.split())
    text = text if len(text) <= LABEL_CHARS else text[: LABEL_CHARS - 1].rstrip() + "…"
    category = f" · {query.category}" if query.category else ""
    return f"#{query.query_id}{category} · {text}"


def task_choices(queries: Sequence[ToolQuery]) -> list[tuple[str, str]]:
    """(label, query text) per stored query, first of each text kept (the text fills the task box)."""
    seen: set[str] = set()
    choices = []
    for query in queries:
        if query.query not in seen:
            seen.add(query.query)
            choices.append((task_label(query), query.query))
    return choices


def tasks_note(collection: str | None, queries: Sequence[ToolQuery]) -> str:
    if not collection:
        return ""
    if not queries:
        return NO_TASKS
    return (
        f"*{len(task_choices(queries))} task(s) stored with the uploaded query files of '{collection}': pick one "
        "to fill the task box (the agents still see only what the setting below allows about the APIs).*"
    )
