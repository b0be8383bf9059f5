"""Loading a causal LM + tokenizer from a checkpoint directory, and saving merged models (safetensors)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

from past.errors import MalformedModelError
from past.models import validate_checkpoint
from past.models.adapters import merge_adapter_for_generation


def load_model(path: str | Path, dtype: torch.dtype = torch.float32) -> tuple[Any, Any]:
    """Model (eval mode) and tokenizer (with a pad token) from a local checkpoint directory."""
    path = Path(path)
    validate_checkpoint(path)
    try:
        model = AutoModelForCausalLM.from_pretrained(path, dtype=dtype, use_safetensors=True)
        tokenizer = AutoTokenizer.from_pretrained(path)
    except (OSError, ValueError, KeyError, RuntimeError) as exc:
        raise MalformedModelError(f"could not load the model at {path}: {exc}") from exc
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    model.eval()
    return model, tokenizer


def save_model(model: Any, tokenizer: Any, path: str | Path) -> Path:
    """Save a full model + tokenizer as safetensors, atomically (temp dir + rename)."""
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    model.save_pretrained(tmp, safe_serialization=True)
    tokenizer.save_pretrained(tmp)
    if path.exists():
        shutil.rmtree(path)
    tmp.rename(path)
    return path


def load_for_generation(path: str | Path) -> tuple[Any, Any]:
    """:func:`load_model` on the device :mod:`past.device` picks, in its dtype (bf16 on a GPU, fp32 on the CPU)."""
    from past.device import detect

    device = detect()
    model, tokenizer = load_model(path, dtype=device.torch_dtype)
    return model.to(device.torch_device), tokenizer


def load_with_adapter(path: str | Path, adapter: str | Path | None = None) -> tuple[Any, Any]:
    """The model at ``path`` (a local checkpoint) with ``adapter`` merged in, and its tokenizer."""
    model, tokenizer = load_for_generation(path)
    return (merge_adapter_for_generation(model, adapter) if adapter else model), tokenizer
