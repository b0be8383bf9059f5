"""The chat engine interface: sides, stream events, stop signals, and where engines get their models.

A *side* is one model a user chats with: a model reference (registered name, directory or hub id) plus an
optional LoRA adapter directory. An engine streams the replies of one or several sides at once, as a single
sequence of :class:`StreamEvent` tagged with the side's index, so that a UI can fill one pane per side.
Errors of one side arrive as that side's ``error`` event; the other sides keep streaming.
"""

from __future__ import annotations

import threading
from collections.abc import Generator, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

from past.errors import PastError
from past.serving.generation import GenerationParams
from past.serving.prompts import PreparedPrompt, prepare_prompt

Message = dict[str, str]
EventKind = Literal["ready", "notice", "text", "done", "error"]
FinishReason = Literal["eos", "length", "stopped", "error"]


@dataclass(frozen=True)
class SideSpec:
    """One side of a (possibly A/B) chat: a model reference plus an optional LoRA adapter directory."""

    model: str = "default"
    adapter: Path | None = None
    label: str = ""

    def describe(self) -> str:
        if self.label:
            return self.label
        return f"{self.model} + {Path(self.adapter).name}" if self.adapter else self.model


@dataclass(frozen=True)
class StreamEvent:
    """One thing that happened to one side: it is ready, a notice, a piece of text, done, or failed."""

    side: int
    kind: EventKind
    text: str = ""
    finish_reason: FinishReason | None = None


class StopSignal:
    """Stops the whole stream or single sides; safe to set from another thread."""

    def __init__(self) -> None:
        self._all = threading.Event()
        self._sides: set[int] = set()
        self._lock = threading.Lock()

    def stop(self, side: int | None = None) -> None:
        if side is None:
            self._all.set()
            return
        with self._lock:
            self._sides.add(side)

    def is_stopped(self, side: int) -> bool:
        if self._all.is_set():
            return True
        with self._lock:
            return side in self._sides


@dataclass
class ServedModel:
    """A model ready to run, as handed out by a :class:`ModelSource` for the duration of one stream.

    ``adapter_names`` maps adapter directories (resolved) to the PEFT adapter names loaded in ``model``;
    when the model is a PEFT model each forward selects per-row adapters ("__base__" = none), through
    ``stacked`` when set, else through PEFT's ``adapter_names`` argument.
    ``lock`` serialises forward passes: PEFT's per-row adapter hooks are installed per call, so two
    threads must never run the same model at once.
    """

    key: str
    label: str
    fingerprint: str
    model: Any
    tokenizer: Any
    is_peft: bool = False
    adapter_names: dict[str, str] = field(default_factory=dict)
    stacked: Any = None  # a past.serving.lora_batch.StackedLora when the adapters allow it
    lock: Any = field(default_factory=threading.RLock)


class ModelSource(Protocol):
    """Where engines get models: ``acquire`` pins a base model (with the given adapters loaded) while in use."""

    def acquire(self, ref: str, adapters: Sequence[Path] = ()) -> AbstractContextManager[ServedModel]: ...


Conversations = Sequence[Sequence[Message]]  # one message history per side
Stop = StopSignal | None


def stream_stop(sides: Sequence[SideSpec], conversations: Conversations, stop: Stop) -> StopSignal:
    """The checks every engine's ``stream`` starts with: one conversation per side; the stop signal to use."""
    if len(conversations) != len(sides):
        raise ValueError("one conversation per side is needed")
    return stop or StopSignal()


def open_side(
    side: int, ready: str, tokenizer: Any, messages: Sequence[Message], max_new_tokens: int, window: int
) -> Generator[StreamEvent, None, PreparedPrompt | None]:
    """The events that open a side's reply, and its prompt (:func:`~past.serving.prompts.prepare_prompt`): the
    side's ``error`` when the prompt cannot be made (then None), else ``ready`` (``ready`` its text) and the
    prompt's notice."""
    try:
        prompt = prepare_prompt(tokenizer, messages, max_new_tokens, window)
    except PastError as exc:
        yield StreamEvent(side, "error", str(exc), "error")
        return None
    yield StreamEvent(side, "ready", ready)
    if prompt.notice:
        yield StreamEvent(side, "notice", prompt.notice)
    return prompt


class ChatEngine(Protocol):
    """Streams chat replies for one or several sides at once."""

    name: str

    def stream(
        self, sides: Sequence[SideSpec], conversations: Conversations, params: GenerationParams, stop: Stop = None
    ) -> Iterator[StreamEvent]:
        """Yield events of all sides interleaved; ``conversations[i]`` is side ``i``'s message history.

        Closing the iterator stops generation, as does ``stop``.
        """
        ...
