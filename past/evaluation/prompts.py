"""The closed-book answer prompts: one family, used by evaluation, the GRPO reward and a skill's own evaluation.

A prompt style is a recorded setting (its name goes into every result), never an accident of which module
ran. ``paper`` is the SQuAD setting of the paper and the default; ``question`` is the bare question, as a
person types it in chat.
"""

from __future__ import annotations

from past.errors import ConfigError
from past.generators.base import Conversation, user

PROMPTS: dict[str, str] = {
    "paper": "Let's answer a question directly and concisely.\nQuestion: {question}\nAnswer:",
    "question": "{question}",
}
DEFAULT_PROMPT = "paper"


def check_prompt(style: str) -> str:
    if style not in PROMPTS:
        raise ConfigError(f"unknown prompt style {style!r}: choose one of {', '.join(PROMPTS)}")
    return style


def render_prompt(question: str, style: str = DEFAULT_PROMPT) -> str:
    """The user turn that asks ``question`` closed-book in prompt style ``style``."""
    return PROMPTS[check_prompt(style)].format(question=question)


def prompt_conversation(question: str, style: str = DEFAULT_PROMPT) -> Conversation:
    return user(render_prompt(question, style))
