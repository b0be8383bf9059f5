"""The chat engine a process uses, as :func:`past.device.choose_chat_engine` decides.

On the CPU, or on a GPU without vLLM, it is the transformers engine over the model pool (on the GPU when
there is one). With a GPU and vLLM it is a :class:`RoutedChatEngine`: vLLM serves the default base model
with multi-LoRA, so chat and A/B chat of models adapted from it (LoRA adapters) run there; a request with
another model on a side goes to the transformers engine. vLLM is started on first use (it takes a while);
if it cannot start, transformers serves from then on and :meth:`RoutedChatEngine.describe` says why.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path

from past.device import EngineChoice
from past.errors import PastError
from past.serving.engine import ChatEngine, Conversations, ModelSource, SideSpec, Stop, StreamEvent
from past.serving.generation import GenerationParams
from past.serving.transformers_engine import TransformersChatEngine

VLLM_GPU_FRACTION = 0.45  # of the GPU's memory vLLM takes (weights + KV cache); the model pool gets the rest


class RoutedChatEngine:
    """vLLM for requests whose sides are all on its base model, a fallback engine for the others."""

    name = "vllm"

    def __init__(
        self,
        fallback: ChatEngine,
        resolve: Callable[[str], Path],
        base_ref: str,
        start_vllm: Callable[[Path], ChatEngine],
    ) -> None:
        """``resolve`` maps a model reference to its checkpoint directory; ``start_vllm(path)`` creates the
        vLLM engine for the base at ``path`` (called once, on the first request that can use it)."""
        self.fallback = fallback
        self.resolve = resolve
        self.base_ref = base_ref
        self.start_vllm = start_vllm
        self.failure: str | None = None
        self._vllm: ChatEngine | None = None
        self._lock = threading.Lock()

    def describe(self) -> str:
        if self.failure:
            return f"transformers (vLLM could not start: {self.failure})"
        state = "running" if self._vllm is not None else "starts on the first chat"
        return f"vLLM for {self.base_ref} and its adapters ({state}); transformers for other models"

    def stream(
        self, sides: Sequence[SideSpec], conversations: Conversations, params: GenerationParams, stop: Stop = None
    ) -> Iterator[StreamEvent]:
        engine = self._vllm_for(sides)
        if engine is None:
            yield from self.fallback.stream(sides, conversations, params, stop)
            return
        on_base = [replace(side, model=self.base_ref, label=side.describe()) for side in sides]
        yield from engine.stream(on_base, conversations, params, stop)

    def _vllm_for(self, sides: Sequence[SideSpec]) -> ChatEngine | None:
        """The vLLM engine when every side is on its base (started if need be), else None."""
        try:
            base = self.resolve(self.base_ref)
            if any(self.resolve(side.model) != base for side in sides):
                return None
        except PastError:
            return None  # the fallback engine reports the bad reference on its side
        with self._lock:
            if self._vllm is None and self.failure is None:
                try:
                    self._vllm = self.start_vllm(base)
                except Exception as exc:  # vLLM fails in many ways (CUDA, memory, model support)
                    self.failure = f"{type(exc).__name__}: {exc}"
            return self._vllm


def create_chat_engine(
    choice: EngineChoice,
    source: ModelSource,
    resolve: Callable[[str], Path],
    *,
    base_ref: str = "default",
    max_streams: int = 2,
) -> ChatEngine:
    """The engine ``choice`` names, over ``source`` (the model pool) for everything vLLM does not serve."""
    transformers = TransformersChatEngine(source, max_streams=max_streams)
    if choice.name != "vllm":
        return transformers

    def start_vllm(path: Path) -> ChatEngine:
        from past.serving.vllm_engine import VllmChatEngine

        return VllmChatEngine(path, model_ref=base_ref, gpu_memory_utilization=VLLM_GPU_FRACTION)

    return RoutedChatEngine(transformers, resolve, base_ref, start_vllm)


def describe_serving(choice: EngineChoice, engine: ChatEngine) -> str:
    """One line for the UI: which engine answers chats, on which device."""
    detail = engine.describe() if isinstance(engine, RoutedChatEngine) else "transformers"
    return f"Chat engine: {detail} · device {choice.device.describe()}"
