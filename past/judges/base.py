"""The common judge protocol: every judge scores (question, prediction, references) into [0, 1].

GRPO rewards and evaluation accept any :class:`Judge`; ``score_batch`` lets model-backed judges batch.
An answer is *correct* when its score reaches the evaluation's threshold (0.5 by default).

The rule judges:

* :class:`RuleQAJudge` (``rule``, the default): SQuAD token F1 against the best reference. Dense, so it is
  also the GRPO reward; correct at F1 ≥ 0.5, which a short right answer reaches and a recited sentence
  that merely contains the answer does not.
* :class:`ContainmentJudge` (``containment``): 1.0 when the normalised reference is contained in the
  prediction, else F1 — lenient (reciting earns it); kept for comparison with earlier numbers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from past.judges.rule import answer_scores

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


class ItemwiseJudge:
    """A judge that scores one answer at a time (``score_batch`` loops over ``score``)."""

    def score(self, question: str, prediction: str, references: References) -> float:
        raise NotImplementedError

    def score_batch(
        self, questions: Sequence[str], predictions: Sequence[str], references: Sequence[References]
    ) -> list[float]:
        return [self.score(q, p, r) for q, p, r in zip(questions, predictions, references, strict=True)]


@dataclass(frozen=True)
class RuleQAJudge(ItemwiseJudge):
    """Token F1 against the best reference (SQuAD normalisation): the short-answer criterion and reward."""

    name: str = "rule"

    def score(self, question: str, prediction: str, references: References) -> float:
        del question
        return answer_scores(prediction, as_list(references)).f1


@dataclass(frozen=True)
class ContainmentJudge(ItemwiseJudge):
    """1.0 when a reference is contained in the prediction, else token F1 (lenient: reciting earns it)."""

    name: str = "containment"

    def score(self, question: str, prediction: str, references: References) -> float:
        del question
        scores = answer_scores(prediction, as_list(references))
        return 1.0 if scores.containment else scores.f1


@dataclass(frozen=True)
class ShortAnswerReward(ItemwiseJudge):
    """The GRPO reward that prefers the short correct answer: token F1, plus ``bonus`` when the answer is short
    (at most ``max_words`` words) and shares at least one token with a reference.

    A recited sentence containing the answer earns little F1 and no bonus; a short wrong answer earns nothing.
    On a small model whose samples almost never stop early, the bonus makes the rare short right-ish answer
    stand out within its group. Used as a reward only; correctness is always judged by :class:`RuleQAJudge`.
    """

    bonus: float = 0.2
    max_words: int = 12
    name: str = "short-answer-reward"

    def score(self, question: str, prediction: str, references: References) -> float:
        del question
        f1 = answer_scores(prediction, as_list(references)).f1
        short = 0 < len(prediction.split()) <= self.max_words
        return f1 + (self.bonus if short and f1 > 0 else 0.0)
