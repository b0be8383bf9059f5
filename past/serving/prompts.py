"""Turning a conversation into prompt token ids with the tokenizer's chat template, within the context window.

Policy for prompts that are too long (documented in the studio's A/B chat): the oldest turns are dropped
first (a system message is kept); if the newest message alone is still too long, its *beginning* is cut so
that its last part fits. Either way the caller gets a notice to show. An empty newest message is refused.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from past.serving.errors import EmptyPromptError, NoChatTemplateError, PromptTooLongError

DEFAULT_CONTEXT_WINDOW = 2048
MIN_PROMPT_ROOM = 16  # tokens a prompt may always use, however large max_new_tokens is


@dataclass(frozen=True)
class PreparedPrompt:
    """Prompt token ids ready for the model, the room left for the reply, and a notice if it was shortened."""

    ids: list[int]
    max_new_tokens: int
    notice: str = ""


def context_window(model: Any, override: int | None = None) -> int:
    """The number of tokens the model attends to (prompt plus reply)."""
    if override:
        return override
    config = getattr(model, "config", None)
    return int(getattr(config, "max_position_embeddings", 0) or DEFAULT_CONTEXT_WINDOW)


def template_ids(tokenizer: Any, messages: Sequence[dict[str, str]]) -> list[int]:
    if not getattr(tokenizer, "chat_template", None):
        name = getattr(tokenizer, "name_or_path", "") or "this model"
        raise NoChatTemplateError(
            f"{name} has no chat template (tokenizer_config.json has no 'chat_template'), so it cannot chat: "
            "use an instruct/chat model, or add a chat template to its tokenizer"
        )
    out = tokenizer.apply_chat_template(list(messages), add_generation_prompt=True, tokenize=True, return_dict=True)
    return list(out["input_ids"])


def prepare_prompt(
    tokenizer: Any, messages: Sequence[dict[str, str]], max_new_tokens: int, window: int
) -> PreparedPrompt:
    """Chat-template ``messages`` so that prompt + reply fit in ``window`` tokens (see module docstring)."""
    messages = [{"role": m["role"], "content": str(m.get("content", ""))} for m in messages]
    if not messages or messages[-1]["role"] != "user" or not messages[-1]["content"].strip():
        raise EmptyPromptError("the message is empty: type something to send")
    if max_new_tokens < 1:
        raise PromptTooLongError("the reply length must be at least 1 token")
    reply_room = min(max_new_tokens, window - MIN_PROMPT_ROOM)
    budget = window - reply_room
    ids = template_ids(tokenizer, messages)
    if len(ids) <= budget:
        return PreparedPrompt(ids, reply_room)

    system = messages[:1] if messages[0]["role"] == "system" else []
    turns = messages[len(system) :]
    dropped = 0
    while len(turns) > 1 and len(ids) > budget:
        turns = turns[1:]
        while len(turns) > 1 and turns[0]["role"] != "user":  # a conversation restarts at a user turn
            turns = turns[1:]
        dropped = len(messages) - len(system) - len(turns)
        ids = template_ids(tokenizer, [*system, *turns])
    notice = (
        f"The conversation was too long for this model ({window} tokens): "
        f"the oldest {dropped} message(s) were left out."
    )
    if len(ids) <= budget:
        return PreparedPrompt(ids, reply_room, notice)

    last = turns[-1]["content"]
    overhead = len(template_ids(tokenizer, [*system, {"role": "user", "content": ""}]))
    content_ids = tokenizer(last, add_special_tokens=False)["input_ids"]
    keep = budget - overhead
    while keep > 0:
        text = tokenizer.decode(content_ids[-keep:], skip_special_tokens=True)
        ids = template_ids(tokenizer, [*system, {"role": "user", "content": text}])
        if len(ids) <= budget:
            notice = (
                f"Your message is {len(content_ids)} tokens, more than this model reads ({window} tokens with "
                f"room for the reply): only its last {keep} tokens were used"
                + (f", and the {dropped} earlier message(s) were left out." if dropped else ".")
            )
            return PreparedPrompt(ids, reply_room, notice)
        keep -= max(1, len(ids) - budget)
    raise PromptTooLongError(
        f"this model reads at most {window} tokens and its chat template alone needs {overhead}: "
        "no room is left for your message; shorten the system message or the reply length"
    )
