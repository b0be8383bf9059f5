"""Tool-use evaluation: run the agent on held-out queries, score every trajectory, summarise over seeds.

Per run (one model, one seed): per-query reward components, pass rate (solved), valid-call rate, format rate,
finish rate and relevant-API recall, overall and per category. Across runs (seeds): the mean and the 95 %
cluster-bootstrap interval over queries (:mod:`past.evaluation.stats`, as every evaluator), overall and per
category. Everything is plain JSON.
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from past.evaluation.stats import Estimate, cluster_bootstrap
from past.generators.base import ChatGenerator
from past.progress import NullReporter, Reporter
from past.tools.agent import AgentConfig, Trajectory, run_agents
from past.tools.queries import ToolQuery
from past.tools.reward import RewardWeights, score_trajectory
from past.tools.simulator import ApiSimulator

METRICS = ("pass_rate", "valid_call_rate", "execution_rate", "format_rate", "finish_rate", "relevant_recall", "reward")
# Each metric's per-query field of :class:`QueryScore`.
FIELDS = {
    "pass_rate": "solved",
    "valid_call_rate": "valid_call",
    "execution_rate": "execution",
    "format_rate": "format",
    "finish_rate": "finished",
    "relevant_recall": "relevant_recall",
    "reward": "reward",
}


@dataclass
class QueryScore:
    query_id: str
    category: str
    solved: float
    valid_call: float
    execution: float
    format: float
    finished: float
    relevant_recall: float
    reward: float
    calls: int
    stop_reason: str


def metric_means(scores: Sequence[QueryScore]) -> dict[str, float]:
    if not scores:
        return dict.fromkeys(METRICS, math.nan)
    return {m: statistics.fmean(getattr(s, FIELDS[m]) for s in scores) for m in METRICS}


@dataclass
class ToolEvalRun:
    """One model, one seed: every trajectory and its score."""

    label: str
    seed: int
    scores: list[QueryScore]
    trajectories: list[Trajectory]
    metrics: dict[str, float] = field(default_factory=dict)
    per_category: dict[str, dict[str, float]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "seed": self.seed,
            "metrics": self.metrics,
            "per_category": self.per_category,
            "scores": [asdict(s) for s in self.scores],
            "trajectories": [t.to_dict() for t in self.trajectories],
        }


def score_run(label: str, seed: int, trajectories: list[Trajectory], weights: RewardWeights) -> ToolEvalRun:
    scores = []
    for trajectory in trajectories:
        r = score_trajectory(trajectory, weights)
        scores.append(
            QueryScore(
                trajectory.query_id,
                trajectory.category,
                r.solved,
                r.valid_call,
                r.execution,
                r.format,
                float(trajectory.stop_reason == "finish"),
                r.relevant_recall,
                r.total,
                r.calls,
                trajectory.stop_reason or "",
            )
        )
    by_category: dict[str, list[QueryScore]] = defaultdict(list)
    for score in scores:
        by_category[score.category].append(score)
    per_category = {c: metric_means(s) for c, s in sorted(by_category.items())}
    return ToolEvalRun(label, seed, scores, trajectories, metric_means(scores), per_category)


def evaluate_policy(
    policy: ChatGenerator,
    label: str,
    queries: Sequence[ToolQuery],
    simulator: ApiSimulator,
    agent: AgentConfig | None = None,
    weights: RewardWeights | None = None,
    seed: int = 0,
    reporter: Reporter | None = None,
) -> ToolEvalRun:
    """Run the agent with ``policy`` on ``queries`` once (one seed) and score it."""
    trajectories = run_agents(policy, queries, simulator, agent, seed=seed, reporter=reporter or NullReporter())
    return score_run(label, seed, trajectories, weights or RewardWeights())


@dataclass
class ToolEvalSummary:
    """One model over several runs (seeds): mean and 95 % CI of each metric, overall and per category."""

    label: str
    seeds: list[int]
    metrics: dict[str, Estimate]
    per_category: dict[str, dict[str, Estimate]]

    def to_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "seeds": self.seeds,
            "metrics": {k: v.to_dict() for k, v in self.metrics.items()},
            "per_category": {c: {k: v.to_dict() for k, v in m.items()} for c, m in self.per_category.items()},
        }


def metric_estimate(runs: Sequence[ToolEvalRun], metric: str, category: str | None = None) -> Estimate:
    """Mean of ``metric`` over every query and seed of ``runs`` (of ``category`` when given), with the 95 %
    cluster-bootstrap interval of every evaluator (:func:`past.evaluation.stats.cluster_bootstrap`): a query's
    runs over all seeds are resampled together."""
    scores = [s for r in runs for s in r.scores if category is None or s.category == category]
    if not scores:
        return Estimate(math.nan, math.nan, math.nan, 0, 0)
    return cluster_bootstrap([getattr(s, FIELDS[metric]) for s in scores], [s.query_id for s in scores])


def summarise(label: str, runs: Sequence[ToolEvalRun]) -> ToolEvalSummary:
    metrics = {m: metric_estimate(runs, m) for m in METRICS}
    categories = sorted({c for r in runs for c in r.per_category})
    per_category = {c: {m: metric_estimate(runs, m, c) for m in METRICS} for c in categories}
    return ToolEvalSummary(label, [r.seed for r in runs], metrics, per_category)


def evaluation_record(
    summaries: Sequence[ToolEvalSummary],
    runs: Sequence[ToolEvalRun],
    agent: AgentConfig,
    weights: RewardWeights,
    simulator: ApiSimulator,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Everything about an evaluation as one JSON object (settings recorded next to the numbers)."""
    return {
        "kind": "tool_use",
        "agent": agent.to_dict(),
        "reward_weights": weights.to_dict(),
        "simulator": simulator.describe(),
        "summaries": [s.to_dict() for s in summaries],
        "runs": [r.to_dict() for r in runs],
        **(extra or {}),
    }
