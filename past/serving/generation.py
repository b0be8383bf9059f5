"""Streaming chat generation with transformers: chat template, EOS stop, sampling, cancellation."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class GenerationParams:
    """Decoding settings shared by every chat engine."""

    max_new_tokens: int = 256
    temperature: float = 0.0  # 0 means greedy decoding
    top_p: float = 1.0

    def generate_kwargs(self) -> dict[str, Any]:
        if self.temperature <= 0:
            return {"do_sample": False, "max_new_tokens": self.max_new_tokens}
        return {
            "do_sample": True,
            "temperature": self.temperature,
            "top_p": self.top_p,
            "max_new_tokens": self.max_new_tokens,
        }


class _StopOnEvent:
    """A stopping criterion that ends generation when a threading.Event is set."""

    def __init__(self, event: threading.Event) -> None:
        self.event = event

    def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> bool:
        del input_ids, scores, kwargs
        return self.event.is_set()


def stream_chat(model: Any, tokenizer: Any, messages: list[dict[str, str]], params: GenerationParams) -> Iterator[str]:
    """Yield the reply to ``messages`` piece by piece; closing the iterator stops generation."""
    import torch
    from transformers import StoppingCriteriaList, TextIteratorStreamer

    inputs = tokenizer.apply_chat_template(
        messages, add_generation_prompt=True, return_tensors="pt", return_dict=True
    ).to(model.device)
    streamer = TextIteratorStreamer(tokenizer, skip_prompt=True, skip_special_tokens=True, timeout=300)
    stop = threading.Event()
    errors: list[BaseException] = []

    def run() -> None:
        try:
            with torch.inference_mode():
                model.generate(
                    **inputs,
                    streamer=streamer,
                    stopping_criteria=StoppingCriteriaList([_StopOnEvent(stop)]),
                    pad_token_id=tokenizer.pad_token_id,
                    **params.generate_kwargs(),
                )
        except BaseException as exc:  # surfaced to the consumer below
            errors.append(exc)
            streamer.end()

    worker = threading.Thread(target=run, name="stream-chat", daemon=True)
    worker.start()
    try:
        for piece in streamer:
            if piece:
                yield piece
        if errors:
            raise errors[0]
    finally:
        stop.set()
        worker.join(timeout=30)
