"""The ReAct agent loop (every step recorded, bad steps answered and the run going on, the turn limit), the
composite reward and the tool-use evaluation (per category, mean and 95 % CI over seeds)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from past.errors import ConfigError
from past.generators import LocalGenerator
from past.tools import (
    AgentConfig,
    ApiSimulator,
    RewardWeights,
    Trajectory,
    evaluate_policy,
    metric_estimate,
    run_agents,
    score_trajectory,
    summarise,
)
from past.tools.queries import parse_queries
from tests.tool_fixtures import PARCEL_QUERY, ScriptedPolicy

QUERY = parse_queries([PARCEL_QUERY], "q.json").queries[0]
CALL_LATEST = 'Thought: state\nAction: latest_for_suivi_colis\nAction Input: {"colisId": "CA107308006SI"}'
CALL_COUNT = 'Thought: steps\nAction: count_for_suivi_colis\nAction Input: {"colisId": "CA107308006SI"}'
FINISH = 'Thought: done\nAction: Finish\nAction Input: {"return_type": "give_answer", "final_answer": "Lyon, 4 steps"}'


def scripted(*replies: str) -> ScriptedPolicy:
    return ScriptedPolicy(lambda conversation, turn: replies[min(turn, len(replies) - 1)])


def test_a_solving_run_records_every_step_and_scores_full_reward() -> None:
    simulator = ApiSimulator(QUERY.apis)
    (trajectory,) = run_agents(scripted(CALL_LATEST, CALL_COUNT, FINISH), [QUERY], simulator)
    assert [s.outcome for s in trajectory.steps] == ["call_ok", "call_ok", "finish"]
    assert trajectory.stop_reason == "finish" and trajectory.final_answer == "Lyon, 4 steps"
    first = trajectory.steps[0]
    assert first.action == "latest_for_suivi_colis" and first.call["source"] == "schema"
    assert first.observation.startswith('Observation: {"error": "", "response": {')
    restored = Trajectory.from_dict(json.loads(json.dumps(trajectory.to_dict())))
    assert restored == trajectory
    reward = score_trajectory(trajectory)
    assert (reward.format, reward.valid_call, reward.execution, reward.solved, reward.total) == (1, 1, 1, 1, 1)


def test_broken_json_unknown_apis_and_bad_arguments_are_outcomes_and_the_run_goes_on() -> None:
    replies = [
        'Thought: x\nAction: latest_for_suivi_colis\nAction Input: {"colisId": ',
        'Thought: x\nAction: track_for_dhl\nAction Input: {"id": 1}',
        'Thought: x\nAction: count_for_suivi_colis\nAction Input: {"parcel": "CA1"}',
        "I do not know.",
        CALL_LATEST,
        FINISH,
    ]
    (trajectory,) = run_agents(scripted(*replies), [QUERY], ApiSimulator(QUERY.apis), AgentConfig(max_turns=6))
    steps = trajectory.steps
    assert [s.outcome for s in steps] == [
        "invalid_json",
        "unknown_api",
        "invalid_arguments",
        "format_error",
        "call_ok",
        "finish",
    ]
    assert steps[0].parse_error == "invalid_json" and "could not be read" in steps[0].observation
    assert steps[1].message == "no API named 'track_for_dhl'" and "track_for_dhl" in steps[1].observation
    assert "missing required parameter(s): colisId" in steps[2].observation
    assert steps[3].parse_error == "no_action"
    reward = score_trajectory(trajectory)
    assert reward.format == pytest.approx(4 / 6) and reward.valid_call == pytest.approx(1 / 3)
    assert reward.execution == pytest.approx(1 / 3) and reward.solved == 0 and reward.relevant_recall == 0.5
    weights = RewardWeights(format=1, valid_call=0, execution=0, solved=0)
    assert score_trajectory(trajectory, weights).total == pytest.approx(4 / 6)


def test_the_turn_limit_and_batched_turns() -> None:
    other = parse_queries([dict(PARCEL_QUERY, query_id=29)], "q.json").queries[0]
    policy = scripted(CALL_LATEST)
    trajectories = run_agents(policy, [QUERY, other], ApiSimulator(QUERY.apis), AgentConfig(max_turns=3))
    assert [t.stop_reason for t in trajectories] == ["turn_limit", "turn_limit"]
    assert [len(t.steps) for t in trajectories] == [3, 3] and policy.calls == [2, 2, 2]
    assert score_trajectory(trajectories[0]).solved == 0
    with pytest.raises(ConfigError, match="at least one turn"):
        AgentConfig(max_turns=0)


def test_a_real_tiny_model_as_policy_produces_recorded_steps(tmp_path: Path) -> None:
    from past.training.modeling import load_model
    from tests.lora_adapters import make_tiny_chat_model

    model, tokenizer = load_model(make_tiny_chat_model(tmp_path / "tiny"))
    policy = LocalGenerator(model, tokenizer, batch_size=2)
    run = evaluate_policy(policy, "tiny", [QUERY], ApiSimulator(QUERY.apis), AgentConfig(max_turns=2, max_new_tokens=8))
    (trajectory,) = run.trajectories
    assert len(trajectory.steps) == 2 and trajectory.stop_reason == "turn_limit"
    assert all(s.outcome in ("format_error", "invalid_json") for s in trajectory.steps)
    assert run.metrics["pass_rate"] == 0 and run.per_category == {"Logistics": run.metrics}


def test_mean_and_confidence_interval_over_seeds() -> None:
    from past.tools.evaluation import QueryScore, ToolEvalRun

    def run(seed: int, solved: list[float]) -> ToolEvalRun:
        scores = [QueryScore(f"q{i}", "c", v, 1.0, 1.0, 1.0, 1.0, 1.0, v, 1, "finish") for i, v in enumerate(solved)]
        return ToolEvalRun("m", seed, scores, [])

    runs = [run(0, [0.0, 1.0, 1.0]), run(1, [0.0, 0.0, 1.0])]
    estimate = metric_estimate(runs, "pass_rate")
    assert estimate.mean == pytest.approx(0.5) and estimate.n == 6 and estimate.clusters == 3  # queries resampled
    assert 0.0 <= estimate.low < estimate.mean < estimate.high <= 1.0
    assert metric_estimate(runs, "valid_call_rate").low == 1.0  # no spread, no interval
    assert math.isnan(metric_estimate(runs, "pass_rate", category="other").mean)


def test_evaluation_summarises_per_category_over_seeds() -> None:
    other = parse_queries([dict(PARCEL_QUERY, query_id=30)], "q.json").queries[0]
    weather = parse_queries(
        [
            {
                "query": "Weather?",
                "query_id": 1,
                "relevant APIs": [["meteo", "Now"]],
                "api_list": [{"category_name": "Weather", "tool_name": "meteo", "api_name": "Now"}],
            }
        ],
        "w.json",
    ).queries[0]

    def policy_for(seed: int) -> ScriptedPolicy:
        def script(conversation: list[dict], turn: int) -> str:
            if "Weather" in conversation[1]["content"]:
                return "no idea"
            return [CALL_LATEST, CALL_COUNT, FINISH][turn] if seed else [CALL_LATEST, FINISH][min(turn, 1)]

        return ScriptedPolicy(script)

    simulator = ApiSimulator([*QUERY.apis, *weather.apis])
    runs = [evaluate_policy(policy_for(s), "m", [QUERY, other, weather], simulator, seed=s) for s in (0, 1)]
    assert runs[0].metrics["pass_rate"] == 0 and runs[1].metrics["pass_rate"] == pytest.approx(2 / 3)
    assert runs[1].per_category["Logistics"]["pass_rate"] == 1 and runs[1].per_category["Weather"]["pass_rate"] == 0
    summary = summarise("m", runs)
    assert summary.seeds == [0, 1] and summary.metrics["pass_rate"].mean == pytest.approx(1 / 3)
    assert summary.per_category["Logistics"]["pass_rate"].mean == pytest.approx(0.5)
    assert summary.per_category["Logistics"]["valid_call_rate"].mean == 1
    json.dumps(summary.to_dict())
    json.dumps(runs[0].to_dict())


def test_reward_weights_are_checked() -> None:
    assert RewardWeights.from_dict({"solved": 1}).to_dict() == {
        "format": 0.1,
        "valid_call": 0.2,
        "execution": 0.2,
        "solved": 1.0,
    }
    with pytest.raises(ConfigError, match="unknown reward weight"):
        RewardWeights.from_dict({"speed": 1})
    with pytest.raises(ConfigError, match="non-negative"):
        RewardWeights(format=-1)
