"""Orthogonality analysis: layer × module cosine similarity of two deltas, with norms.

cos(Δa, Δb) = ⟨Δa, Δb⟩_F / (‖Δa‖_F ‖Δb‖_F) per weight matrix. LoRA-form deltas are never
materialised: ⟨B1A1, B2A2⟩_F = sum((B1ᵀB2) ∘ (A1A2ᵀ)), and ⟨D, BA⟩_F = sum((BᵀD) ∘ A) for a dense
D. Results come as a table (JSON/CSV) and a plotly heatmap (layers × q/k/v/o/gate/up/down, a
diverging scale centred on 0); several comparisons (e.g. SFT-vs-RL beside the SFT-vs-SFT control)
share one figure.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

import torch

from past.progress import NullReporter, Reporter
from past.skills.forms.base import LowRank
from past.skills.lambdas import MODULE_ORDER, layer_of, module_of


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


@dataclass
class Row:
    name: str
    layer: int | None
    module: str
    cosine: float
    norm_a: float
    norm_b: float
    dot: float


@dataclass
class AnalysisTable:
    """One comparison: per-matrix cosine and norms, plus which parameters only one side has."""

    label: str
    a: str
    b: str
    rows: list[Row] = field(default_factory=list)
    only_a: list[str] = field(default_factory=list)
    only_b: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, float]:
        values = [r.cosine for r in self.rows if not math.isnan(r.cosine)]
        if not values:
            return {"mean_cosine": float("nan"), "mean_abs_cosine": float("nan"), "max_abs_cosine": float("nan")}
        dot = sum(r.dot for r in self.rows)
        na = math.sqrt(sum(r.norm_a**2 for r in self.rows))
        nb = math.sqrt(sum(r.norm_b**2 for r in self.rows))
        return {
            "mean_cosine": sum(values) / len(values),
            "mean_abs_cosine": sum(abs(v) for v in values) / len(values),
            "max_abs_cosine": max(abs(v) for v in values),
            "global_cosine": dot / (na * nb) if na and nb else float("nan"),
            "norm_a": na,
            "norm_b": nb,
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "a": self.a,
            "b": self.b,
            "summary": self.summary(),
            "rows": [asdict(r) for r in self.rows],
            "only_a": self.only_a,
            "only_b": self.only_b,
        }

    def to_csv(self) -> str:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(["comparison", "name", "layer", "module", "cosine", "norm_a", "norm_b", "dot"])
        for r in self.rows:
            writer.writerow(
                [self.label, r.name, "" if r.layer is None else r.layer, r.module, r.cosine, r.norm_a, r.norm_b, r.dot]
            )
        return buffer.getvalue()

    def grid(self, modules: tuple[str, ...] = MODULE_ORDER) -> tuple[list[int], list[str], list[list[float | None]]]:
        """(layers, modules, z[module][layer]) for the heatmap; missing cells are None."""
        cells = {(r.layer, r.module): r.cosine for r in self.rows if r.layer is not None}
        layers = sorted({layer for layer, _ in cells})
        present = [m for m in modules if any(mod == m for _, mod in cells)]
        z = [[cells.get((layer, m)) for layer in layers] for m in present]
        return layers, present, z


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


def heatmap_figure(tables: list[AnalysisTable], title: str = "Layer-wise cosine similarity of weight deltas"):
    """A plotly figure: one heatmap per comparison side by side, layers × modules, RdBu centred on 0."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    fig = make_subplots(
        rows=1,
        cols=len(tables),
        subplot_titles=[
            f"{t.label} (mean |cos| {t.summary().get('mean_abs_cosine', float('nan')):.3f})" for t in tables
        ],
        shared_yaxes=True,
        horizontal_spacing=0.06,
    )
    for col, table in enumerate(tables, start=1):
        layers, modules, z = table.grid()
        fig.add_trace(
            go.Heatmap(
                z=z,
                x=layers,
                y=modules,
                zmin=-1.0,
                zmid=0.0,
                zmax=1.0,
                colorscale="RdBu",
                reversescale=True,
                colorbar={"title": "cosine"},
                showscale=col == len(tables),
                hovertemplate="layer %{x}<br>%{y}<br>cos %{z:.4f}<extra>" + table.label + "</extra>",
            ),
            row=1,
            col=col,
        )
        fig.update_xaxes(title_text="layer", row=1, col=col)
    fig.update_yaxes(autorange="reversed")
    fig.update_layout(title=title, height=420, width=max(520, 480 * len(tables)))
    return fig


def write_report(
    tables: list[AnalysisTable],
    *,
    html: Path | None = None,
    json_path: Path | None = None,
    csv_path: Path | None = None,
) -> None:
    """Write the figure (self-contained HTML), the tables as JSON and as CSV, each atomically."""
    from past.skills.manifest import write_json_atomic

    if html is not None:
        _atomic_text(Path(html), heatmap_figure(tables).to_html(include_plotlyjs=True, full_html=True))
    if json_path is not None:
        write_json_atomic(Path(json_path), [t.to_dict() for t in tables])
    if csv_path is not None:
        body = "".join(t.to_csv() if i == 0 else t.to_csv().split("\n", 1)[1] for i, t in enumerate(tables))
        _atomic_text(Path(csv_path), body)


def _atomic_text(path: Path, text: str) -> None:
    import os

    from past.skills.tensors.io import _check_writable

    _check_writable(path.parent)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        tmp.write_text(text)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
