"""One model, one conversation: :func:`stream_chat` streams a reply with transformers (chat template, EOS
stop, sampling, cancellation). The ``past chat`` command and the studio's Chat screen use it; the multi-side
engine in :mod:`past.serving.transformers_engine` shares its decode loop (:mod:`past.serving.decode`).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from past.serving.decode import TextStream, decode_rows, eos_token_ids, is_peft_model, model_forward
from past.serving.generation import GenerationParams
from past.serving.lora_batch import BASE_ADAPTER
from past.serving.prompts import context_window, prepare_prompt


def stream_chat(
    model: Any, tokenizer: Any, messages: list[dict[str, str]], params: GenerationParams, lock: Any = None
) -> Iterator[str]:
    """Yield the reply to ``messages`` piece by piece; closing the iterator stops generation.

    A PEFT model is run without any adapter. A conversation too long for the model is shortened from the
    start (see :mod:`past.serving.prompts`); an empty last message raises :class:`EmptyPromptError`.
    """
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
