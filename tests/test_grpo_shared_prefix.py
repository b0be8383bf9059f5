"""Shared-prefix GRPO: log-probabilities and gradients equal the unshared computation; sampling is well formed."""

from __future__ import annotations

import torch
from peft import get_peft_model

from past.training.grpo_shared_prefix import grouped_logps, mask_positions, prompt_groups, sample_groups
from past.training.sft import lora_config
from tests.tiny_models import tiny_llama_config


def _tiny_lora_model(seed: int = 0):
    from transformers import LlamaForCausalLM

    torch.manual_seed(seed)
    model = get_peft_model(LlamaForCausalLM(tiny_llama_config()), lora_config(4, 8, 0.0, "all-linear"))
    for name, param in model.named_parameters():
        if "lora_B" in name:  # non-zero B, so the LoRA path matters for the gradients
            torch.nn.init.normal_(param, std=0.2)
    return model


def _batch():
    # two groups (prompt lengths 5 and 3, left padded), three completions each, one completion ended early
    pad = 0
    prompts = [[5, 6, 7, 8, 9]] * 3 + [[pad, pad, 11, 12, 13]] * 3
    prompt_ids = torch.tensor(prompts)
    prompt_mask = (prompt_ids != pad).long()
    completion_ids = torch.tensor(
        [[20, 21, 22, 2], [23, 24, 2, 0], [25, 26, 27, 28], [30, 31, 32, 33]] + [[34, 2, 0, 0]] * 2
    )
    completion_mask = (completion_ids != 0).long()
    return prompt_ids, prompt_mask, completion_ids, completion_mask


def _unshared_logps(model, prompt_ids, prompt_mask, completion_ids, completion_mask):
    ids = torch.cat([prompt_ids, completion_ids], 1)
    mask = torch.cat([prompt_mask, completion_mask], 1)
    logits = model(input_ids=ids, attention_mask=mask, position_ids=mask_positions(mask)).logits
    width = completion_ids.size(1)
    logits = logits[:, -width - 1 : -1]
    return torch.log_softmax(logits.float(), -1).gather(-1, completion_ids.unsqueeze(-1)).squeeze(-1)


def test_prompt_groups_find_runs_of_identical_prompts() -> None:
    prompt_ids, prompt_mask, _, _ = _batch()
    first, group = prompt_groups(prompt_ids, prompt_mask)
    assert first.tolist() == [0, 3] and group.tolist() == [0, 0, 0, 1, 1, 1]


def test_shared_prefix_logps_and_gradients_equal_the_unshared_ones() -> None:
    batch = _batch()
    mask = batch[3].float()
    grads = []
    for fn in (grouped_logps, _unshared_logps):
        model = _tiny_lora_model()
        model.train()
        result = fn(model, *batch)
        logps = result[0] if isinstance(result, tuple) else result
        loss = -(logps * mask).sum() / mask.sum()
        loss.backward()
        grads.append(
            (logps.detach() * mask, {n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None})
        )
    (shared, shared_grads), (plain, plain_grads) = grads
    assert torch.allclose(shared, plain, atol=1e-5)
    assert shared_grads.keys() == plain_grads.keys() and shared_grads
    for name, grad in shared_grads.items():
        assert torch.allclose(grad, plain_grads[name], atol=1e-5, rtol=1e-4), name


def test_sampling_shares_prefills_and_stops_at_eos() -> None:
    model = _tiny_lora_model()
    prompt_ids, prompt_mask, _, _ = _batch()
    torch.manual_seed(0)
    out = sample_groups(model, prompt_ids, prompt_mask, max_new_tokens=6, eos_token_ids=[2, 3], pad_token_id=0)
    assert len(out) == 6 and all(1 <= len(c) <= 6 for c in out)
    for completion in out:  # an EOS, if any, is the last token
        ends = [i for i, t in enumerate(completion) if t in (2, 3)]
        assert ends in ([], [len(completion) - 1])
    greedy = sample_groups(model, prompt_ids, prompt_mask, max_new_tokens=4, eos_token_ids=[2], pad_token_id=0, top_k=1)
    assert greedy[0] == greedy[1] == greedy[2] and greedy[3] == greedy[4] == greedy[5]
    # greedy continuation equals transformers' own generate with the same positions
    model.eval()
    expected = model.generate(
        input_ids=prompt_ids[:1], attention_mask=prompt_mask[:1], max_new_tokens=4, do_sample=False, eos_token_id=2
    )[0, prompt_ids.size(1) :].tolist()
    assert greedy[0] == expected[: len(greedy[0])]
