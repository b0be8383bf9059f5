"""PEFT LoRA adapters on a loaded model: merged in for plain generation (evaluation, the CLI, the trainers)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from past.errors import MalformedModelError


def merge_adapter_for_generation(model: Any, adapter: str | Path) -> Any:
    """``model`` with a PEFT LoRA adapter merged in (PEFT's own merge), ready for plain generation."""
    from peft import PeftModel

    adapter = Path(adapter)
    if not (adapter / "adapter_config.json").is_file():
        raise MalformedModelError(f"{adapter} is not a PEFT adapter directory (no adapter_config.json)")
    merged = PeftModel.from_pretrained(model, str(adapter)).merge_and_unload()
    merged.eval()
    return merged
