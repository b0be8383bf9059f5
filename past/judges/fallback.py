"""The LLM judge with the rule judge as a fallback, both verdicts recorded.

For free-form answers (long documents) the LLM yes/no judge is the grader; the rule judge (token F1) is
always computed beside it. Per answer the score is the LLM's verdict when it parsed, else the rule score
(``used: "rule"``), and the whole batch falls back to the rule judge when the grader fails (an endpoint
that is down); the reason is kept in ``fallback_reason``. After each :meth:`score_batch`, ``last_details``
holds ``{"llm": 1.0/0.0/None, "rule": F1, "used": "llm"|"rule"}`` per answer, which the closed-book
evaluator stores with every question (``QuestionResult.verdicts``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from past.errors import PastError
from past.judges.base import References, RuleQAJudge
from past.judges.llm import LLMJudge, grading_conversation, parse_verdict
from past.serving.generation import GenerationParams


@dataclass
class FallbackJudge:
    """LLM verdicts where available, rule F1 otherwise; both recorded in ``last_details``."""

    llm: LLMJudge
    rule: RuleQAJudge = field(default_factory=RuleQAJudge)
    last_details: list[dict[str, Any]] = field(default_factory=list, init=False)
    fallbacks: int = field(default=0, init=False)
    fallback_reason: str = field(default="", init=False)

    @property
    def name(self) -> str:
        return f"{self.llm.name}+rule"

    @property
    def judged(self) -> int:
        return self.llm.judged

    @property
    def unparsed(self) -> int:
        return self.llm.unparsed

    def score(self, question: str, prediction: str, references: References) -> float:
        return self.score_batch([question], [prediction], [references])[0]

    def score_batch(
        self, questions: Sequence[str], predictions: Sequence[str], references: Sequence[References]
    ) -> list[float]:
        rule = self.rule.score_batch(questions, predictions, references)
        conversations = [
            grading_conversation(q, p, r) for q, p, r in zip(questions, predictions, references, strict=True)
        ]
        try:
            replies = self.llm.generator.generate(
                conversations, GenerationParams(max_new_tokens=self.llm.max_new_tokens)
            )
            verdicts = [parse_verdict(reply) for reply in replies]
        except (PastError, OSError) as exc:  # the grader is unreachable: the rule judge alone
            self.fallback_reason = str(exc)
            verdicts = [None] * len(rule)
        self.llm.judged += len(verdicts)
        self.llm.unparsed += sum(v is None for v in verdicts)
        self.last_details, scores = [], []
        for verdict, f1 in zip(verdicts, rule, strict=True):
            llm = None if verdict is None else float(verdict)
            used = "rule" if llm is None else "llm"
            self.fallbacks += used == "rule"
            self.last_details.append({"llm": llm, "rule": round(f1, 4), "used": used})
            scores.append(f1 if llm is None else llm)
        return scores
