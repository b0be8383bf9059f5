"""Evaluate several models (and replicate seeds) on one QA set; aggregate runs into mean ± sd per label.

Also the λ sweep: a caller-supplied ``build(λ) -> (model, tokenizer)`` (the training side supplies
injection) is evaluated at each λ.
"""

from __future__ import annotations

import gc
import statistics
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from past.errors import EvaluationError
from past.evaluation.answer_cache import AnswerCache
from past.evaluation.closed_book import EvalConfig, EvalResult, evaluate_closed_book
from past.evaluation.qa_set import QASet
from past.evaluation.spec import ModelSpec, load_spec
from past.generators.local import LocalGenerator
from past.judges.base import Judge
from past.progress import NullReporter, Reporter, ScaledReporter


@dataclass
class Summary:
    """Mean ± sample sd over the runs of one label (sd is 0 for a single run)."""

    label: str
    runs: int
    accuracy_mean: float
    accuracy_sd: float
    f1_mean: float
    f1_sd: float
    per_doc_accuracy: dict[str, float]
    x: float | None = None  # λ for sweep points
    em_mean: float = 0.0
    containment_mean: float = 0.0
    # 95 % cluster-bootstrap intervals over documents (seeds averaged per question): [low, high]
    accuracy_ci: tuple[float, float] | None = None
    f1_ci: tuple[float, float] | None = None

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class Comparison:
    kind: str  # "models" or "lambda_sweep"
    summaries: list[Summary]
    runs: list[EvalResult]

    def to_dict(self) -> dict:
        return {
            "kind": self.kind,
            "summaries": [s.to_dict() for s in self.summaries],
            "runs": [r.to_dict() for r in self.runs],
        }


def _sd(values: list[float]) -> float:
    return statistics.stdev(values) if len(values) > 1 else 0.0


def summarise_runs(label: str, runs: list[EvalResult], x: float | None = None) -> Summary:
    from past.evaluation.systems import summarize_systems

    accuracies, f1s = [r.accuracy for r in runs], [r.mean_f1 for r in runs]
    docs = list(dict.fromkeys(d for r in runs for d in r.per_doc))
    per_doc = {d: statistics.fmean(r.per_doc[d]["accuracy"] for r in runs if d in r.per_doc) for d in docs}
    summary = Summary(
        label, len(runs), statistics.fmean(accuracies), _sd(accuracies), statistics.fmean(f1s), _sd(f1s), per_doc, x
    )
    summary.em_mean = statistics.fmean(r.mean_em for r in runs)
    summary.containment_mean = statistics.fmean(r.containment for r in runs)
    if any(r.questions for r in runs):
        stats = summarize_systems({label: runs}, metrics=("correct", "f1"))["systems"][label]
        summary.accuracy_ci = (stats["correct"]["low"], stats["correct"]["high"])
        summary.f1_ci = (stats["f1"]["low"], stats["f1"]["high"])
    return summary


def evaluate_loaded(
    model: Any,
    tokenizer: Any,
    qa_set: QASet,
    judge: Judge,
    config: EvalConfig | None = None,
    *,
    label: str = "model",
    seed: int | None = None,
    batch_size: int = 16,
    reporter: Reporter | None = None,
    retriever: Any = None,
) -> EvalResult:
    """Evaluation of a model already in memory (closed-book, or with documents given a ``retriever``)."""
    generator = LocalGenerator(model, tokenizer, name=f"local:{label}", batch_size=batch_size)
    return evaluate_closed_book(
        generator, qa_set, judge, config, label=label, seed=seed, reporter=reporter, retriever=retriever
    )


def evaluate_models(
    registry: Any,
    specs: Sequence[ModelSpec],
    qa_set: QASet,
    judge: Judge,
    config: EvalConfig | None = None,
    *,
    seeds: Sequence[int] = (0,),
    batch_size: int = 16,
    reporter: Reporter | None = None,
    retriever: Any = None,
    cache: AnswerCache | None = None,
) -> Comparison:
    """Evaluate each spec (once per decoding seed when sampling; once when greedy) and summarise by label.

    Specs with ``retrieval`` answer with ``retriever``'s chunks in the prompt (one is then required). With
    ``cache``, a greedy run already answered with the very same inputs is read from it, not generated again."""
    config = config or EvalConfig()
    reporter = reporter or NullReporter()
    if retriever is None and any(spec.retrieval for spec in specs):
        raise EvaluationError("evaluating a model with documents needs documents to retrieve from (a collection)")
    decode_seeds = list(seeds) if config.temperature > 0 else [None]
    jobs = [(spec, seed) for spec in specs for seed in decode_seeds]
    runs: list[EvalResult] = []
    for n, (spec, seed) in enumerate(jobs):
        if reporter.should_stop():
            break
        sub = ScaledReporter(reporter, n / len(jobs), (n + 1) / len(jobs))
        key = cache.key(registry, spec, qa_set, judge.name, config, batch_size, retriever) if cache else None
        kept = cache.get(key, spec.name) if cache and key else None
        if kept is not None:
            reporter.log(f"{spec.name}: the same model already answered these questions; its answers are reused")
            runs.append(kept)
            continue
        model, tokenizer = load_spec(registry, spec)
        run_seed = seed if seed is not None else spec.seed
        result = evaluate_loaded(
            model,
            tokenizer,
            qa_set,
            judge,
            config,
            label=spec.name,
            seed=run_seed,
            batch_size=batch_size,
            reporter=sub,
            retriever=retriever if spec.retrieval else None,
        )
        runs.append(result)
        if cache and key and len(result.questions) == len(qa_set):  # a stopped run is not kept
            cache.put(key, result)
        del model, tokenizer
        gc.collect()
    labels = list(dict.fromkeys(r.label for r in runs))
    return Comparison("models", [summarise_runs(lb, [r for r in runs if r.label == lb]) for lb in labels], runs)


def lambda_sweep(
    build: Callable[[float], tuple[Any, Any]],
    lambdas: Sequence[float],
    qa_set: QASet,
    judge: Judge,
    config: EvalConfig | None = None,
    *,
    label: str = "past",
    batch_size: int = 16,
    reporter: Reporter | None = None,
) -> Comparison:
    """Evaluate ``build(λ)`` for each λ; one summary point per λ (label ``"{label} λ=…"``, ``x`` = λ)."""
    reporter = reporter or NullReporter()
    runs, summaries = [], []
    for n, lam in enumerate(lambdas):
        if reporter.should_stop():
            break
        sub = ScaledReporter(reporter, n / len(lambdas), (n + 1) / len(lambdas))
        model, tokenizer = build(float(lam))
        run = evaluate_loaded(
            model, tokenizer, qa_set, judge, config, label=f"{label} λ={lam:g}", batch_size=batch_size, reporter=sub
        )
        del model, tokenizer
        gc.collect()
        runs.append(run)
        summaries.append(summarise_runs(run.label, [run], x=float(lam)))
        reporter.metric(n, "sweep/accuracy", run.accuracy)
    return Comparison("lambda_sweep", summaries, runs)
