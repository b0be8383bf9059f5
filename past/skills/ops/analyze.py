"""Orthogonality analysis: layer × module cosine similarity of two deltas, with norms.

cos(Δa, Δb) = ⟨Δa, Δb⟩_F / (‖Δa‖_F ‖Δb‖_F) per weight matrix. LoRA-form deltas are never
materialised: ⟨B1A1, B2A2⟩_F = sum((B1ᵀB2) ∘ (A1A2ᵀ)), and ⟨D, BA⟩_F = sum((BᵀD) ∘ A) for a dense
D. The result is an :class:`~past.skills.ops.analysis_report.AnalysisTable`; its outputs (JSON, CSV, the
plotly heatmap) live in :mod:`past.skills.ops.analysis_report`, which reads and draws stored tables without torch.
"""

from __future__ import annotations

import math
from typing import Protocol

import torch

from past.progress import NullReporter, Reporter
from past.skills.forms.base import LowRank
from past.skills.lambdas import layer_of, module_of
from past.skills.ops.analysis_report import AnalysisTable, Row


class DeltaLike(Protocol):
    def names(self) -> list[str]: ...
    def dense(self, name: str, dtype: torch.dtype = torch.float32) -> torch.Tensor: ...
    def factors(self, name: str) -> LowRank | None: ...


def lowrank_inner(a: LowRank, b: LowRank) -> float:
    """⟨s_a B_a A_a, s_b B_b A_b⟩_F in O(r (m + n) r) without forming either matrix."""
    left = a.B.to(torch.float64).T @ b.B.to(torch.float64)  # (ra, rb)
    right = a.A.to(torch.float64) @ b.A.to(torch.float64).T  # (ra, rb)
    return float((left * right).sum()) * a.scale * b.scale


def mixed_inner(dense: torch.Tensor, b: LowRank) -> float:
    """⟨D, s B A⟩_F = s · sum((Bᵀ D) ∘ A)."""
    projected = b.B.to(torch.float64).T @ dense.to(torch.float64)  # (r, n)
    return float((projected * b.A.to(torch.float64)).sum()) * b.scale


def dense_inner(a: torch.Tensor, b: torch.Tensor) -> float:
    return float(torch.dot(a.reshape(-1).to(torch.float64), b.reshape(-1).to(torch.float64)))


def inner(a: LowRank | torch.Tensor, b: LowRank | torch.Tensor) -> float:
    if isinstance(a, LowRank) and isinstance(b, LowRank):
        return lowrank_inner(a, b)
    if isinstance(a, LowRank):
        return mixed_inner(b, a)  # type: ignore[arg-type]
    if isinstance(b, LowRank):
        return mixed_inner(a, b)
    return dense_inner(a, b)


def _side(delta: DeltaLike, name: str) -> LowRank | torch.Tensor:
    factors = delta.factors(name)
    return factors if factors is not None else delta.dense(name)


def _label(delta: object) -> str:
    return str(getattr(delta, "name", None) or getattr(delta, "path", "delta"))


def analyze(a: DeltaLike, b: DeltaLike, *, label: str = "", reporter: Reporter | None = None) -> AnalysisTable:
    """Cosine similarity and norms of ``a`` and ``b`` per shared weight matrix (and 1-D params)."""
    reporter = reporter or NullReporter()
    keys_a, keys_b = a.names(), set(b.names())
    shared = [k for k in keys_a if k in keys_b]
    table = AnalysisTable(
        label=label or f"{_label(a)} vs {_label(b)}",
        a=_label(a),
        b=_label(b),
        only_a=[k for k in keys_a if k not in keys_b],
        only_b=sorted(keys_b - set(keys_a)),
    )
    for i, name in enumerate(shared):
        reporter.progress(i / max(len(shared), 1), f"cosine {name}")
        left, right = _side(a, name), _side(b, name)
        dot = inner(left, right)
        norm_a = math.sqrt(max(inner(left, left), 0.0))
        norm_b = math.sqrt(max(inner(right, right), 0.0))
        cosine = dot / (norm_a * norm_b) if norm_a > 0 and norm_b > 0 else float("nan")
        table.rows.append(Row(name, layer_of(name), module_of(name), cosine, norm_a, norm_b, dot))
        for side in (a, b):
            release = getattr(side, "release", None)
            if release is not None:
                release(name)
    reporter.progress(1.0, f"{len(table.rows)} matrices compared")
    return table
