"""Reading stored orthogonality analyses back into heatmaps."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from past.skills.ops.analyze import AnalysisTable, Row, heatmap_figure

ANALYSIS_FILE = "orthogonality.json"  # written beside a skill by Stage I, or by the Analyse screen


def table_from_dict(data: dict[str, Any]) -> AnalysisTable:
    return AnalysisTable(
        label=data.get("label", ""),
        a=data.get("a", ""),
        b=data.get("b", ""),
        rows=[Row(**row) for row in data.get("rows", [])],
        only_a=list(data.get("only_a", [])),
        only_b=list(data.get("only_b", [])),
    )


def stored_heatmap(directory: Path):
    """The heatmap of ``directory/orthogonality.json``, or None when there is none."""
    path = directory / ANALYSIS_FILE
    if not path.is_file():
        return None
    data = json.loads(path.read_text())
    tables = [table_from_dict(t) for t in (data if isinstance(data, list) else [data])]
    return heatmap_figure(tables) if tables else None
