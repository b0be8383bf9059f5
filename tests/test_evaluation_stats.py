"""Bootstrap intervals and paired differences of past.evaluation.stats."""

import numpy as np
import pytest

from past.errors import EvaluationError
from past.evaluation.stats import average_over_seeds, cluster_bootstrap, paired_difference


def test_interval_covers_the_mean_and_narrows_with_more_data() -> None:
    rng = np.random.default_rng(1)
    small = cluster_bootstrap(rng.normal(0.5, 0.2, 20).tolist())
    large = cluster_bootstrap(rng.normal(0.5, 0.2, 2000).tolist())
    assert small.low < small.mean < small.high
    assert (large.high - large.low) < (small.high - small.low) / 5
    assert large.low < 0.5 < large.high


def test_clusters_widen_the_interval_when_items_are_correlated() -> None:
    # 10 passages whose 5 questions all share the passage's outcome: really only 10 independent draws
    values = [float(p % 2) for p in range(10) for _ in range(5)]
    clusters = [f"p{p}" for p in range(10) for _ in range(5)]
    naive = cluster_bootstrap(values)
    clustered = cluster_bootstrap(values, clusters)
    assert clustered.mean == naive.mean == 0.5
    assert clustered.clusters == 10 and clustered.n == 50
    assert (clustered.high - clustered.low) > 1.5 * (naive.high - naive.low)


def test_paired_difference_detects_a_consistent_gain_and_counts_wins() -> None:
    ids = [f"q{i}" for i in range(60)]
    base = {q: 0.2 for q in ids}
    better = {q: 0.2 + (0.3 if i % 3 else 0.0) for i, q in enumerate(ids)}
    result = paired_difference(better, base, {q: f"p{i // 5}" for i, q in enumerate(ids)})
    assert result.difference.excludes_zero() and result.difference.low > 0
    assert (result.a_better, result.b_better, result.ties) == (40, 0, 20)
    same = paired_difference(base, dict(base))
    assert same.difference.mean == 0.0 and not same.difference.excludes_zero()


def test_results_are_reproducible_and_bad_input_is_refused() -> None:
    values = [0.1, 0.9, 0.4, 0.7, 0.3]
    assert cluster_bootstrap(values) == cluster_bootstrap(values)
    with pytest.raises(EvaluationError, match="no values"):
        cluster_bootstrap([])
    with pytest.raises(EvaluationError, match="finite"):
        cluster_bootstrap([0.1, float("nan")])
    with pytest.raises(EvaluationError, match="in common"):
        paired_difference({"a": 1.0}, {"b": 0.0})


def test_average_over_seeds_is_per_item() -> None:
    assert average_over_seeds([{"a": 1.0, "b": 0.0}, {"a": 0.0, "b": 0.0}]) == {"a": 0.5, "b": 0.0}
