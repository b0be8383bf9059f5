"""Write an evaluation as JSON (everything), CSV (per question and per label) and a plotly HTML chart.

Model comparisons are drawn as bars with ± sd error bars; λ sweeps as a line of accuracy against λ.
"""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from pathlib import Path

from past.evaluation.runner import Comparison


def _atomic_write(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _csv(rows: list[dict]) -> str:
    out = io.StringIO()
    if rows:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return out.getvalue()


def chart_html(comparison: Comparison, title: str = "Closed-book QA accuracy") -> str:
    import plotly.graph_objects as go

    summaries = comparison.summaries
    if comparison.kind == "lambda_sweep":
        figure = go.Figure(
            go.Scatter(
                x=[s.x for s in summaries],
                y=[s.accuracy_mean for s in summaries],
                mode="lines+markers",
                name="accuracy",
            )
        )
        figure.update_layout(title=title, xaxis_title="λ (skill vector scale)", yaxis_title="accuracy")
    else:
        figure = go.Figure(
            go.Bar(
                x=[s.label for s in summaries],
                y=[s.accuracy_mean for s in summaries],
                error_y={"type": "data", "array": [s.accuracy_sd for s in summaries], "visible": True},
                text=[f"{s.accuracy_mean:.3f} ± {s.accuracy_sd:.3f} (n={s.runs})" for s in summaries],
            )
        )
        figure.update_layout(title=title, xaxis_title="model", yaxis_title="accuracy (mean ± sd over runs)")
    figure.update_yaxes(range=[0, 1])
    return figure.to_html(include_plotlyjs=True, full_html=True)


def write_report(comparison: Comparison, out_dir: str | os.PathLike[str], title: str | None = None) -> dict[str, Path]:
    """Write ``results.json``, ``questions.csv``, ``summary.csv`` and ``chart.html`` into ``out_dir``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {name: out / name for name in ("results.json", "questions.csv", "summary.csv", "chart.html")}
    _atomic_write(paths["results.json"], json.dumps(comparison.to_dict(), indent=2, ensure_ascii=False) + "\n")
    question_rows = [
        {
            "label": r.label,
            "seed": r.seed,
            "qid": q.qid,
            "doc_id": q.doc_id,
            "question": q.question,
            "references": " | ".join(q.references),
            "prediction": q.prediction,
            "score": round(q.score, 4),
            "correct": int(q.correct),
            "f1": round(q.f1, 4),
            "verdicts": " ".join(f"{k}={v}" for k, v in q.verdicts.items()),
        }
        for r in comparison.runs
        for q in r.questions
    ]
    _atomic_write(paths["questions.csv"], _csv(question_rows))
    summary_rows = [
        {
            "label": s.label,
            "x": s.x,
            "runs": s.runs,
            "accuracy_mean": s.accuracy_mean,
            "accuracy_sd": s.accuracy_sd,
            "f1_mean": s.f1_mean,
            "f1_sd": s.f1_sd,
            "accuracy_ci": list(s.accuracy_ci) if s.accuracy_ci else "",
            "f1_ci": list(s.f1_ci) if s.f1_ci else "",
            "em_mean": s.em_mean,
            "containment_mean": s.containment_mean,
        }
        for s in comparison.summaries
    ]
    _atomic_write(paths["summary.csv"], _csv(summary_rows))
    _atomic_write(paths["chart.html"], chart_html(comparison, title or "Closed-book QA accuracy"))
    return paths
