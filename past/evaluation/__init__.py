"""Closed-book QA evaluation — the project's one evaluator: QA sets, prompt styles, model specs, per-question /
per-document / overall scores, seeds, λ sweeps, statistics (confidence intervals, paired differences) and
reports (JSON, CSV, plotly HTML)."""

from past.evaluation.closed_book import EvalConfig, EvalResult, QuestionResult, evaluate_closed_book
from past.evaluation.prompts import DEFAULT_PROMPT, PROMPTS, prompt_conversation, render_prompt
from past.evaluation.qa_set import QAItem, QASet, load_qa_set, qa_set_from_json
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
    "DEFAULT_PROMPT",
    "PROMPTS",
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
    "prompt_conversation",
    "qa_set_from_json",
    "render_prompt",
    "summarise_runs",
    "write_report",
]
