"""The "with documents" prompt: the best-matching chunks, then the question in an evaluation prompt style.

The question part is exactly :func:`past.evaluation.prompts.render_prompt` of the chosen style, so a system
with documents differs from the same system closed-book only by the passages put in front of it.
"""

from __future__ import annotations

from collections.abc import Sequence

from past.evaluation.prompts import DEFAULT_PROMPT, render_prompt
from past.generators.base import Conversation, user

DOCUMENTS_INTRO = "Use these passages from the documents to answer."


def render_documents_prompt(question: str, passages: Sequence[str], style: str = DEFAULT_PROMPT) -> str:
    """The user turn: numbered passages (if any), then the question in prompt style ``style``."""
    asked = render_prompt(question, style)
    if not passages:
        return asked
    blocks = "\n\n".join(f"Passage {n}:\n{text.strip()}" for n, text in enumerate(passages, 1))
    return f"{DOCUMENTS_INTRO}\n\n{blocks}\n\n{asked}"


def documents_conversation(question: str, passages: Sequence[str], style: str = DEFAULT_PROMPT) -> Conversation:
    return user(render_documents_prompt(question, passages, style))
