"""A TRL GRPO reward function over any :class:`Judge`: the question is read back from the prompt.

TRL calls ``reward(prompts=..., completions=..., **dataset_columns)``; the dataset needs a column of
reference answers (``answers`` by default). Prompts and completions may be plain strings or chat messages.
With ``answer_of`` (and a ``style`` column, the row's prompt style) only the answer that function reads out of a
completion is judged — e.g. the answer line of a *recall, then answer* reply, never its recalled sentence.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from past.judges.base import Judge


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list) and value:  # chat messages: the last message's content
        last = value[-1]
        return str(last.get("content", "")) if isinstance(last, dict) else str(last)
    return ""


def _question(prompt: Any) -> str:
    if isinstance(prompt, list):
        users = [m.get("content", "") for m in prompt if isinstance(m, dict) and m.get("role") == "user"]
        return str(users[-1]) if users else ""
    return str(prompt)


def judge_reward_fn(
    judge: Judge, answers_column: str = "answers", answer_of: Callable[[str, str], str] | None = None
) -> Callable[..., list[float]]:
    """A reward function for ``trl.GRPOTrainer(reward_funcs=...)`` scoring completions with ``judge``.

    ``answer_of(completion_text, style)`` picks what is judged (rows without a ``style`` column: style "")."""

    def closed_book_reward(prompts: list[Any], completions: list[Any], **columns: Any) -> list[float]:
        references = columns[answers_column]
        questions = [_question(p) for p in prompts]
        texts = [_text(c) for c in completions]
        if answer_of is not None:
            styles = columns.get("style") or [""] * len(texts)
            texts = [answer_of(text, style) for text, style in zip(texts, styles, strict=True)]
        return judge.score_batch(questions, texts, list(references))

    closed_book_reward.__name__ = f"judge_{judge.name.split(':')[0]}"
    return closed_book_reward
