"""The LLM judge: the paper's yes/no grading prompt, served by the local model or an OpenAI-compatible endpoint.

The grader sees the question, the reference answer(s) and the prediction and must answer "yes" or "no";
"yes" scores 1.0, "no" 0.0. Replies that are neither score 0.0 and are counted in ``unparsed``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from past.generators.base import ChatGenerator, Conversation, user
from past.judges.base import References, as_list
from past.serving.generation import GenerationParams

GRADING_PROMPT = (
    "You are grading an answer to a quiz question. Decide whether the predicted answer is correct, that is, "
    "whether it gives the same information as the reference answer. Minor differences in wording, spelling "
    "or extra detail are fine; a wrong, missing or contradictory key fact is not.\n\n"
    "Question: {question}\nReference answer: {reference}\nPredicted answer: {prediction}\n\n"
    'Is the predicted answer correct? Reply with just "yes" or "no".'
)

_WORD = re.compile(r"[a-z]+")


def grading_conversation(question: str, prediction: str, references: References) -> Conversation:
    reference = " | ".join(as_list(references)) or "(none)"
    return user(GRADING_PROMPT.format(question=question, reference=reference, prediction=prediction.strip()))


def parse_verdict(reply: str) -> bool | None:
    """True for yes, False for no, None when the reply says neither first."""
    for word in _WORD.findall(reply.lower()):
        if word in ("yes", "correct"):
            return True
        if word in ("no", "incorrect", "wrong"):
            return False
    return None


@dataclass
class LLMJudge:
    """Yes/no grading by any :class:`ChatGenerator` (greedy, a few tokens)."""

    generator: ChatGenerator
    max_new_tokens: int = 4
    unparsed: int = field(default=0, init=False)
    judged: int = field(default=0, init=False)

    @property
    def name(self) -> str:
        return f"llm:{self.generator.name}"

    def score(self, question: str, prediction: str, references: References) -> float:
        return self.score_batch([question], [prediction], [references])[0]

    def score_batch(
        self, questions: Sequence[str], predictions: Sequence[str], references: Sequence[References]
    ) -> list[float]:
        conversations = [
            grading_conversation(q, p, r) for q, p, r in zip(questions, predictions, references, strict=True)
        ]
        replies = self.generator.generate(conversations, GenerationParams(max_new_tokens=self.max_new_tokens))
        scores = []
        for reply in replies:
            verdict = parse_verdict(reply)
            self.judged += 1
            self.unparsed += verdict is None
            scores.append(1.0 if verdict else 0.0)
        return scores
