"""Several systems on the same questions: per-system means with confidence intervals, and paired differences.

Input: for each system, its evaluation runs (one per seed) on the same QA items. Per question, a metric is
averaged over the system's seeds; means get a cluster-bootstrap interval over documents (the questions of
one passage are not independent), and a pair of systems gets the mean per-question difference with its
interval (:mod:`past.evaluation.stats`). Metrics: ``correct`` (the judge's verdict: the short-answer
accuracy with the rule judge), ``f1``, ``em`` and ``containment`` (lenient, reported as a secondary figure).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from past.errors import EvaluationError
from past.evaluation.closed_book import EvalResult
from past.evaluation.stats import average_over_seeds, cluster_bootstrap, paired_difference

METRICS = ("correct", "f1", "em", "containment")


def per_question(runs: Sequence[EvalResult], metric: str) -> dict[str, float]:
    """Question id → the metric averaged over the runs (seeds)."""
    if metric not in METRICS:
        raise EvaluationError(f"unknown metric {metric!r}: choose one of {', '.join(METRICS)}")
    return average_over_seeds([{q.qid: float(getattr(q, metric)) for q in run.questions} for run in runs])


def doc_of(runs: Sequence[EvalResult]) -> dict[str, str]:
    return {q.qid: q.doc_id for run in runs for q in run.questions}


def summarize_systems(
    systems: Mapping[str, Sequence[EvalResult]],
    pairs: Sequence[tuple[str, str]] = (),
    metrics: Sequence[str] = METRICS,
    seed: int = 0,
) -> dict[str, Any]:
    """``{"systems": {name: {metric: Estimate dict, "seeds": n}}, "paired": {"a − b": {metric: ...}}}``."""
    if not systems:
        raise EvaluationError("no systems to summarise")
    docs: dict[str, str] = {}
    for runs in systems.values():
        docs.update(doc_of(runs))
    out: dict[str, Any] = {"systems": {}, "paired": {}, "metrics": list(metrics)}
    for name, runs in systems.items():
        if not runs:
            raise EvaluationError(f"system {name!r} has no evaluation runs")
        entry: dict[str, Any] = {"seeds": len(runs), "questions": len(runs[0].questions)}
        for metric in metrics:
            values = per_question(runs, metric)
            entry[metric] = cluster_bootstrap(list(values.values()), [docs[q] for q in values], seed=seed).to_dict()
        out["systems"][name] = entry
    for a, b in pairs:
        if a not in systems or b not in systems:
            raise EvaluationError(f"cannot compare {a!r} with {b!r}: both must be evaluated")
        out["paired"][f"{a} − {b}"] = {
            metric: paired_difference(
                per_question(systems[a], metric), per_question(systems[b], metric), docs, seed=seed
            ).to_dict()
            for metric in metrics
        }
    return out
