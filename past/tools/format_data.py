"""Format-alignment SFT data on the ReAct convention, from the queries' first steps.

Each record is the agent's prompt (system prompt + user query) and its first step: a Thought, the first relevant
API as the Action, and arguments from the documented defaults as the Action Input. From StableToolBench queries
(source categories: never the evaluation queries), or, for a user's own APIs without queries, from usage requests
written about each API (:mod:`past.tools.docs_data`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from past.tools.agent import initial_conversation
from past.tools.docs_data import ApiTexts
from past.tools.queries import ToolQuery
from past.tools.react import render_step
from past.tools.schema import ApiSpec

# Training length for tool-use SFT (the Adapt preset and the skill build alike): a ReAct format record (agent
# system prompt + request + first step) is ~230-430 tokens on the default model's tokenizer; at 256 or 384 the
# longest were cut, often at their Action line.
TOOL_SFT_MAX_LENGTH = 512

_SENTENCE = re.compile(r"^(.+?[.!?])(?=\s+[A-Z]|$)")


def _purpose(api: ApiSpec) -> str:
    text = " ".join(api.description.split())
    if not text:
        return f"get the {api.name} result from {api.tool}"
    match = _SENTENCE.match(text)
    first = (match.group(1) if match else text).rstrip(".")
    return first[:1].lower() + first[1:] if len(first) < 160 else first[:157] + "..."


def first_step(api: ApiSpec) -> str:
    return render_step(f"I should call {api.function} to {_purpose(api)}.", api.function, api.example_arguments())


def first_step_records(queries: Sequence[ToolQuery], hint: str = "none") -> list[dict[str, Any]]:
    """One record per query: its prompt and a first step calling its first relevant API."""
    records = []
    for query in queries:
        api = query.api(query.relevant[0]) if query.relevant else None
        if api is None:
            continue
        messages = [*initial_conversation(query, hint), {"role": "assistant", "content": first_step(api)}]
        records.append(
            {
                "kind": "format",
                "function": api.function,
                "category": query.category,
                "provenance": f"query:{query.query_id}",
                "messages": messages,
            }
        )
    return records


def synthetic_first_step_records(
    apis: Sequence[ApiSpec], texts: dict[str, ApiTexts], hint: str = "none"
) -> list[dict[str, Any]]:
    """First steps for requests written about each API (no queries needed): the agent prompt, then the call."""
    records = []
    for api in apis:
        entry = texts.get(api.function)
        for question in entry.questions if entry else ():
            query = ToolQuery(f"synthetic:{api.function}", question, (api.function,), tuple(apis))
            messages = [*initial_conversation(query, hint), {"role": "assistant", "content": first_step(api)}]
            records.append(
                {
                    "kind": "format",
                    "function": api.function,
                    "category": api.category,
                    "provenance": entry.questions_by if entry else "template",
                    "messages": messages,
                }
            )
    return records
