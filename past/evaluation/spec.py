"""Which model to evaluate: a model reference, optionally with a PEFT adapter directory on top, optionally
"with documents" (retrieved chunks in the prompt)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from past.errors import EvaluationError


@dataclass(frozen=True)
class ModelSpec:
    """``ref`` as understood by :class:`~past.models.ModelRegistry`; ``label`` groups replicate runs
    (e.g. the same method trained with different seeds) into one mean ± sd."""

    ref: str
    adapter: str | None = None
    label: str | None = None
    seed: int | None = None
    retrieval: bool = False  # answer with the best-matching chunks of the documents in the prompt

    @property
    def name(self) -> str:
        if self.label:
            return self.label
        plain = f"{self.ref}+{Path(self.adapter).name}" if self.adapter else self.ref
        return f"{plain} + documents" if self.retrieval else plain

    @classmethod
    def parse(cls, text: str) -> ModelSpec:
        """``[LABEL=]REF[+ADAPTER_DIR][@SEED]``, e.g. ``sft=default+runs/sft/adapter@1``."""
        label, sep, rest = text.partition("=")
        if not sep:
            label, rest = "", text
        rest, at, seed = rest.rpartition("@") if "@" in rest else (rest, "", "")
        if at and not seed.lstrip("-").isdigit():
            raise EvaluationError(f"bad model spec '{text}': the part after @ must be an integer seed")
        ref, plus, adapter = rest.partition("+")
        if not ref:
            raise EvaluationError(f"bad model spec '{text}': expected [LABEL=]REF[+ADAPTER_DIR][@SEED]")
        return cls(ref=ref, adapter=adapter if plus else None, label=label or None, seed=int(seed) if at else None)


def load_spec(registry: Any, spec: ModelSpec) -> tuple[Any, Any]:
    """Load the base model and apply the adapter (merged, for plain generation)."""
    loaded = registry.load(spec.ref)
    model = loaded.model
    if spec.adapter:
        adapter = Path(spec.adapter)
        if not (adapter / "adapter_config.json").is_file():
            raise EvaluationError(f"{adapter} is not a PEFT adapter directory (no adapter_config.json)")
        from past.models.adapters import merge_adapter_for_generation

        model = merge_adapter_for_generation(model, adapter)
    return model, loaded.tokenizer
