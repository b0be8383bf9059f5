"""One query end to end on the real default model: SFT on API documents (+ format alignment) → a tool-use skill
from one multi-turn GRPO step → inject → the ReAct agent against the simulator → composite reward."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from past.models import ModelRegistry
from past.models.fingerprint import fingerprint_checkpoint
from past.tools import (
    AgentConfig,
    ApiSimulator,
    DocsDataConfig,
    docs_sft_records,
    ingest_tool_json,
    run_agents,
    score_trajectory,
    synthetic_first_step_records,
)
from past.tools.agent import CALL_OUTCOMES
from past.tools.queries import parse_queries
from past.tools.rl import ToolGRPOConfig, train_tool_grpo
from tests.machine import TORCH_THREADS
from tests.tool_fixtures import PARCEL_APIS, PARCEL_QUERY


@pytest.mark.slow
def test_one_query_through_sft_inject_agent_and_reward(session_settings, tmp_path: Path) -> None:
    import torch

    from past.generators import LocalGenerator
    from past.skills import SkillVector, inject, skill_from_adapter
    from past.training import SFTTrainConfig, build_sft_dataset, train_sft
    from past.training.modeling import load_model

    torch.set_num_threads(TORCH_THREADS)
    started = time.monotonic()
    base = ModelRegistry(session_settings).resolve("default").path
    apis = ingest_tool_json(PARCEL_APIS, "parcel.json").apis
    query = parse_queries([PARCEL_QUERY], "q.json").queries[0]
    docs = docs_sft_records(apis, DocsDataConfig(questions_per_api=2))
    records = docs.records + synthetic_first_step_records(apis, docs.texts)
    _, tokenizer = load_model(base)
    sft = train_sft(
        base,
        build_sft_dataset(tokenizer, records=records),
        SFTTrainConfig(max_steps=8, batch_size=4, max_length=192),
        tmp_path / "sft",
    )
    assert sft.last_loss < sft.first_loss

    rl = train_tool_grpo(
        base,
        [query],
        ApiSimulator(apis),
        ToolGRPOConfig(max_steps=1, max_turns=1, max_new_tokens=16, prompts_per_step=1, num_generations=2),
        tmp_path / "rl",
    )
    skill = skill_from_adapter(
        rl.adapter_dir,
        tmp_path / "skill",
        name="tool-use-test",
        base_fingerprint=fingerprint_checkpoint(base),
        extra={"kind": "tool_use"},
    )
    assert skill.manifest.extra["kind"] == "tool_use"
    with SkillVector.open(tmp_path / "skill") as vector:
        inject((base, sft.adapter_dir), [(vector, 1.0)], tmp_path / "past", output="adapter", register=False)

    from peft import PeftModel

    model, tokenizer = load_model(base)
    model = PeftModel.from_pretrained(model, str(tmp_path / "past")).merge_and_unload()
    policy = LocalGenerator(model, tokenizer)
    (trajectory,) = run_agents(policy, [query], ApiSimulator(apis), AgentConfig(max_turns=2, max_new_tokens=48))
    assert 1 <= len(trajectory.steps) <= 2 and trajectory.stop_reason in ("finish", "give_up", "turn_limit")
    known = {*CALL_OUTCOMES, "invalid_json", "format_error", "finish", "give_up"}
    assert all(s.outcome in known and s.reply for s in trajectory.steps)
    reward = score_trajectory(trajectory)
    assert all(0.0 <= v <= 1.0 for v in (reward.format, reward.valid_call, reward.execution, reward.solved))
    json.dumps(trajectory.to_dict())
    print(
        json.dumps(
            {
                "steps": [(s.outcome, s.reply) for s in trajectory.steps],
                "reward": reward.to_dict(),
                "seconds": round(time.monotonic() - started, 1),
            }
        )
    )
