"""How a *recall, then answer* reply is shown: the short answer first, "what it remembered" under it.

The reply is split by :func:`backend.ab_prompts.recall_parts`, the same split the evaluator and the GRPO reward
use, so what the screen calls the answer is exactly what is judged; the remembered sentence is shown for reading
and never counts. A reply with no ``Answer:`` line (yet, while it streams) shows only what it remembered.
"""

from __future__ import annotations

from backend.ab_prompts import AS_TYPED, FORMAT_LABELS, RECALL, recall_parts

ANSWER_FORMATS = [(FORMAT_LABELS[AS_TYPED], AS_TYPED), (FORMAT_LABELS[RECALL], RECALL)]
FORMAT_KEY = "ab_chat.answer_format"  # selection in the store: the A/B answer format last chosen (or set by Adapt)


def format_for(prompt_family: str) -> str:
    """The A/B chat answer format that reads a model trained for ``prompt_family`` (the evaluator's name)."""
    return RECALL if prompt_family == RECALL else AS_TYPED


def known_format(value: str | None) -> bool:
    """Whether ``value`` is one of the answer formats (a browser or API client may send anything)."""
    return value in (AS_TYPED, RECALL)


REMEMBERED = "What it remembered:"
NO_ANSWER = "(no 'Answer:' line: this reply gives no answer)"


def recall_markdown(reply: str, finished: bool = True) -> str:
    """Markdown of a recall-style reply: the answer in bold, then "What it remembered: …" beneath it."""
    answer, remembered = recall_parts(reply)
    if not answer:
        head = NO_ANSWER if finished else "(remembering…)"
        return f"{head}\n\n{REMEMBERED} {remembered or reply.strip()}"
    return f"**{answer}**\n\n{REMEMBERED} {remembered or '(nothing written)'}"
