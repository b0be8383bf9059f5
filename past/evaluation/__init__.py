"""Closed-book QA evaluation: QA sets, model specs, per-question/per-document/overall scores, seeds,
λ sweeps, and reports (JSON, CSV, plotly HTML)."""

from past.evaluation.closed_book import ANSWER_PROMPT, EvalConfig, EvalResult, QuestionResult, evaluate_closed_book
from past.evaluation.qa_set import QAItem, QASet, load_qa_set
from past.evaluation.report import chart_html, write_report
from past.evaluation.runner import (
    Comparison,
    Summary,
    evaluate_loaded,
    evaluate_models,
    lambda_sweep,
    summarise_runs,
)
from past.evaluation.spec import ModelSpec, load_spec

__all__ = [
    "ANSWER_PROMPT",
    "Comparison",
    "EvalConfig",
    "EvalResult",
    "ModelSpec",
    "QAItem",
    "QASet",
    "QuestionResult",
    "Summary",
    "chart_html",
    "evaluate_closed_book",
    "evaluate_loaded",
    "evaluate_models",
    "lambda_sweep",
    "load_qa_set",
    "load_spec",
    "summarise_runs",
    "write_report",
]
