"""The LLM yes/no judge against a real local HTTP endpoint, the judge protocol, and the local-model judge."""

from __future__ import annotations

import re

import pytest

from past.errors import ConfigError, EndpointError
from past.generators import EndpointConfig, OpenAIChatGenerator
from past.judges import GRADING_PROMPT, Judge, LLMJudge, RuleQAJudge, make_judge, parse_verdict
from past.serving.generation import GenerationParams
from tests.openai_stub import openai_stub


def grader(messages: list[dict]) -> str:
    """A strict grader: yes when the reference's first word appears in the prediction."""
    text = messages[-1]["content"]
    reference = re.search(r"Reference answer: (.*)", text).group(1)
    prediction = re.search(r"Predicted answer: (.*)", text).group(1)
    if "garble" in prediction:
        return "Hmm, let me think about it."
    return "Yes." if reference.split()[0].lower() in prediction.lower() else "No, that is wrong."


def test_llm_judge_scores_through_an_openai_compatible_endpoint(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAST_TEST_KEY", "sk-test-123")
    with openai_stub(grader, fail_first=1) as (url, state):
        config = EndpointConfig(url, model="grader-1", api_key_env="PAST_TEST_KEY", concurrency=2)
        judge = make_judge("llm", endpoint=config)
        assert isinstance(judge, Judge) and judge.name.startswith("llm:openai:grader-1@")
        scores = judge.score_batch(
            ["Who built the bridge?", "Where?", "When?", "Who?"],
            ["Thaddeus Quill built it", "in Lindqvist", "garble", "nobody"],
            [["Thaddeus Quill"], "Nettle Rock", "1891", ["Ilse Marrow", "Ilse"]],
        )
        assert judge.score("Who built the bridge?", "Quill? No: Thaddeus.", "Thaddeus Quill") == 1.0
    assert scores == [1.0, 0.0, 0.0, 0.0]
    assert judge.unparsed == 1 and judge.judged == 5
    assert len(state.requests) == 6  # one 503 was retried
    first = state.requests[-1]
    assert first["model"] == "grader-1" and first["temperature"] == 0.0 and first["max_tokens"] == 4
    assert "Reference answer: Thaddeus Quill" in first["messages"][0]["content"]
    assert all(h.get("Authorization") == "Bearer sk-test-123" for h in state.headers)
    assert 'Reply with just "yes" or "no"' in GRADING_PROMPT
    assert "Reference answer: Ilse Marrow | Ilse" in "".join(r["messages"][0]["content"] for r in state.requests)


def test_endpoint_errors_are_clear() -> None:
    with openai_stub(grader) as (url, _):
        bad_path = OpenAIChatGenerator(EndpointConfig(url.replace("/v1", "/nope"), model="m", max_retries=0))
        with pytest.raises(EndpointError, match="HTTP 404"):
            LLMJudge(bad_path).score("q", "p", "r")
    closed = OpenAIChatGenerator(EndpointConfig(url, model="m", max_retries=0, timeout_s=2))
    with pytest.raises(EndpointError, match="cannot reach"):
        closed.generate([[{"role": "user", "content": "hi"}]], GenerationParams())
    with pytest.raises(ConfigError):
        EndpointConfig("localhost:8000", model="m")
    with pytest.raises(ConfigError):
        make_judge("llm")
    with pytest.raises(ConfigError):
        make_judge("oracle")


def test_verdict_parsing_and_rule_judge_protocol() -> None:
    assert parse_verdict("Yes") is True and parse_verdict(" no.") is False
    assert parse_verdict("The answer is correct") is True and parse_verdict("**No** it is wrong") is False
    assert parse_verdict("maybe") is None and parse_verdict("") is None
    rule = RuleQAJudge()
    assert isinstance(rule, Judge)
    assert rule.score("q", "Thaddeus Quill.", ["thaddeus quill"]) == 1.0
    assert rule.score("q", "It was Thaddeus Quill.", ["thaddeus quill"]) == pytest.approx(2 / 3)  # F1: short is best
    assert rule.score_batch(["a", "b"], ["1891", "green salt"], ["1891", "blue"]) == [1.0, 0.0]
    assert 0 < rule.score("q", "Thaddeus", "Thaddeus Quill") < 1


@pytest.mark.slow
def test_llm_judge_on_the_local_default_model(default_model) -> None:
    from past.generators import local_generator

    judge = LLMJudge(local_generator(default_model))
    scores = judge.score_batch(["What colour is the sky?"] * 2, ["blue", "The sky is blue."], ["blue", "blue"])
    assert len(scores) == 2 and all(s in (0.0, 1.0) for s in scores)
    assert judge.judged == 2 and 0 <= judge.unparsed <= 2


def test_grpo_reward_function_reads_the_question_from_chat_prompts() -> None:
    from past.judges import judge_reward_fn

    seen: list[str] = []

    def recording_grader(messages: list[dict]) -> str:
        seen.append(messages[-1]["content"])
        return grader(messages)

    prompts = [[{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Who built the bridge?"}]] * 2
    completions = [[{"role": "assistant", "content": "Thaddeus Quill"}], [{"role": "assistant", "content": "Bob"}]]
    with openai_stub(recording_grader) as (url, _):
        reward = judge_reward_fn(make_judge("llm", endpoint=EndpointConfig(url, model="g", api_key_env=None)))
        assert reward(prompts=prompts, completions=completions, answers=[["Thaddeus Quill"]] * 2) == [1.0, 0.0]
    assert all("Question: Who built the bridge?" in s for s in seen)
    rule_reward = judge_reward_fn(RuleQAJudge())
    assert rule_reward(prompts=["Q?"] * 2, completions=["Quill", "It was Quill"], answers=[["Quill"]] * 2) == [1.0, 0.5]
