"""The closed-book answer prompts: one family, used by evaluation, the GRPO reward and a skill's own evaluation.

A prompt style is a recorded setting (its name goes into every result), never an accident of which module
ran. ``paper`` is the SQuAD setting of the paper and the default; ``question`` is the bare question, as a
person types it in chat; ``recall`` is *recall, then answer*: the model first writes the sentence it remembers,
then a line ``Answer: …``. :func:`split_reply` is the one place a reply becomes (answer, recall): the judge,
the GRPO reward and the report card score only the answer, so reciting can never pass, and a ``recall`` reply
without an answer line answers nothing. "With documents" (:func:`documents_conversation`) puts numbered passages
in front of exactly :func:`render_prompt` of the chosen style, so a system with documents differs from the same
system closed-book only by the passages; the evaluator gets the passages from the retriever it is handed.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from past.errors import ConfigError
from past.generators.base import Conversation, user

PROMPTS: dict[str, str] = {
    "paper": "Let's answer a question directly and concisely.\nQuestion: {question}\nAnswer:",
    "question": "{question}",
    "recall": (
        "Answer a question from memory. First write the sentence you remember that answers it, "
        "then a line that starts with 'Answer:' and gives the short answer.\nQuestion: {question}\nRemembered:"
    ),
}
DEFAULT_PROMPT = "paper"
RECALL_STYLES = ("recall",)  # styles whose reply carries a recall line before the answer line
# New tokens each style needs: a short answer, or one remembered sentence plus the answer line.
ANSWER_TOKENS: dict[str, int] = {"paper": 32, "question": 32, "recall": 96}
PROMPT_LABELS: dict[str, str] = {
    "paper": "direct answer",
    "question": "bare question",
    "recall": "recall, then answer",
}
DOCUMENTS_INTRO = "Use these passages from the documents to answer."
_ANSWER_LINE = re.compile(r"(?im)^\s*(?:\*\*)?answer(?:\*\*)?\s*:\s*(?:\*\*)?\s*(.*)$")


def check_prompt(style: str) -> str:
    if style not in PROMPTS:
        raise ConfigError(f"unknown prompt style {style!r}: choose one of {', '.join(PROMPTS)}")
    return style


def render_prompt(question: str, style: str = DEFAULT_PROMPT) -> str:
    """The user turn that asks ``question`` closed-book in prompt style ``style``."""
    return PROMPTS[check_prompt(style)].format(question=question)


def prompt_conversation(question: str, style: str = DEFAULT_PROMPT) -> Conversation:
    return user(render_prompt(question, style))


def render_documents_prompt(question: str, passages: Sequence[str], style: str = DEFAULT_PROMPT) -> str:
    """The user turn "with documents": numbered passages (if any), then the question in prompt style ``style``."""
    asked = render_prompt(question, style)
    if not passages:
        return asked
    blocks = "\n\n".join(f"Passage {n}:\n{text.strip()}" for n, text in enumerate(passages, 1))
    return f"{DOCUMENTS_INTRO}\n\n{blocks}\n\n{asked}"


def documents_conversation(question: str, passages: Sequence[str], style: str = DEFAULT_PROMPT) -> Conversation:
    return user(render_documents_prompt(question, passages, style))


def first_line(text: str) -> str:
    """The answer proper of a direct reply: the generation up to the first blank line or new 'Question:'."""
    text = text.strip()
    for stop in ("\n\n", "\nQuestion:"):
        text = text.split(stop, 1)[0]
    return text.strip()


def split_reply(reply: str, style: str = DEFAULT_PROMPT) -> tuple[str, str]:
    """(answer, recall) of a reply in ``style``: what is judged, and what the model wrote it remembered.

    Direct styles: the answer is :func:`first_line`, no recall. ``recall``: the answer is the rest of the first
    line that starts with ``Answer:`` (up to the end of that line), the recall is everything before it; a
    reply with no answer line has the empty answer (it scores 0) and all of it as recall.
    """
    if check_prompt(style) not in RECALL_STYLES:
        return first_line(reply), ""
    match = _ANSWER_LINE.search(reply)
    if match is None:
        return "", first_line(reply)
    recall = reply[: match.start()].strip()
    return match.group(1).strip(), recall


def recall_reply(recall: str, answer: str) -> str:
    """A reply in the ``recall`` style (what SFT data in that style trains towards)."""
    return f"{recall.strip()}\nAnswer: {answer.strip()}"
