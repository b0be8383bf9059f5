"""Builders for skill tests: perturbed copies of checkpoints, random non-zero LoRA adapters, registered bases."""

from __future__ import annotations

import hashlib
import re
import shutil
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file


def perturbed_copy(source: Path, dest: Path, seed: int, scale: float = 0.01, match: str = "proj") -> Path:
    """Copy a checkpoint, adding Gaussian noise to the weights whose name matches the regex ``match``."""
    shutil.copytree(source, dest, ignore=shutil.ignore_patterns("model.json"))
    generator = torch.Generator().manual_seed(seed)
    for file in sorted(dest.glob("*.safetensors")):
        state = load_file(file)
        for name, tensor in state.items():
            if re.search(match, name):
                noise = torch.randn(tensor.shape, generator=generator) * scale
                state[name] = (tensor.float() + noise).to(tensor.dtype)
        save_file(state, file, metadata={"format": "pt"})
    return dest


def random_lora(
    base: Path,
    dest: Path,
    seed: int,
    r: int = 4,
    alpha: int = 8,
    targets: tuple[str, ...] = ("q_proj", "v_proj", "down_proj"),
) -> Path:
    """A PEFT LoRA adapter with random non-zero A and B (init_lora_weights=False) saved to ``dest``."""
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    torch.manual_seed(seed)
    model = AutoModelForCausalLM.from_pretrained(base)
    config = LoraConfig(r=r, lora_alpha=alpha, target_modules=list(targets), init_lora_weights=False)
    peft_model = get_peft_model(model, config)
    with torch.no_grad():
        for name, param in peft_model.named_parameters():
            if "lora_B" in name:
                param.mul_(0.05)
    peft_model.save_pretrained(dest)
    return dest


def peft_merged_state(base: Path, adapter: Path) -> dict[str, torch.Tensor]:
    """What PEFT itself makes of base + adapter (the reference for our streaming merges)."""
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(base)
    merged = PeftModel.from_pretrained(model, adapter).merge_and_unload()
    return {k: v.detach().clone() for k, v in merged.state_dict().items()}


def checkpoint_state(path: Path) -> dict[str, torch.Tensor]:
    state: dict[str, torch.Tensor] = {}
    for file in sorted(path.glob("*.safetensors")):
        state.update(load_file(file))
    return state


def tree_digest(path: Path) -> str:
    """A hash of every file under ``path`` (names and bytes), to prove nothing was modified."""
    sha = hashlib.sha256()
    for file in sorted(p for p in path.rglob("*") if p.is_file()):
        sha.update(str(file.relative_to(path)).encode())
        sha.update(file.read_bytes())
    return sha.hexdigest()


def register_base(checkpoint: Path) -> Path:
    """Make the tiny Llama checkpoint in ``<models>/<name>`` a registered base model named after its folder."""
    from past.models.fingerprint import fingerprint_checkpoint
    from past.models.record import ModelRecord, write_record

    record = ModelRecord(
        name=checkpoint.name,
        display_name=checkpoint.name,
        kind="base",
        source="tests",
        architecture="LlamaForCausalLM",
        fingerprint=fingerprint_checkpoint(checkpoint),
    )
    write_record(checkpoint, record)
    return checkpoint
