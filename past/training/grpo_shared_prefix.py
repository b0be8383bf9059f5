"""GRPO with each prompt's forward pass shared by its group of completions (the CPU path of ``train_grpo``).

In GRPO every prompt is answered ``num_generations`` times. TRL's transformers path runs the prompt once per
completion, both when sampling and when scoring the completions for the loss; on a CPU the prompts (a chat
template and a question) are most of the tokens. Here the prompt is encoded once per group and its key/value
cache is repeated for the group's completions:

* :func:`sample_groups` prefills each distinct prompt once, repeats the cache, then samples token by token;
* :func:`grouped_logps` recomputes the same thing with gradients: prefix pass (distinct prompts), cache
  repeated by indexing (differentiable, so every completion's gradient reaches the shared prompt), completion
  pass, log-probabilities of the sampled tokens and their entropies.

Positions come from the attention mask (left padding is not counted), in sampling and scoring alike, as in
``generate``. :class:`SharedPrefixGRPOTrainer` plugs both into TRL's ``GRPOTrainer`` and falls back to TRL's
own code for vLLM, multimodal inputs and MoE auxiliary losses. The result equals the unshared computation
(tests compare log-probabilities and gradients); ``bench/grpo_step.py`` measures the speed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from transformers import DynamicCache

MULTIMODAL_KEYS = (
    "pixel_values",
    "image_grid_thw",
    "num_images",
    "pixel_attention_mask",
    "spatial_shapes",
    "num_tiles",
    "image_sizes",
    "token_type_ids",
    "mm_token_type_ids",
    "image_position_ids",
)


def prompt_groups(prompt_ids: torch.Tensor, prompt_mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(rows of the first prompt of each run of identical consecutive prompts, each row's group index)."""
    rows = prompt_ids.size(0)
    same = torch.zeros(rows, dtype=torch.bool)
    if rows > 1:
        same[1:] = (prompt_ids[1:] == prompt_ids[:-1]).all(-1) & (prompt_mask[1:] == prompt_mask[:-1]).all(-1)
    group_of_row = torch.cumsum((~same).long(), 0) - 1
    first_rows = torch.nonzero(~same).squeeze(-1)
    return first_rows, group_of_row


def mask_positions(mask: torch.Tensor) -> torch.Tensor:
    """Position ids that skip left padding: 0 at each row's first real token."""
    return (mask.long().cumsum(-1) - 1).clamp(min=0)


def _prefill(model: Any, prompt_ids: torch.Tensor, prompt_mask: torch.Tensor, first_rows, group_of_row):
    """Encode the distinct prompts once; return (next-token logits per row, cache repeated per row)."""
    cache = DynamicCache()
    out = model(
        input_ids=prompt_ids[first_rows],
        attention_mask=prompt_mask[first_rows],
        position_ids=mask_positions(prompt_mask[first_rows]),
        past_key_values=cache,
        use_cache=True,
        logits_to_keep=1,
    )
    cache = out.past_key_values
    cache.batch_select_indices(group_of_row.to(prompt_ids.device))
    return out.logits[:, -1][group_of_row], cache


def _filter_logits(logits: torch.Tensor, top_k: int, top_p: float) -> torch.Tensor:
    if top_k and 0 < top_k < logits.size(-1):
        kth = torch.topk(logits, top_k, dim=-1).values[..., -1:]
        logits = logits.masked_fill(logits < kth, float("-inf"))
    if 0.0 < top_p < 1.0:
        sorted_logits, order = torch.sort(logits, descending=True, dim=-1)
        cumulative = torch.softmax(sorted_logits, dim=-1).cumsum(-1)
        drop = cumulative - torch.softmax(sorted_logits, dim=-1) > top_p  # keep the token that crosses top_p
        logits = logits.masked_fill(drop.scatter(-1, order, drop), float("-inf"))
    return logits


@torch.no_grad()
def sample_groups(
    model: Any,
    prompt_ids: torch.Tensor,
    prompt_mask: torch.Tensor,
    *,
    max_new_tokens: int,
    eos_token_ids: Sequence[int],
    pad_token_id: int,
    temperature: float = 1.0,
    top_p: float = 1.0,
    top_k: int = 0,
) -> list[list[int]]:
    """Sample one completion per row (rows with identical prompts share one prefill); each ends at its EOS."""
    first_rows, group_of_row = prompt_groups(prompt_ids, prompt_mask)
    logits, cache = _prefill(model, prompt_ids, prompt_mask, first_rows, group_of_row)
    rows = prompt_ids.size(0)
    mask = prompt_mask.clone()
    position = mask_positions(prompt_mask)[:, -1:] + 1
    eos = torch.tensor(list(eos_token_ids), dtype=torch.long)
    done = torch.zeros(rows, dtype=torch.bool)
    out: list[list[int]] = [[] for _ in range(rows)]
    for _ in range(max_new_tokens):
        scores = _filter_logits(logits.float() / max(temperature, 1e-6), top_k, top_p)
        tokens = torch.multinomial(torch.softmax(scores, dim=-1), 1).squeeze(-1)
        tokens = torch.where(done, torch.full_like(tokens, pad_token_id), tokens)
        for row in torch.nonzero(~done).squeeze(-1).tolist():
            out[row].append(int(tokens[row]))
        done |= torch.isin(tokens, eos)
        if bool(done.all()):
            break
        mask = torch.cat([mask, torch.ones_like(mask[:, :1])], dim=-1)
        step = model(
            input_ids=tokens.unsqueeze(-1),
            attention_mask=mask,
            position_ids=position,
            past_key_values=cache,
            use_cache=True,
            logits_to_keep=1,
        )
        cache, logits, position = step.past_key_values, step.logits[:, -1], position + 1
    return out


def grouped_logps(
    model: Any,
    prompt_ids: torch.Tensor,
    prompt_mask: torch.Tensor,
    completion_ids: torch.Tensor,
    completion_mask: torch.Tensor,
    *,
    temperature: float = 1.0,
    compute_entropy: bool = False,
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Per-token log-probabilities (and entropies) of ``completion_ids``, prompts shared within groups."""
    from trl.trainer.utils import entropy_from_logits, selective_log_softmax

    first_rows, group_of_row = prompt_groups(prompt_ids, prompt_mask)
    first_logits, cache = _prefill(model, prompt_ids, prompt_mask, first_rows, group_of_row)
    mask = torch.cat([prompt_mask, completion_mask], dim=-1)
    start = mask_positions(prompt_mask)[:, -1:] + 1
    positions = start + torch.arange(completion_ids.size(1), device=completion_ids.device).unsqueeze(0)
    out = model(
        input_ids=completion_ids,
        attention_mask=mask,
        position_ids=positions,
        past_key_values=cache,
        use_cache=True,
    )
    logits = torch.cat([first_logits.unsqueeze(1), out.logits[:, :-1]], dim=1) / temperature
    logps = selective_log_softmax(logits, completion_ids)
    entropies = None
    if compute_entropy:
        with torch.no_grad():
            entropies = entropy_from_logits(logits)
    return logps, entropies


def shared_prefix_trainer_class() -> type:
    """TRL's GRPOTrainer with :func:`sample_groups` and :func:`grouped_logps` on the transformers path."""
    from trl import GRPOTrainer

    class SharedPrefixGRPOTrainer(GRPOTrainer):
        def _shares_prefixes(self, images: Any = None, extra: dict | None = None) -> bool:
            mm = any(v is not None for v in (extra or {}).values())
            return not (self.use_vllm or self.use_transformers_continuous_batching or images or mm)

        def _generate_single_turn(self, prompt_ids, images, multimodal_fields, num_generations, has_tool_images=False):
            if not self._shares_prefixes(images, multimodal_fields or None) or has_tool_images:
                return super()._generate_single_turn(
                    prompt_ids, images, multimodal_fields, num_generations, has_tool_images
                )
            pad = self._tokenizer.pad_token_id
            width = max(len(p) for p in prompt_ids)
            ids = torch.tensor([[pad] * (width - len(p)) + list(p) for p in prompt_ids], dtype=torch.long)
            mask = torch.tensor([[0] * (width - len(p)) + [1] * len(p) for p in prompt_ids], dtype=torch.long)
            model = self.accelerator.unwrap_model(self.model)
            was_training = model.training
            model.eval()
            try:
                completions = sample_groups(
                    model,
                    ids.to(self.accelerator.device),
                    mask.to(self.accelerator.device),
                    max_new_tokens=self.max_completion_length,
                    eos_token_ids=self.eos_token_ids,
                    pad_token_id=pad,
                    temperature=self.temperature,
                    top_p=self.top_p,
                    top_k=self.top_k or 0,
                )
            finally:
                model.train(was_training)
            return completions, None

        def _get_per_token_logps_and_entropies(
            self,
            model,
            input_ids,
            attention_mask,
            logits_to_keep,
            batch_size=None,
            compute_entropy=False,
            compute_aux_loss=False,
            **extra,
        ):
            if compute_aux_loss or not self._shares_prefixes(extra=extra):
                return super()._get_per_token_logps_and_entropies(
                    model,
                    input_ids,
                    attention_mask,
                    logits_to_keep,
                    batch_size=batch_size,
                    compute_entropy=compute_entropy,
                    compute_aux_loss=compute_aux_loss,
                    **extra,
                )
            cut = input_ids.size(1) - logits_to_keep
            logps, entropies = grouped_logps(
                model,
                input_ids[:, :cut],
                attention_mask[:, :cut],
                input_ids[:, cut:],
                attention_mask[:, cut:],
                temperature=self.temperature,
                compute_entropy=compute_entropy,
            )
            return logps, entropies, None

    return SharedPrefixGRPOTrainer
