"""Loading a causal LM + tokenizer from a checkpoint directory, and saving merged models (safetensors)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

from past.errors import MalformedModelError
from past.models import validate_checkpoint


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


def merge_adapter_for_generation(model: Any, adapter: str | Path) -> Any:
    """``model`` with a PEFT LoRA adapter merged in (PEFT's own merge), ready for plain generation."""
    from peft import PeftModel

    adapter = Path(adapter)
    if not (adapter / "adapter_config.json").is_file():
        raise MalformedModelError(f"{adapter} is not a PEFT adapter directory (no adapter_config.json)")
    merged = PeftModel.from_pretrained(model, str(adapter)).merge_and_unload()
    merged.eval()
    return merged


def load_with_adapter(path: str | Path, adapter: str | Path | None = None) -> tuple[Any, Any]:
    """The model at ``path`` (a local checkpoint) with ``adapter`` merged in, and its tokenizer."""
    model, tokenizer = load_model(path)
    return (merge_adapter_for_generation(model, adapter) if adapter else model), tokenizer
