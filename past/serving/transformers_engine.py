"""The default chat engine: transformers on CPU (or one GPU), several sides streamed at once.

Sides whose model reference resolves to the same base checkpoint share one model: their adapters are
loaded into one PEFT model and all of them are decoded in one batched forward pass per step, each row with
its own adapter ("__base__" for a side without one). Sides on different checkpoints are decoded in turns,
one step each, so every pane keeps moving. A side that fails (bad adapter, model that does not load,
prompt refused) gets an ``error`` event and the others go on.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from past.errors import PastError
from past.serving.decode import (
    RowStep,
    StepModel,
    TextStream,
    batched_forward,
    decode_rows,
    eos_token_ids,
)
from past.serving.engine import (
    Conversations,
    Message,
    ModelSource,
    ServedModel,
    SideSpec,
    Stop,
    StopSignal,
    StreamEvent,
    open_side,
    stream_stop,
)
from past.serving.errors import ServingError
from past.serving.generation import GenerationParams
from past.serving.lora_batch import BASE_ADAPTER
from past.serving.prompts import context_window

DEFAULT_MAX_STREAMS = 2


def served_forward(served: ServedModel, adapters: Sequence[str | None]) -> Callable[..., Any]:
    """Step function for :func:`decode_rows` over a pooled model; ``adapters[row]`` is a resolved adapter dir.

    The model is looked up at every step under its lock, because the pool may turn a plain model into a
    PEFT model (to add another session's adapter) between two steps of this stream.
    """

    def resolve(rows: Sequence[int]) -> StepModel:
        if not served.is_peft:
            return StepModel(served.model)
        names = [served.adapter_names[a] if a else BASE_ADAPTER for a in (adapters[r] for r in rows)]
        return StepModel(served.model, names, served.stacked)

    return batched_forward(resolve, served.lock)


@dataclass
class _Group:
    """Sides decoded together on one model."""

    served: ServedModel
    sides: list[int] = field(default_factory=list)
    steps: Iterator[list[RowStep]] | None = None
    texts: dict[int, TextStream] = field(default_factory=dict)
    done: set[int] = field(default_factory=set)


class TransformersChatEngine:
    """A :class:`~past.serving.engine.ChatEngine` over transformers/PEFT models from a :class:`ModelSource`."""

    name = "transformers"

    def __init__(
        self,
        source: ModelSource,
        context_tokens: int | None = None,
        max_streams: int = DEFAULT_MAX_STREAMS,
        wait_seconds: float = 600.0,
    ) -> None:
        """``max_streams`` streams run at once (a safety net behind Gradio's queue); more wait up to
        ``wait_seconds`` and are then refused with a message."""
        self.source = source
        self.context_tokens = context_tokens
        self.max_streams = max_streams
        self.wait_seconds = wait_seconds
        self._streams = threading.BoundedSemaphore(max_streams)

    def stream(
        self, sides: Sequence[SideSpec], conversations: Conversations, params: GenerationParams, stop: Stop = None
    ) -> Iterator[StreamEvent]:
        stop = stream_stop(sides, conversations, stop)
        if not self._streams.acquire(timeout=self.wait_seconds):
            raise ServingError(
                f"all {self.max_streams} reply slots stayed busy for {self.wait_seconds:.0f} s; try again shortly"
            )
        try:
            yield from self._stream(sides, conversations, params, stop)
        finally:
            self._streams.release()

    def _stream(
        self,
        sides: Sequence[SideSpec],
        conversations: Sequence[Sequence[Message]],
        params: GenerationParams,
        stop: StopSignal,
    ) -> Iterator[StreamEvent]:
        with ExitStack() as held:
            groups: dict[str, _Group] = {}
            for i, side in enumerate(sides):
                try:
                    adapters = [Path(side.adapter)] if side.adapter else []
                    served = held.enter_context(self.source.acquire(side.model, adapters))
                except PastError as exc:
                    yield StreamEvent(i, "error", str(exc), "error")
                    continue
                except Exception as exc:  # a model that fails to load in an unforeseen way
                    yield StreamEvent(
                        i, "error", f"{side.describe()} could not be loaded ({type(exc).__name__}: {exc})", "error"
                    )
                    continue
                groups.setdefault(served.key, _Group(served)).sides.append(i)
            live: list[_Group] = []
            for group in groups.values():
                yield from self._start(group, sides, conversations, params, stop)
                if group.steps is not None:
                    live.append(group)
            try:
                while live:  # one step of each group in turn
                    for group in list(live):
                        events, finished = self._advance(group)
                        yield from events
                        if finished:
                            live.remove(group)
            finally:
                for group in groups.values():
                    if group.steps is not None:
                        group.steps.close()  # type: ignore[attr-defined]

    def _start(
        self,
        group: _Group,
        sides: Sequence[SideSpec],
        conversations: Sequence[Sequence[Message]],
        params: GenerationParams,
        stop: StopSignal,
    ) -> Iterator[StreamEvent]:
        served = group.served
        window = context_window(served.model, self.context_tokens)
        prompts: list[list[int]] = []
        limits: list[int] = []
        running: list[int] = []
        for i in group.sides:
            ready = f"{sides[i].describe()} · fingerprint {served.fingerprint}"
            prompt = yield from open_side(i, ready, served.tokenizer, conversations[i], params.max_new_tokens, window)
            if prompt is None:
                continue
            prompts.append(prompt.ids)
            limits.append(prompt.max_new_tokens)
            running.append(i)
            group.texts[i] = TextStream(served.tokenizer)
        group.sides = running
        if not running:
            return
        adapters = [str(Path(sides[i].adapter).expanduser().resolve()) if sides[i].adapter else None for i in running]
        tokenizer = served.tokenizer
        pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
        group.steps = decode_rows(
            served_forward(served, adapters),
            prompts,
            limits,
            params,
            eos_token_ids(served.model, tokenizer),
            pad,
            is_stopped=lambda row: stop.is_stopped(running[row]),
        )

    def _advance(self, group: _Group) -> tuple[list[StreamEvent], bool]:
        """Run one step of a group: its events, and whether the group is done."""
        assert group.steps is not None
        events: list[StreamEvent] = []
        try:
            batch = next(group.steps)
        except StopIteration:
            return events, True
        except Exception as exc:  # e.g. out of memory in the forward pass: this group's sides fail alone
            message = f"generation failed ({type(exc).__name__}: {exc})"
            for side in group.sides:
                if side not in group.done:
                    events.append(StreamEvent(side, "error", message, "error"))
            group.sides = []
            return events, True
        for step in batch:
            side = group.sides[step.row]
            text = group.texts[side]
            if step.token is not None and (piece := text.push(step.token)):
                events.append(StreamEvent(side, "text", piece))
            if step.finish:
                if tail := text.flush():
                    events.append(StreamEvent(side, "text", tail))
                events.append(StreamEvent(side, "done", "", step.finish))  # type: ignore[arg-type]
                group.done.add(side)
        return events, False
