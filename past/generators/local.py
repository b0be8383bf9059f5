"""Batched generation with a local transformers model: chat template, length-sorted batches, seeded sampling.

The decoding itself is :func:`past.serving.decode.generate_rows`, the one local generation loop.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from past.generators.base import Conversation
from past.serving.decode import generate_rows
from past.serving.generation import GenerationParams


@dataclass
class LocalGenerator:
    """Generates with ``model``/``tokenizer`` in memory. Uses the chat template when the tokenizer has one
    (``chat_template=None``, the default) or when forced (``True``); otherwise joins the message texts.

    ``on_tokens(done, most)``, when set, is called every :data:`TOKEN_REPORT_EVERY` decoding steps of a batch
    (tokens written so far, the most it may write): the progress inside one long batch."""

    model: Any
    tokenizer: Any
    name: str = "local"
    batch_size: int = 8
    chat_template: bool | None = None
    on_tokens: Callable[[int, int], None] | None = None

    def _render(self, conversation: Conversation) -> str:
        use_template = self.chat_template
        if use_template is None:
            use_template = bool(getattr(self.tokenizer, "chat_template", None))
        if use_template:
            return self.tokenizer.apply_chat_template(conversation, add_generation_prompt=True, tokenize=False)
        return "\n\n".join(m["content"] for m in conversation)

    def generate(
        self, conversations: list[Conversation], params: GenerationParams, seed: int | None = None
    ) -> list[str]:
        tokenizer = self.tokenizer
        if tokenizer.pad_token is None:
            tokenizer.pad_token = tokenizer.eos_token
        # The chat template already holds the special tokens it wants.
        prompts = [tokenizer(self._render(c), add_special_tokens=False)["input_ids"] for c in conversations]
        # Longest first, so each batch holds similar lengths (less padding); answers go back in input order.
        order = sorted(range(len(prompts)), key=lambda i: -len(prompts[i]))
        replies: list[str] = [""] * len(prompts)
        for start in range(0, len(order), self.batch_size):
            indices = order[start : start + self.batch_size]
            batch_params = replace(params, seed=seed + start) if seed is not None else params
            prompts_batch = [prompts[i] for i in indices]
            rows = generate_rows(self.model, tokenizer, prompts_batch, batch_params, self._step_reporter(params))
            for i, (ids, _) in zip(indices, rows, strict=True):
                replies[i] = tokenizer.decode(ids, skip_special_tokens=True).strip()
        return replies

    def _step_reporter(self, params: GenerationParams) -> Callable[[int], None] | None:
        """``on_tokens`` every :data:`TOKEN_REPORT_EVERY` decoding steps of a batch, or None without it."""
        report = self.on_tokens
        if report is None:
            return None
        return lambda done: report(done, params.max_new_tokens) if done % TOKEN_REPORT_EVERY == 0 else None


TOKEN_REPORT_EVERY = 16


def local_generator(loaded: Any, batch_size: int = 8) -> LocalGenerator:
    """A generator over a :class:`past.models.LoadedModel`, named after the model it runs."""
    label = loaded.resolved.label if getattr(loaded, "resolved", None) else "local"
    return LocalGenerator(loaded.model, loaded.tokenizer, name=f"local:{label}", batch_size=batch_size)
