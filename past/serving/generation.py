"""Streaming chat generation with transformers for one model: chat template, EOS stop, sampling, cancellation.

:func:`stream_chat` is the simple single-model entry point (the ``past chat`` command uses it); the
multi-side engines in :mod:`past.serving.transformers_engine` share its decode loop.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from past.serving.errors import ServingError


@dataclass(frozen=True)
class GenerationParams:
    """Decoding settings shared by every chat engine."""

    max_new_tokens: int = 256
    temperature: float = 0.0  # 0 means greedy decoding
    top_p: float = 1.0
    seed: int | None = None  # makes sampling repeatable; ignored when greedy

    def __post_init__(self) -> None:
        if self.max_new_tokens < 1:
            raise ServingError(f"the reply length must be at least 1 token (got {self.max_new_tokens})")
        if not math.isfinite(self.temperature) or self.temperature < 0:
            raise ServingError(f"temperature must be a finite number, 0 (greedy) or more (got {self.temperature})")
        if not 0 < self.top_p <= 1:
            raise ServingError(f"top-p must be in (0, 1] (got {self.top_p})")

    def generate_kwargs(self) -> dict[str, Any]:
        """The same settings for ``transformers``' ``generate`` (used as a reference in tests)."""
        if self.temperature <= 0:
            return {"do_sample": False, "max_new_tokens": self.max_new_tokens}
        return {
            "do_sample": True,
            "temperature": self.temperature,
            "top_p": self.top_p,
            "max_new_tokens": self.max_new_tokens,
        }


def stream_chat(
    model: Any, tokenizer: Any, messages: list[dict[str, str]], params: GenerationParams, lock: Any = None
) -> Iterator[str]:
    """Yield the reply to ``messages`` piece by piece; closing the iterator stops generation.

    A PEFT model is run without any adapter. A conversation too long for the model is shortened from the
    start (see :mod:`past.serving.prompts`); an empty last message raises :class:`EmptyPromptError`.
    """
    from past.serving.decode import BASE_ADAPTER, TextStream, decode_rows, eos_token_ids, is_peft_model, model_forward
    from past.serving.prompts import context_window, prepare_prompt

    prompt = prepare_prompt(tokenizer, messages, params.max_new_tokens, context_window(model))
    adapters = [BASE_ADAPTER] if is_peft_model(model) else None
    forward = model_forward(model, lock, adapters)
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    text = TextStream(tokenizer)
    steps = decode_rows(forward, [prompt.ids], [prompt.max_new_tokens], params, eos_token_ids(model, tokenizer), pad)
    try:
        for batch in steps:
            for step in batch:
                if step.token is not None and (piece := text.push(step.token)):
                    yield piece
        if tail := text.flush():
            yield tail
    finally:
        steps.close()
