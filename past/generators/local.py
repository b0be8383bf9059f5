"""Batched generation with a local transformers model: chat template, left padding, seeded sampling."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from past.generators.base import Conversation
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
        import torch

        tokenizer = self.tokenizer
        if tokenizer.pad_token is None:
            tokenizer.pad_token = tokenizer.eos_token
        rendered = [self._render(c) for c in conversations]
        # Longest first, so each batch holds similar lengths (less padding); answers go back in input order.
        order = sorted(range(len(rendered)), key=lambda i: -len(rendered[i]))
        replies: list[str] = [""] * len(rendered)
        for start in range(0, len(order), self.batch_size):
            indices = order[start : start + self.batch_size]
            batch = [rendered[i] for i in indices]
            if seed is not None:
                torch.manual_seed(seed + start)
            previous_side = tokenizer.padding_side
            tokenizer.padding_side = "left"
            try:
                # The chat template already holds the special tokens it wants.
                inputs = tokenizer(batch, return_tensors="pt", padding=True, add_special_tokens=False)
            finally:
                tokenizer.padding_side = previous_side
            inputs = inputs.to(self.model.device)
            kwargs = params.generate_kwargs()
            if self.on_tokens is not None:
                kwargs["stopping_criteria"] = _token_steps(self.on_tokens, int(kwargs.get("max_new_tokens") or 0))
            with torch.inference_mode():
                output = self.model.generate(**inputs, pad_token_id=tokenizer.pad_token_id, **kwargs)
            new_tokens = output[:, inputs["input_ids"].shape[1] :]
            for i, text in zip(indices, tokenizer.batch_decode(new_tokens, skip_special_tokens=True), strict=True):
                replies[i] = text.strip()
        return replies


TOKEN_REPORT_EVERY = 16


def _token_steps(report: Callable[[int, int], None], most: int) -> Any:
    """A stopping criterion that never stops: it counts decoding steps and reports every few of them."""
    import torch
    from transformers import StoppingCriteria, StoppingCriteriaList

    class Steps(StoppingCriteria):
        def __init__(self) -> None:
            self.done = 0

        def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> Any:
            self.done += 1
            if self.done % TOKEN_REPORT_EVERY == 0:
                report(self.done, most)
            return torch.zeros(input_ids.shape[0], dtype=torch.bool, device=input_ids.device)

    return StoppingCriteriaList([Steps()])


def local_generator(loaded: Any, batch_size: int = 8) -> LocalGenerator:
    """A generator over a :class:`past.models.LoadedModel`, named after the model it runs."""
    label = loaded.resolved.label if getattr(loaded, "resolved", None) else "local"
    return LocalGenerator(loaded.model, loaded.tokenizer, name=f"local:{label}", batch_size=batch_size)
