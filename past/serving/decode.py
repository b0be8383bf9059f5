"""The one local decode loop: batched and streaming over a KV cache, left padding, per-row EOS and stop, sampling.

Several prompts (rows) are decoded together, one forward pass per step. Rows may use different LoRA
adapters of one PEFT model (``adapter_names`` per row, "__base__" for none), which is how the two sides of
an A/B chat share one copy of the base weights. Finished rows leave the batch (their KV cache rows are
dropped), so a long reply does not pay for a short one. With greedy decoding each row produces the same
tokens as it would alone.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from past.serving.generation import GenerationParams


@dataclass(frozen=True)
class RowStep:
    """What one row did in one step: a new token, and/or the reason it finished."""

    row: int
    token: int | None
    finish: str | None = None  # "eos" | "length" | "stopped"


def eos_token_ids(model: Any, tokenizer: Any) -> set[int]:
    """All token ids that end a reply: the tokenizer's EOS plus the generation config's."""
    ids: set[int] = set()
    for value in (
        getattr(tokenizer, "eos_token_id", None),
        getattr(getattr(model, "generation_config", None), "eos_token_id", None),
    ):
        if isinstance(value, int):
            ids.add(value)
        elif isinstance(value, (list, tuple)):
            ids.update(int(v) for v in value)
    return ids


def is_peft_model(model: Any) -> bool:
    from peft import PeftModel

    return isinstance(model, PeftModel)


def pick_tokens(logits: Any, params: GenerationParams, generator: Any = None) -> Any:
    """Next token per row: argmax when greedy, else temperature + nucleus (top-p) sampling."""
    import torch

    if params.temperature <= 0:
        return logits.argmax(dim=-1)
    probs = torch.softmax(logits.float() / params.temperature, dim=-1)
    if params.top_p < 1.0:
        sorted_probs, order = probs.sort(dim=-1, descending=True)
        outside = sorted_probs.cumsum(dim=-1) - sorted_probs > params.top_p  # keep the smallest set reaching top_p
        sorted_probs = sorted_probs.masked_fill(outside, 0.0)
        probs = torch.zeros_like(probs).scatter(-1, order, sorted_probs)
    return torch.multinomial(probs, 1, generator=generator).squeeze(-1)


def on_model_device(model: Any, *tensors: Any) -> list[Any]:
    """``tensors`` (built on the CPU by :func:`decode_rows`) moved to the device ``model`` runs on."""
    device = next(model.parameters()).device
    return [t.to(device) if t is not None else None for t in tensors]


def last_logits(out: Any) -> Any:
    """The last position's logits as float32 on the CPU, where :func:`decode_rows` picks tokens."""
    return out.logits[:, -1, :].float().cpu()


@dataclass(frozen=True)
class StepModel:
    """What one forward pass runs: the model, and per live row the PEFT adapter name (or ``None`` for a
    plain model); ``stacked`` is a :class:`~past.serving.lora_batch.StackedLora` that selects the row
    adapters instead of PEFT's ``adapter_names`` argument."""

    model: Any
    adapter_names: list[str] | None = None
    stacked: Any = None


def batched_forward(resolve: Callable[[Sequence[int]], StepModel], lock: Any = None) -> Callable[..., Any]:
    """The step function ``(input_ids, attention_mask, position_ids, cache, rows) -> last logits`` of
    :func:`decode_rows`, the one forward closure every engine uses.

    ``resolve(rows)`` is called at every step while ``lock`` is held, so a caller whose model can change
    between two steps (the model pool adding another session's adapter) sees the current one.
    """
    import contextlib

    def forward(input_ids: Any, attention_mask: Any, position_ids: Any, cache: Any, rows: Sequence[int]) -> Any:
        with lock if lock is not None else contextlib.nullcontext(), contextlib.ExitStack() as scope:
            step = resolve(rows)
            extra: dict[str, Any] = {}
            if step.adapter_names is not None:
                if step.stacked is not None:
                    scope.enter_context(step.stacked.rows(step.adapter_names))
                else:
                    extra["adapter_names"] = step.adapter_names
            input_ids, attention_mask, position_ids = on_model_device(
                step.model, input_ids, attention_mask, position_ids
            )
            out = step.model(
                input_ids=input_ids,
                attention_mask=attention_mask,
                position_ids=position_ids,
                past_key_values=cache,
                use_cache=True,
                logits_to_keep=1,
                **extra,
            )
        return last_logits(out)

    return forward


def model_forward(model: Any, lock: Any = None, adapter_names: Sequence[str] | None = None) -> Callable[..., Any]:
    """:func:`batched_forward` over one fixed model; ``adapter_names[row]`` is passed per live row when given
    (PEFT mixed-adapter batch)."""

    def resolve(rows: Sequence[int]) -> StepModel:
        return StepModel(model, [adapter_names[r] for r in rows] if adapter_names is not None else None)

    return batched_forward(resolve, lock)


def decode_rows(
    forward: Callable[..., Any],
    prompts: Sequence[Sequence[int]],
    max_new_tokens: Sequence[int],
    params: GenerationParams,
    eos_ids: set[int],
    pad_id: int,
    is_stopped: Callable[[int], bool] = lambda row: False,
) -> Iterator[list[RowStep]]:
    """Decode all ``prompts`` together; yield, after each forward pass, the steps of the rows still running."""
    import torch
    from transformers import DynamicCache

    n = len(prompts)
    if n == 0:
        return
    generator = None
    if params.temperature > 0 and params.seed is not None:
        generator = torch.Generator().manual_seed(params.seed)
    width = max(len(p) for p in prompts)
    input_ids = torch.full((n, width), pad_id, dtype=torch.long)
    attention_mask = torch.zeros((n, width), dtype=torch.long)
    for i, prompt in enumerate(prompts):  # left padding: every row's last prompt token is at the same column
        input_ids[i, width - len(prompt) :] = torch.tensor(list(prompt), dtype=torch.long)
        attention_mask[i, width - len(prompt) :] = 1
    position_ids = (attention_mask.cumsum(-1) - 1).clamp(min=0)
    cache = DynamicCache()
    rows = list(range(n))  # the original row index of each live batch row
    produced = [0] * n

    # Inference mode is entered around each computation, never held across ``yield``: it is thread-local
    # state, and a generator suspended inside it would switch autograd off in whoever consumes it.
    with torch.inference_mode():
        logits = forward(input_ids, attention_mask, position_ids, cache, rows)
    while True:
        with torch.inference_mode():
            tokens = pick_tokens(logits, params, generator).tolist()
        steps: list[RowStep] = []
        keep: list[int] = []
        for b, row in enumerate(rows):
            token = int(tokens[b])
            if is_stopped(row):
                steps.append(RowStep(row, None, "stopped"))
            elif token in eos_ids:
                steps.append(RowStep(row, None, "eos"))
            else:
                produced[row] += 1
                done = produced[row] >= max_new_tokens[row]
                steps.append(RowStep(row, token, "length" if done else None))
                if not done:
                    keep.append(b)
        yield steps
        if not keep:
            return
        with torch.inference_mode():
            next_ids = torch.tensor([[tokens[b]] for b in keep], dtype=torch.long)
            if len(keep) < len(rows):  # drop finished rows from the batch and its cache
                index = torch.tensor(keep, dtype=torch.long)
                cache.batch_select_indices(index)
                attention_mask = attention_mask[index]
                position_ids = position_ids[index]
                rows = [rows[b] for b in keep]
            attention_mask = torch.cat([attention_mask, attention_mask.new_ones((len(rows), 1))], dim=-1)
            position_ids = position_ids[:, -1:] + 1
            logits = forward(next_ids, attention_mask, position_ids, cache, rows)


def generate_rows(
    model: Any,
    tokenizer: Any,
    prompts: Sequence[Sequence[int]],
    params: GenerationParams,
    on_step: Callable[[int], None] | None = None,
) -> list[tuple[list[int], str]]:
    """Decode ``prompts`` (token ids) together to their end with :func:`decode_rows` over ``model`` as it is
    (a PEFT model with its active adapter): per row, the new tokens (EOS not included) and why it finished
    (``"eos"`` or ``"length"``). The one local generation loop; :class:`past.generators.LocalGenerator` and
    tool-use GRPO rollouts run it, the chat engines stream it. ``on_step(n)``, when given, is called after the
    n-th decoding step (progress inside one long batch)."""
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    rows: list[tuple[list[int], str]] = [([], "length") for _ in prompts]
    lengths = [params.max_new_tokens] * len(prompts)
    decoding = decode_rows(model_forward(model), prompts, lengths, params, eos_token_ids(model, tokenizer), pad)
    for number, steps in enumerate(decoding, 1):
        if on_step is not None:
            on_step(number)
        for step in steps:
            if step.token is not None:
                rows[step.row][0].append(step.token)
            if step.finish is not None:
                rows[step.row] = (rows[step.row][0], step.finish)
    return rows


class TextStream:
    """Incremental detokenisation of one row: feed token ids, get the new text (whole characters only)."""

    def __init__(self, tokenizer: Any) -> None:
        self.tokenizer = tokenizer
        self.ids: list[int] = []
        self.sent = 0

    def push(self, token: int) -> str:
        self.ids.append(token)
        return self._new_text(final=False)

    def flush(self) -> str:
        return self._new_text(final=True)

    def _new_text(self, final: bool) -> str:
        text = self.tokenizer.decode(self.ids, skip_special_tokens=True)
        if not final and text.endswith("\ufffd"):  # a multi-byte character is not complete yet
            return ""
        piece = text[self.sent :]
        self.sent = len(text)
        return piece
