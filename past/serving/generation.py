"""Decoding settings shared by every chat engine and generator: :class:`GenerationParams`."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from past.serving.errors import ServingError


@dataclass(frozen=True)
class GenerationParams:
    """Decoding settings shared by every chat engine."""

    max_new_tokens: int = 256
    temperature: float = 0.0  # 0 means greedy decoding
    top_p: float = 1.0
    seed: int | None = None  # makes sampling repeatable; ignored when greedy

    def __post_init__(self) -> None:
        if self.max_new_tokens < 1:
            raise ServingError(f"the reply length must be at least 1 token (got {self.max_new_tokens})")
        if not math.isfinite(self.temperature) or self.temperature < 0:
            raise ServingError(f"temperature must be a finite number, 0 (greedy) or more (got {self.temperature})")
        if not 0 < self.top_p <= 1:
            raise ServingError(f"top-p must be in (0, 1] (got {self.top_p})")

    def generate_kwargs(self) -> dict[str, Any]:
        """The same settings for ``transformers``' ``generate`` (used as a reference in tests)."""
        if self.temperature <= 0:
            return {"do_sample": False, "max_new_tokens": self.max_new_tokens}
        return {
            "do_sample": True,
            "temperature": self.temperature,
            "top_p": self.top_p,
            "max_new_tokens": self.max_new_tokens,
        }
