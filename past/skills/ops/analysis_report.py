"""The orthogonality analysis's table and its outputs: JSON, CSV and a plotly heatmap (no torch).

One :class:`AnalysisTable` per comparison (per-matrix cosine and norms); the heatmap shows layers ×
q/k/v/o/gate/up/down on a diverging scale centred on 0, several comparisons (e.g. SFT-vs-RL beside the SFT-vs-SFT
control) side by side. The numbers come from :func:`past.skills.ops.analyze.analyze`; the studio's Analyse screen
draws stored tables from here without loading the tensor code.
"""

from __future__ import annotations

import csv
import io
import math
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from past.skills.lambdas import MODULE_ORDER
from past.skills.outdir import check_writable


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
    check_writable(path.parent)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        tmp.write_text(text)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
