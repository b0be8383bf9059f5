"""Build a judge from user settings: ``rule`` (F1), ``containment``, or ``llm`` on a local model or an endpoint."""

from __future__ import annotations

from typing import Any

from past.errors import ConfigError
from past.generators import EndpointConfig, OpenAIChatGenerator, local_generator
from past.judges.base import ContainmentJudge, Judge, RuleQAJudge, ShortAnswerReward
from past.judges.fallback import FallbackJudge
from past.judges.llm import LLMJudge

JUDGE_KINDS = ("rule", "containment", "llm")
REWARD_KINDS = ("rule", "short-answer")  # what GRPO may be rewarded by (the LLM judge too: "llm")


def make_judge(
    kind: str = "rule",
    *,
    registry: Any = None,
    model_ref: str | None = None,
    endpoint: EndpointConfig | None = None,
    batch_size: int = 16,
) -> Judge:
    """``rule`` / ``containment``; or ``llm`` with ``endpoint`` or a local ``model_ref`` loaded through ``registry``.

    ``llm`` on an endpoint is a :class:`FallbackJudge`: the endpoint's verdict with the rule judge recorded
    beside it (and used where the endpoint fails or its reply is neither yes nor no)."""
    if kind == "rule":
        return RuleQAJudge()
    if kind == "containment":
        return ContainmentJudge()
    if kind != "llm":
        raise ConfigError(f"unknown judge '{kind}': choose from {', '.join(JUDGE_KINDS)}")
    if endpoint is not None:
        return FallbackJudge(LLMJudge(OpenAIChatGenerator(endpoint)))
    if registry is None or not model_ref:
        raise ConfigError("the LLM judge needs an endpoint (URL and model) or a local model reference")
    return LLMJudge(local_generator(registry.load(model_ref), batch_size=batch_size))


def make_reward(kind: str = "short-answer", **settings: Any) -> Judge:
    """The GRPO reward: ``short-answer`` (F1 + a bonus for short answers), ``rule`` (F1) or any judge kind."""
    if kind == "short-answer":
        return ShortAnswerReward(**settings)
    return make_judge(kind, **settings)
