"""The GPU chat engine: vLLM with multi-LoRA, several sides streamed at once (optional extra ``gpu``).

One vLLM engine serves one base model with ``enable_lora``; each side is one request carrying its own
``LoRARequest`` (or none), and vLLM batches the requests of all sides (and of all sessions) itself, so two
adapters on one base cost about one model. vLLM's async engine runs on an event loop in a background
thread; :meth:`VllmChatEngine.stream` bridges its async generators to the same synchronous
:class:`StreamEvent` iterator the transformers engine yields. ``vllm`` is imported only when this engine
is created; without it, or without a CUDA GPU, creation raises :class:`EngineUnavailableError`.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import queue
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from past.serving.engine import Conversations, SideSpec, Stop, StreamEvent, open_side, stream_stop
from past.serving.errors import EngineUnavailableError
from past.serving.generation import GenerationParams

_FINISH = {"stop": "eos", "length": "length", "abort": "stopped"}
_request_ids = itertools.count()


def vllm_unavailable_reason() -> str | None:
    """Why the vLLM engine cannot run here (no vllm, no CUDA GPU), or ``None`` when it can."""
    try:
        import torch
    except ImportError:  # pragma: no cover - torch is a core dependency
        return "torch is not installed"
    if not torch.cuda.is_available():
        return "no CUDA GPU is visible (the vLLM engine needs one; the transformers engine runs on CPU)"
    try:
        import vllm  # noqa: F401
    except ImportError:
        return "vllm is not installed: install the GPU extra with `pip install 'past-studio[gpu]'`"
    return None


class VllmChatEngine:
    """A :class:`~past.serving.engine.ChatEngine` over one vLLM async engine with multi-LoRA."""

    name = "vllm"

    def __init__(
        self,
        model_path: str | Path,
        *,
        model_ref: str | None = None,
        max_loras: int = 4,
        max_lora_rank: int = 64,
        gpu_memory_utilization: float = 0.85,
        max_model_len: int | None = None,
    ) -> None:
        reason = vllm_unavailable_reason()
        if reason:
            raise EngineUnavailableError(f"the vLLM engine cannot start: {reason}")
        from transformers import AutoTokenizer
        from vllm import AsyncEngineArgs, AsyncLLMEngine

        self.model_path = str(model_path)
        self.model_ref = model_ref or self.model_path
        self.tokenizer = AutoTokenizer.from_pretrained(self.model_path)
        args = AsyncEngineArgs(
            model=self.model_path,
            enable_lora=True,
            max_loras=max_loras,
            max_lora_rank=max_lora_rank,
            gpu_memory_utilization=gpu_memory_utilization,
            max_model_len=max_model_len,
        )
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="vllm-loop", daemon=True)
        self._thread.start()
        self.engine = self._call(self._create(args, AsyncLLMEngine))
        self.context_tokens = int(self.engine.model_config.max_model_len)
        self._lora_ids: dict[str, int] = {}

    @staticmethod
    async def _create(args: Any, engine_cls: Any) -> Any:
        return engine_cls.from_engine_args(args)  # created on the loop it will run on

    def _call(self, coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result()

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.engine.shutdown()
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)

    def lora_request(self, adapter: Path) -> Any:
        from vllm.lora.request import LoRARequest

        path = str(Path(adapter).expanduser().resolve())
        lora_id = self._lora_ids.setdefault(path, len(self._lora_ids) + 1)  # vLLM wants ids >= 1
        return LoRARequest(lora_name=f"adapter-{lora_id}", lora_int_id=lora_id, lora_path=path)

    def sampling_params(self, params: GenerationParams, max_tokens: int) -> Any:
        from vllm import SamplingParams
        from vllm.sampling_params import RequestOutputKind

        return SamplingParams(
            max_tokens=max_tokens,
            temperature=params.temperature,
            top_p=params.top_p if params.temperature > 0 else 1.0,
            seed=params.seed,
            output_kind=RequestOutputKind.DELTA,  # each output carries only the new text
        )

    def stream(
        self, sides: Sequence[SideSpec], conversations: Conversations, params: GenerationParams, stop: Stop = None
    ) -> Iterator[StreamEvent]:
        stop = stream_stop(sides, conversations, stop)
        events: queue.Queue[StreamEvent | None] = queue.Queue()
        requests: dict[int, str] = {}
        for i, side in enumerate(sides):
            if side.model not in (self.model_ref, self.model_path, "default"):
                yield StreamEvent(
                    i, "error", f"this vLLM engine serves {self.model_ref} only, not {side.model}", "error"
                )
                continue
            ready = f"{side.describe()} · vLLM"
            prompt = yield from open_side(
                i, ready, self.tokenizer, conversations[i], params.max_new_tokens, self.context_tokens
            )
            if prompt is None:
                continue
            lora = self.lora_request(side.adapter) if side.adapter else None
            requests[i] = f"past-{next(_request_ids)}"
            sampling = self.sampling_params(params, prompt.max_new_tokens)
            coro = self._run(i, requests[i], prompt.ids, sampling, lora, events)
            asyncio.run_coroutine_threadsafe(coro, self._loop)
        running = set(requests)
        try:
            while running:
                try:
                    event = events.get(timeout=0.1)
                except queue.Empty:
                    event = None
                for i in list(running):
                    if stop.is_stopped(i):  # do not wait for vLLM to confirm the abort
                        self._abort(requests[i])
                        running.discard(i)
                        yield StreamEvent(i, "done", "", "stopped")
                if event is None or event.side not in running:
                    continue
                yield event
                if event.kind in ("done", "error"):
                    running.discard(event.side)
        finally:
            for i in running:  # the consumer went away: stop what still runs
                self._abort(requests[i])

    def _abort(self, request_id: str) -> None:
        asyncio.run_coroutine_threadsafe(self.engine.abort(request_id), self._loop)

    async def _run(
        self, side: int, request_id: str, ids: list[int], sampling: Any, lora: Any, events: queue.Queue
    ) -> None:
        from vllm import TokensPrompt

        finish = "stopped"
        try:
            async for output in self.engine.generate(
                TokensPrompt(prompt_token_ids=ids), sampling, request_id, lora_request=lora
            ):
                completion = output.outputs[0]
                if completion.text:
                    events.put(StreamEvent(side, "text", completion.text))
                if output.finished:
                    finish = _FINISH.get(completion.finish_reason or "", "eos")
        except asyncio.CancelledError:
            finish = "stopped"
        except Exception as exc:  # this side fails alone
            events.put(StreamEvent(side, "error", f"vLLM generation failed ({type(exc).__name__}: {exc})", "error"))
            return
        events.put(StreamEvent(side, "done", "", finish))  # type: ignore[arg-type]
