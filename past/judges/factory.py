"""Build a judge from user-facing settings: ``rule``, ``llm`` on a local model, or ``llm`` on an endpoint."""

from __future__ import annotations

from typing import Any

from past.errors import ConfigError
from past.generators import EndpointConfig, OpenAIChatGenerator, local_generator
from past.judges.base import Judge, RuleQAJudge
from past.judges.llm import LLMJudge

JUDGE_KINDS = ("rule", "llm")


def make_judge(
    kind: str = "rule",
    *,
    registry: Any = None,
    model_ref: str | None = None,
    endpoint: EndpointConfig | None = None,
    threshold: float = 0.5,
    batch_size: int = 16,
) -> Judge:
    """``rule``; or ``llm`` with either ``endpoint`` or a local ``model_ref`` loaded through ``registry``."""
    if kind == "rule":
        return RuleQAJudge(threshold=threshold)
    if kind != "llm":
        raise ConfigError(f"unknown judge '{kind}': choose from {', '.join(JUDGE_KINDS)}")
    if endpoint is not None:
        return LLMJudge(OpenAIChatGenerator(endpoint))
    if registry is None or not model_ref:
        raise ConfigError("the LLM judge needs an endpoint (URL and model) or a local model reference")
    return LLMJudge(local_generator(registry.load(model_ref), batch_size=batch_size))
