"""Showing an ``evaluate`` job's results: summary table, accuracy chart, per-question answers, files; for a
tools collection, the tool-use rates per model and per category instead.

Shared by the Evaluate and Analyse screens. Everything is read from the job's artifact directory
(``results.json``, and ``sweep/results.json`` for a λ sweep), so any page shows any finished job.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import plotly.graph_objects as go

from backend.jobs.service import JobService
from backend.store import JobRecord
from studio.words import judge_words

SUMMARY_COLUMNS = ["model", "accuracy ± spread over runs (sd)", "mean word overlap (F1)", "questions", "runs"]
QUESTION_COLUMNS = [
    "model",
    "question",
    "reference answer",
    "model's answer",
    "score",
    "correct (short answer)",
    "word overlap (F1)",
    "contains the reference",
]
EVAL_KIND = "evaluate"
# A tools collection's evaluation (the evaluate job's tool-use branch): rates as mean [95 % CI] over seeds.
TOOL_COLUMNS = ["model", "pass rate", "valid-call rate", "format rate", "finish rate", "reward", "runs"]
TOOL_CATEGORY_COLUMNS = ["model", "category", "pass rate", "valid-call rate", "format rate", "finish rate"]


def _read(path: Path) -> dict[str, Any] | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None


def load_results(jobs: JobService, job_id: str) -> list[dict[str, Any]]:
    """The comparisons a finished evaluate job wrote: the model comparison and/or the λ sweep."""
    root = jobs.artifacts.job_dir(job_id)
    found = [_read(root / "results.json"), _read(root / "sweep" / "results.json")]
    return [r for r in found if r]


def summary_rows(comparisons: list[dict[str, Any]]) -> list[list[Any]]:
    rows = []
    for comparison in comparisons:
        counts: dict[str, int] = {}
        for run in comparison["runs"]:
            counts[run["label"]] = len(run["questions"])
        for s in comparison["summaries"]:
            rows.append(
                [
                    s["label"],
                    f"{s['accuracy_mean']:.3f} ± {s['accuracy_sd']:.3f}",
                    round(s["f1_mean"], 3),
                    counts.get(s["label"], 0),
                    s["runs"],
                ]
            )
    return rows


def question_rows(comparisons: list[dict[str, Any]]) -> list[list[Any]]:
    return [
        [
            run["label"] + (f" (seed {run['seed']})" if run.get("seed") not in (None, 0) else ""),
            q["question"],
            " | ".join(q["references"]),
            q["prediction"],
            round(q["score"], 3),
            "yes" if q["correct"] else "no",
            round(q["f1"], 3),
            "yes" if q.get("containment", 0.0) >= 1.0 else "no",
        ]
        for comparison in comparisons
        for run in comparison["runs"]
        for q in run["questions"]
    ]


def accuracy_figure(comparisons: list[dict[str, Any]]) -> go.Figure | None:
    """Bars (mean ± sd) per model; a line of accuracy against λ for a sweep."""
    if not comparisons:
        return None
    figure = go.Figure()
    for comparison in comparisons:
        summaries = comparison["summaries"]
        if comparison["kind"] == "lambda_sweep":
            figure.add_trace(
                go.Scatter(
                    x=[s["x"] for s in summaries],
                    y=[s["accuracy_mean"] for s in summaries],
                    mode="lines+markers",
                    name="accuracy against λ",
                    xaxis="x2",
                )
            )
            figure.update_layout(xaxis2={"title": "λ (skill strength)", "overlaying": "x", "side": "top"})
        else:
            figure.add_trace(
                go.Bar(
                    x=[s["label"] for s in summaries],
                    y=[s["accuracy_mean"] for s in summaries],
                    error_y={"type": "data", "array": [s["accuracy_sd"] for s in summaries], "visible": True},
                    text=[f"{s['accuracy_mean']:.2f}" for s in summaries],
                    name="accuracy",
                )
            )
    figure.update_yaxes(range=[0, 1], title="share of questions answered correctly")
    figure.update_layout(height=340, margin={"l": 50, "r": 10, "t": 40, "b": 40}, showlegend=False)
    return figure


def result_files(jobs: JobService, job_id: str) -> list[str]:
    root = jobs.artifacts.job_dir(job_id)
    names = ["results.json", "summary.csv", "questions.csv", "chart.html", "tool_results.json"]
    found = [root / n for n in names] + [root / "sweep" / n for n in names]
    return [str(p) for p in found if p.is_file()]


def is_tool_use(job: JobRecord) -> bool:
    return (job.result or {}).get("kind") == "tool_use"


def _rate(interval: dict[str, Any]) -> str:
    """``0.250`` for one run, ``0.250 [0.100, 0.400]`` (95 % CI) over several."""
    mean, low, high = interval.get("mean", 0.0), interval.get("low"), interval.get("high")
    if interval.get("n", 1) < 2 or not all(isinstance(v, int | float) and v == v for v in (low, high)):
        return f"{mean:.3f}"
    return f"{mean:.3f} [{low:.3f}, {high:.3f}]"


def tool_tables(result: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The tool-use metrics of an evaluate job's result: one row per model, and one per model and category."""
    rows, per_category = [], []
    for s in result.get("tool_use") or []:
        m = s["metrics"]
        names = ("pass_rate", "valid_call_rate", "format_rate", "finish_rate", "reward")
        rows.append([s["label"], *(_rate(m[k]) for k in names), len(s.get("seeds") or [])])
        for category, c in (s.get("per_category") or {}).items():
            names = ("pass_rate", "valid_call_rate", "format_rate", "finish_rate")
            per_category.append([s["label"], category or "(none)", *(_rate(c[k]) for k in names)])
    return {"headers": TOOL_COLUMNS, "data": rows}, {"headers": TOOL_CATEGORY_COLUMNS, "data": per_category}


def plain_summary(job: JobRecord) -> str:
    """One or two sentences a non-specialist can read."""
    result = job.result or {}
    if is_tool_use(job) and result.get("tool_use"):
        best = max(result["tool_use"], key=lambda s: s["metrics"]["pass_rate"]["mean"])
        rates = best["metrics"]
        return (
            f"Each model worked as an agent on **{result.get('n_queries', '?')} tool-use tasks** (from "
            f"{result.get('source', 'a tools collection')}), calling simulated APIs. Best: **{best['label']}**, "
            f"{rates['pass_rate']['mean'] * 100:.0f}% of the tasks solved, "
            f"{rates['valid_call_rate']['mean'] * 100:.0f}% of its API calls valid."
        )
    models = result.get("models") or []
    if not models and not result.get("sweep"):
        return ""
    parts = [
        f"Asked **{result.get('n_questions', '?')} questions** (from {result.get('source', 'the QA set')}) "
        f"without showing the documents; answers were graded by **{judge_words(result.get('judge', '?'))}**."
    ]
    if models:
        best = max(models, key=lambda m: m["accuracy"])
        parts.append(f"Best: **{best['label']}**, {best['accuracy'] * 100:.0f}% of the questions answered correctly.")
    if result.get("sweep"):
        top = max(result["sweep"], key=lambda m: m["accuracy"])
        parts.append(f"λ sweep: the best λ was **{top.get('lambda')}** ({top['accuracy'] * 100:.0f}% correct).")
    return " ".join(parts)


def finished_eval_jobs(jobs: JobService, limit: int = 100) -> list[JobRecord]:
    return [j for j in jobs.list(kind=EVAL_KIND, state="succeeded", limit=limit) if not is_tool_use(j)]


def job_choice(job: JobRecord) -> tuple[str, str]:
    result = job.result or {}
    labels = ", ".join(m["label"] for m in result.get("models", [])) or "λ sweep"
    return (f"{job.name or 'evaluation'} · {labels} · {result.get('n_questions', '?')} questions · {job.id}", job.id)
