"""The interface every skill form implements, and the low-rank factor triple of the LoRA form."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import torch


@dataclass
class LowRank:
    """ΔW = scale · B @ A with B of shape (out, r) and A of shape (r, in)."""

    B: torch.Tensor
    A: torch.Tensor
    scale: float = 1.0

    @property
    def rank(self) -> int:
        return int(self.A.shape[0])

    @property
    def shape(self) -> tuple[int, int]:
        return int(self.B.shape[0]), int(self.A.shape[1])

    def dense(self, dtype: torch.dtype = torch.float32) -> torch.Tensor:
        return (self.B.to(dtype) @ self.A.to(dtype)).mul_(self.scale)

    def scaled_B(self, factor: float = 1.0, dtype: torch.dtype = torch.float32) -> torch.Tensor:
        """B with ``scale · factor`` folded in, so that ΔW = scaled_B @ A."""
        return self.B.to(dtype) * (self.scale * factor)


class DeltaForm(Protocol):
    """Per-parameter access to a delta, whatever its storage form.

    Keys are base-model parameter names (``model.layers.0.self_attn.q_proj.weight``).
    """

    form: str

    def names(self) -> list[str]: ...

    def shape(self, name: str) -> tuple[int, ...]: ...

    def dtype(self) -> torch.dtype: ...

    def dense(self, name: str, dtype: torch.dtype = torch.float32) -> torch.Tensor:
        """The dense delta of ``name`` (materialised for LoRA form)."""

    def factors(self, name: str) -> LowRank | None:
        """Low-rank factors of ``name``, or None for a dense delta."""

    def release(self, name: str, rows: tuple[int, int] | None = None) -> None:
        """Let go of the memory-mapped pages read for ``name`` (or for its rows ``[start, stop)``)."""

    def tensor_files(self) -> list[Path]:
        """The files the content hash covers."""

    def close(self) -> None: ...
