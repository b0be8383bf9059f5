"""The simulated API environment: call validation, deterministic schema responses, an LLM simulator behind a
real local HTTP server (cached by call), and an endpoint that is down — a recorded outcome, the run goes on."""

from __future__ import annotations

import json
from pathlib import Path

from past.generators import EndpointConfig, OpenAIChatGenerator
from past.tools import ApiSimulator, ingest_tool_json, run_agents
from past.tools.agent import AgentConfig
from past.tools.queries import parse_queries
from past.tools.simulator import answered_by, schema_response, validate_call
from tests.openai_stub import openai_stub
from tests.tool_fixtures import PARCEL_APIS, PARCEL_QUERY, ScriptedPolicy

APIS = ingest_tool_json(PARCEL_APIS, "parcel.json").apis
LATEST, COUNT = APIS


def test_calls_are_validated_against_the_documentation() -> None:
    assert validate_call(LATEST, {"colisId": "CA1"}) == ""
    assert validate_call(LATEST, {}) == "missing required parameter(s): colisId"
    assert validate_call(LATEST, {"colisId": "CA1", "city": "x"}) == ("unknown parameter(s): city (allowed: colisId)")
    assert validate_call(COUNT, {"colisId": "CA1", "verbose": "yes"}) == "'verbose' must be of type boolean"
    assert validate_call(COUNT, {"colisId": "CA1", "verbose": "true"}) == ""


def test_schema_responses_are_deterministic_and_echo_arguments() -> None:
    first = schema_response(LATEST, {"colisId": "CA1"})
    assert first == schema_response(LATEST, {"colisId": "CA1"})
    assert first != schema_response(LATEST, {"colisId": "CA2"})
    assert first["colisId"] == "CA1" and set(first) == {"country", "colisId", "status"}
    assert isinstance(schema_response(COUNT, {"colisId": "CA1"})["nbSteps"], int)
    simulator = ApiSimulator(APIS)
    ok, unknown, invalid = simulator.call_many(
        [
            ("latest_for_suivi_colis", {"colisId": "CA1"}, None),
            ("track_for_dhl", {}, None),
            ("count_for_suivi_colis", {}, None),
        ]
    )
    assert (ok.status, ok.source, ok.response) == ("ok", "schema", first)
    assert (unknown.status, unknown.message) == ("unknown_api", "no API named 'track_for_dhl'")
    assert invalid.status == "invalid_arguments" and invalid.observation() == {
        "error": "missing required parameter(s): colisId",
        "response": "",
    }
    assert simulator.call("latest_for_suivi_colis", {"colisId": "CA1"}, allowed := [COUNT]).status == "unknown_api"
    assert allowed == [COUNT]


def test_an_llm_simulator_behind_an_endpoint_is_cached_by_call(tmp_path: Path) -> None:
    def reply(messages: list[dict]) -> str:
        arguments = json.loads(messages[-1]["content"].split("Call arguments: ")[1].split("\n")[0])
        if arguments.get("colisId") == "bad":
            return '{"error": "unknown parcel", "response": ""}'
        if arguments.get("colisId") == "chatty":
            return "Sure! The parcel is in Lyon."
        return json.dumps({"error": "", "response": {"status": "in transit", "colisId": arguments["colisId"]}})

    with openai_stub(reply) as (url, state):
        generator = OpenAIChatGenerator(EndpointConfig(url, "sim", api_key_env=None))
        simulator = ApiSimulator(APIS, generator, cache_dir=tmp_path / "cache")
        calls = [("latest_for_suivi_colis", {"colisId": c}, None) for c in ("CA1", "bad", "chatty")]
        ok, error, chatty = simulator.call_many(calls)
        assert (ok.status, ok.source, ok.response) == ("ok", "llm", {"status": "in transit", "colisId": "CA1"})
        assert answered_by(ok.to_dict()) == "the LLM simulator" and not ok.fallback
        assert (error.status, error.message) == ("api_error", "unknown parcel")
        assert (chatty.status, chatty.source) == ("ok", "schema") and "not JSON" in chatty.message
        assert chatty.answered_by == "schema fallback" and "not JSON" in chatty.fallback
        assert "template_response" in state.requests[0]["messages"][1]["content"]
        sent = len(state.requests)
        again = ApiSimulator(APIS, generator, cache_dir=tmp_path / "cache").call_many(calls[:2])
        assert [r.source for r in again] == ["cache", "cache"] and again[0].response == ok.response
        assert len(state.requests) == sent  # answered from disk
    assert len(list((tmp_path / "cache").rglob("*.json"))) == 2


def test_a_simulator_endpoint_that_is_down_is_a_recorded_outcome(tmp_path: Path) -> None:
    query = parse_queries([PARCEL_QUERY], "q.json").queries[0]

    def script(conversation: list[dict], turn: int) -> str:
        if turn == 0:
            return 'Thought: look\nAction: latest_for_suivi_colis\nAction Input: {"colisId": "CA107308006SI"}'
        return 'Thought: stop\nAction: Finish\nAction Input: {"return_type": "give_up_and_restart"}'

    with openai_stub(lambda m: "{}", fail_first=1000) as (url, state):
        generator = OpenAIChatGenerator(EndpointConfig(url, "sim", api_key_env=None, max_retries=0))
        strict = ApiSimulator(APIS, generator, cache_dir=tmp_path / "cache", fallback=False)
        (trajectory,) = run_agents(ScriptedPolicy(script), [query], strict, AgentConfig(max_turns=3))
        first, second = trajectory.steps
        assert first.outcome == "simulator_error" and "API simulator unavailable" in first.message
        assert "HTTP 503" in first.message and "API simulator unavailable" in first.observation
        assert second.outcome == "give_up" and trajectory.stop_reason == "give_up"
        assert answered_by(first.call).startswith("no simulator")

        # the default: the schema simulator answers, and the step records that it was a fallback, and why
        simulator = ApiSimulator(APIS, generator, cache_dir=tmp_path / "cache")
        assert simulator.describe()["fallback"] == "schema"
        (trajectory,) = run_agents(ScriptedPolicy(script), [query], simulator, AgentConfig(max_turns=3))
        first, second = trajectory.steps
        assert first.outcome == "call_ok" and first.call["source"] == "schema"
        assert "HTTP 503" in first.call["fallback"] and "API simulator unavailable" in first.call["fallback"]
        assert first.call["response"] == schema_response(LATEST, {"colisId": "CA107308006SI"})
        assert '"error": ""' in first.observation and "CA107308006SI" in first.observation
        assert answered_by(first.call).startswith("the schema simulator (fallback: API simulator unavailable")
        assert second.outcome == "give_up"
    assert state.requests and not (tmp_path / "cache").exists()  # nothing cached for a failure

    refused = OpenAIChatGenerator(EndpointConfig("http://127.0.0.1:9/v1", "sim", api_key_env=None, max_retries=0))
    result = ApiSimulator(APIS, refused, fallback=False).call("latest_for_suivi_colis", {"colisId": "CA1"})
    assert result.status == "simulator_error" and "cannot reach http://127.0.0.1:9/v1" in result.message
    result = ApiSimulator(APIS, refused).call("latest_for_suivi_colis", {"colisId": "CA1"})
    assert (result.status, result.answered_by) == ("ok", "schema fallback") and "cannot reach" in result.fallback
