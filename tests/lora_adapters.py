"""Test LoRA adapters made with PEFT directly on a checkpoint: non-zero B, so sides really differ."""

from __future__ import annotations

from pathlib import Path

LORA_TARGETS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]


def make_lora_adapter(model_dir: Path, out_dir: Path, seed: int, r: int = 8) -> Path:
    """Save a randomly initialised (B != 0) LoRA adapter for the model at ``model_dir`` into ``out_dir``."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    torch.manual_seed(seed)
    base = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32)
    config = LoraConfig(r=r, lora_alpha=2 * r, target_modules=LORA_TARGETS, init_lora_weights=False)
    model = get_peft_model(base, config)
    model.save_pretrained(out_dir)
    return out_dir
