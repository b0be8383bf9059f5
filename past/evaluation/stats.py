"""Statistics for evaluations: means with bootstrap confidence intervals and paired differences.

Closed-book QA questions come in clusters (the questions of one passage share its fine-tune), so the
intervals resample whole clusters (a cluster bootstrap over passages), never questions independently, and
seeds are averaged within a question first. A paired difference compares two systems on the same
questions: the statistic is the mean of per-question differences, resampled by cluster. Percentile
intervals, a fixed seed (results are reproducible), numpy only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass

import numpy as np

from past.errors import EvaluationError

N_BOOT = 10_000
CONFIDENCE = 0.95


@dataclass(frozen=True)
class Estimate:
    """A mean with its ``confidence`` interval [low, high] from ``clusters`` clusters of ``n`` items."""

    mean: float
    low: float
    high: float
    n: int
    clusters: int
    confidence: float = CONFIDENCE

    def to_dict(self) -> dict:
        return asdict(self)

    def excludes_zero(self) -> bool:
        return self.low > 0.0 or self.high < 0.0

    def __str__(self) -> str:
        return f"{self.mean:.3f} [{self.low:.3f}, {self.high:.3f}]"


def cluster_bootstrap(
    values: Sequence[float],
    clusters: Sequence[str] | None = None,
    *,
    n_boot: int = N_BOOT,
    confidence: float = CONFIDENCE,
    seed: int = 0,
) -> Estimate:
    """Mean of ``values`` with a percentile interval from resampling whole clusters (items if none given)."""
    data = np.asarray(values, dtype=np.float64)
    if data.size == 0:
        raise EvaluationError("no values to summarise")
    if not np.all(np.isfinite(data)):
        raise EvaluationError("values to summarise must be finite numbers")
    if not 0.0 < confidence < 1.0:
        raise EvaluationError(f"confidence must lie in (0, 1), got {confidence}")
    labels = list(clusters) if clusters is not None else [str(i) for i in range(data.size)]
    if len(labels) != data.size:
        raise EvaluationError(f"{data.size} values but {len(labels)} cluster labels")
    index = {label: i for i, label in enumerate(dict.fromkeys(labels))}
    ids = np.fromiter((index[label] for label in labels), dtype=np.int64, count=data.size)
    sums = np.bincount(ids, weights=data, minlength=len(index))
    counts = np.bincount(ids, minlength=len(index)).astype(np.float64)
    mean = float(sums.sum() / counts.sum())
    if len(index) == 1:
        return Estimate(mean, mean, mean, int(data.size), 1, confidence)
    rng = np.random.default_rng(seed)
    draws = rng.multinomial(len(index), np.full(len(index), 1.0 / len(index)), size=n_boot).astype(np.float64)
    boot = (draws @ sums) / (draws @ counts)
    alpha = (1.0 - confidence) / 2.0
    low, high = np.quantile(boot, [alpha, 1.0 - alpha])
    return Estimate(mean, float(low), float(high), int(data.size), len(index), confidence)


@dataclass(frozen=True)
class PairedDifference:
    """``a − b`` over the items both systems answered: the mean difference with its interval, and counts."""

    difference: Estimate
    a_better: int
    b_better: int
    ties: int

    def to_dict(self) -> dict:
        return {**asdict(self), "difference": self.difference.to_dict()}


def paired_difference(
    a: Mapping[str, float],
    b: Mapping[str, float],
    clusters: Mapping[str, str] | None = None,
    *,
    n_boot: int = N_BOOT,
    confidence: float = CONFIDENCE,
    seed: int = 0,
) -> PairedDifference:
    """Per-item ``a[i] − b[i]`` over shared item ids, mean and cluster-bootstrap interval (clusters: id → cluster)."""
    shared = [key for key in a if key in b]
    if not shared:
        raise EvaluationError("the two systems have no question in common")
    diffs = [float(a[key]) - float(b[key]) for key in shared]
    labels = [clusters[key] for key in shared] if clusters is not None else None
    estimate = cluster_bootstrap(diffs, labels, n_boot=n_boot, confidence=confidence, seed=seed)
    return PairedDifference(
        estimate,
        a_better=sum(d > 0 for d in diffs),
        b_better=sum(d < 0 for d in diffs),
        ties=sum(d == 0 for d in diffs),
    )


def average_over_seeds(runs: Sequence[Mapping[str, float]]) -> dict[str, float]:
    """Per-item means over several runs (seeds) of one system; items missing from a run are averaged over the rest."""
    totals: dict[str, list[float]] = {}
    for run in runs:
        for key, value in run.items():
            totals.setdefault(key, []).append(float(value))
    return {key: sum(values) / len(values) for key, values in totals.items()}
