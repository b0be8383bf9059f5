"""What each side of an A/B chat reply reads, and how a *recall, then answer* reply splits.

A side that answers "with the documents" gets the best-matching passages of a collection (BM25, through
:class:`backend.retrieval.CollectionRetrievers`) in front of its message; in the *recall, then answer* format the
message is asked in the evaluation's ``recall`` prompt style. Both go through ``past.evaluation.prompts``, and a
reply is split into (answer, what it remembered) by the same :func:`~past.evaluation.prompts.split_reply` the
evaluator and the GRPO reward judge with, so the studio shows exactly what is scored.
"""

from __future__ import annotations

from collections.abc import Iterable

from backend.retrieval import CollectionRetrievers
from past.evaluation.prompts import PROMPT_LABELS, render_documents_prompt, render_prompt, split_reply
from past.retrieval import DEFAULT_K, Hit

RECALL = "recall"  # the evaluation's prompt style: write what you remember, then "Answer: …"
AS_TYPED = "question"  # the message as the user typed it
FORMAT_LABELS = {AS_TYPED: "as typed", RECALL: PROMPT_LABELS[RECALL]}


def passages_for(
    retrievers: CollectionRetrievers, collection: str, message: str, sides: Iterable[str], k: int = DEFAULT_K
) -> dict[str, list[Hit]]:
    """The passages of ``collection`` that best match ``message``, for each side in ``sides`` (one search)."""
    sides = list(sides)
    if not sides:
        return {}
    found = retrievers.get(collection).retrieve(message, k)
    return {key: found for key in sides}


def side_prompt(message: str, passages: list[str] | None, style: str = AS_TYPED) -> str:
    """The user turn a side is sent: ``message`` in prompt ``style``, after the passages when it reads some."""
    if passages is not None:
        return render_documents_prompt(message, passages, style)
    return render_prompt(message, style)


def recall_parts(reply: str) -> tuple[str, str]:
    """(answer, what it remembered) of a recall-style reply: the answer is what the evaluator judges."""
    return split_reply(reply, RECALL)
