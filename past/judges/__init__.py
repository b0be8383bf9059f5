"""Judges of closed-book answers: used as GRPO rewards and for evaluation.

Every judge follows :class:`Judge` (``score(question, prediction, references) -> [0, 1]``): the rule judge
(:class:`RuleQAJudge`, SQuAD token F1, correct at ≥ 0.5: the default and the GRPO reward), the lenient
:class:`ContainmentJudge`, or the LLM yes/no judge (:class:`LLMJudge`).
"""

from past.judges.base import ContainmentJudge, Judge, RuleQAJudge, ShortAnswerReward
from past.judges.factory import JUDGE_KINDS, make_judge
from past.judges.fallback import FallbackJudge
from past.judges.llm import GRADING_PROMPT, LLMJudge, parse_verdict
from past.judges.reward import judge_reward_fn
from past.judges.rule import AnswerScores, answer_scores, normalize_answer, token_f1

__all__ = [
    "GRADING_PROMPT",
    "JUDGE_KINDS",
    "AnswerScores",
    "ContainmentJudge",
    "FallbackJudge",
    "Judge",
    "LLMJudge",
    "RuleQAJudge",
    "ShortAnswerReward",
    "answer_scores",
    "judge_reward_fn",
    "make_judge",
    "normalize_answer",
    "parse_verdict",
    "token_f1",
]
