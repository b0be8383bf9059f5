"""Test models for serving: LoRA adapters made with PEFT directly (non-zero B, so sides really differ),
and tiny chat checkpoints (tiny random Llama + the tiny word-level tokenizer with a chat template)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from tests.tiny_models import make_tiny_llama

LORA_TARGETS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
TINY_CHAT_TEMPLATE = (
    "{% for m in messages %}{{ m['role'] }} : {{ m['content'] }} . {% endfor %}"
    "{% if add_generation_prompt %}a : {% endif %}"
)


def lora_config(r: int = 8):
    from peft import LoraConfig

    # random A and B (B != 0), at twice PEFT's default scale so that sides differ within a few tokens
    return LoraConfig(r=r, lora_alpha=2 * r, target_modules=LORA_TARGETS, init_lora_weights=False)


def make_lora_adapter(model_dir: Path, out_dir: Path, seed: int, r: int = 8) -> Path:
    """Save a randomly initialised (B != 0) LoRA adapter for the model at ``model_dir`` into ``out_dir``."""
    import torch
    from peft import get_peft_model
    from transformers import AutoModelForCausalLM

    torch.manual_seed(seed)
    base = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32)
    get_peft_model(base, lora_config(r)).save_pretrained(out_dir)
    return out_dir


def make_tiny_chat_model(path: Path, seed: int = 0, **config: int) -> Path:
    """A tiny random Llama with a word-level tokenizer and a chat template: loads through the registry."""
    make_tiny_llama(path, seed=seed, **config)
    shutil.copy(Path(__file__).parent / "data" / "tiny_tokenizer.json", path / "tokenizer.json")
    tokenizer_config = {
        "tokenizer_class": "PreTrainedTokenizerFast",
        "eos_token": "</s>",
        "pad_token": "</s>",
        "bos_token": "<s>",
        "unk_token": "<unk>",
        "chat_template": TINY_CHAT_TEMPLATE,
    }
    (path / "tokenizer_config.json").write_text(json.dumps(tokenizer_config))
    return path
