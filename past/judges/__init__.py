"""Judges of closed-book answers: used as GRPO rewards and for evaluation."""

from past.judges.rule import RuleJudge, normalize_answer, token_f1

__all__ = ["RuleJudge", "normalize_answer", "token_f1"]
