"""The composite tool-use reward of a trajectory: format, valid call, successful execution, solved.

Each component is in [0, 1]:

* **format** — the share of the agent's steps that follow the ReAct convention (parse without error);
* **valid_call** — the share of its API calls that name a known API with arguments that fit its documentation;
* **execution** — the share of its API calls that returned a response without error;
* **solved** — it finished with an answer after calling every relevant API of the query successfully (for a
  query without known relevant APIs: after at least one successful call).

The reward is ``Σ weight · component``; the weights used are recorded with every result. The defaults put
half the weight on solving and split the rest across the process components; the paper's exact values (its
App. F) could not be checked from this machine, so they are a setting, not a claim.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from past.errors import ConfigError
from past.tools.agent import CALL_OUTCOMES, Trajectory

VALID_CALL_OUTCOMES = ("call_ok", "api_error", "simulator_error")
COMPONENTS = ("format", "valid_call", "execution", "solved")


@dataclass(frozen=True)
class RewardWeights:
    format: float = 0.1
    valid_call: float = 0.2
    execution: float = 0.2
    solved: float = 0.5

    def __post_init__(self) -> None:
        values = [self.format, self.valid_call, self.execution, self.solved]
        if any(v < 0 for v in values) or sum(values) <= 0:
            raise ConfigError("reward weights must be non-negative and not all zero")

    def to_dict(self) -> dict[str, float]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> RewardWeights:
        data = data or {}
        unknown = sorted(set(data) - set(COMPONENTS))
        if unknown:
            raise ConfigError(f"unknown reward weight(s): {', '.join(unknown)} (known: {', '.join(COMPONENTS)})")
        return cls(**{k: float(v) for k, v in data.items()})


@dataclass(frozen=True)
class RewardBreakdown:
    format: float
    valid_call: float
    execution: float
    solved: float
    total: float
    calls: int
    relevant_recall: float  # share of the relevant APIs called successfully

    def to_dict(self) -> dict[str, float]:
        return asdict(self)


def score_trajectory(trajectory: Trajectory, weights: RewardWeights | None = None) -> RewardBreakdown:
    weights = weights or RewardWeights()
    steps = trajectory.steps
    well_formed = [s for s in steps if s.outcome not in ("invalid_json", "format_error")]
    calls = [s for s in steps if s.outcome in CALL_OUTCOMES]
    fmt = len(well_formed) / len(steps) if steps else 0.0
    valid = sum(s.outcome in VALID_CALL_OUTCOMES for s in calls) / len(calls) if calls else 0.0
    executed = sum(s.outcome == "call_ok" for s in calls) / len(calls) if calls else 0.0
    succeeded = {s.action for s in calls if s.outcome == "call_ok"}
    relevant = set(trajectory.relevant)
    recall = len(relevant & succeeded) / len(relevant) if relevant else float(bool(succeeded))
    answered = trajectory.stop_reason == "finish" and bool((trajectory.final_answer or "").strip())
    solved = float(answered and (relevant <= succeeded if relevant else bool(succeeded)))
    total = weights.format * fmt + weights.valid_call * valid + weights.execution * executed + weights.solved * solved
    return RewardBreakdown(fmt, valid, executed, solved, total, len(calls), recall)
