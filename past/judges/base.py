"""The common judge protocol: every judge scores (question, prediction, references) into [0, 1].

GRPO rewards and evaluation accept any :class:`Judge`; ``score_batch`` lets model-backed judges batch.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from past.judges.rule import RuleJudge

References = Sequence[str] | str


@runtime_checkable
class Judge(Protocol):
    name: str

    def score(self, question: str, prediction: str, references: References) -> float:
        """A score in [0, 1] for one prediction."""

    def score_batch(
        self, questions: Sequence[str], predictions: Sequence[str], references: Sequence[References]
    ) -> list[float]:
        """Scores for many predictions at once (same order)."""


def as_list(references: References) -> list[str]:
    return [references] if isinstance(references, str) else [r for r in references if r]


@dataclass(frozen=True)
class RuleQAJudge:
    """:class:`~past.judges.rule.RuleJudge` (containment or token F1) behind the :class:`Judge` protocol."""

    threshold: float = 0.5
    name: str = "rule"

    def score(self, question: str, prediction: str, references: References) -> float:
        del question
        return RuleJudge(self.threshold).score(prediction, as_list(references))

    def score_batch(
        self, questions: Sequence[str], predictions: Sequence[str], references: Sequence[References]
    ) -> list[float]:
        return [self.score(q, p, r) for q, p, r in zip(questions, predictions, references, strict=True)]
