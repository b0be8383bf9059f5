"""Multi-turn tool-use GRPO through TRL's rollout_func: token bookkeeping of the rollouts (the policy's tokens
carry the loss, observations do not), the component rewards, and a real GRPOTrainer step on a tiny model."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch

from past.errors import ConfigError
from past.tools import ApiSimulator
from past.tools.queries import parse_queries
from past.tools.rl import TemplateDelta, ToolGRPOConfig, component_rewards, rollout_function, train_tool_grpo
from tests.tool_fixtures import PARCEL_QUERY, make_byte_chat_model

QUERIES = parse_queries(
    [PARCEL_QUERY, dict(PARCEL_QUERY, query="Count the steps of parcel X.", query_id=2)], "q.json"
).queries
CALL = 'Thought: look\nAction: latest_for_suivi_colis\nAction Input: {"colisId": "CA1"}'


def tiny(tmp_path: Path):
    from past.training.modeling import load_model

    return load_model(make_byte_chat_model(tmp_path / "tiny"))


class ScriptedModel(torch.nn.Module):
    """Stands in for the policy network inside the rollout: its next-token logits spell fixed replies, one per
    turn, each closed by EOS (the trainer is not under test)."""

    def __init__(self, tokenizer, replies: list[str]) -> None:
        super().__init__()
        self.anchor = torch.nn.Parameter(torch.zeros(1))  # where the decode loop puts its inputs
        self.tokenizer, self.replies, self.turn, self.step = tokenizer, replies, -1, 0

    def forward(self, input_ids, **kwargs):
        if input_ids.shape[1] > 1:  # a new turn's prompt
            self.turn, self.step = self.turn + 1, 0
        reply = self.replies[min(self.turn, len(self.replies) - 1)]
        ids = self.tokenizer(reply, add_special_tokens=False)["input_ids"] + [self.tokenizer.eos_token_id]
        logits = torch.full((input_ids.shape[0], 1, len(self.tokenizer)), -1e9)
        logits[:, :, ids[min(self.step, len(ids) - 1)]] = 0.0
        self.step += 1
        return SimpleNamespace(logits=logits)


class Trainer:
    def __init__(self, model) -> None:
        self.model = model
        self.accelerator = type("A", (), {"unwrap_model": staticmethod(lambda m: m)})()


def test_rollouts_mask_observations_and_score_the_trajectory(tmp_path: Path) -> None:
    _, tokenizer = tiny(tmp_path)
    config = ToolGRPOConfig(max_turns=2, max_new_tokens=40)
    rollout = rollout_function(QUERIES, ApiSimulator(QUERIES[0].apis), config, tokenizer)
    model = ScriptedModel(tokenizer, [CALL, "no idea"])
    prompts = [[{"role": "user", "content": QUERIES[0].query}]] * 2
    out = rollout(prompts, Trainer(model))
    assert set(out) == {"prompt_ids", "completion_ids", "logprobs", "env_mask", "trajectory"}
    ids, mask = out["completion_ids"][0], out["env_mask"][0]
    assert len(ids) == len(mask) and 0 in mask and mask[0] == 1 and mask[-1] == 1
    policy_tokens = [t for t, m in zip(ids, mask, strict=True) if m]
    observation_tokens = [t for t, m in zip(ids, mask, strict=True) if not m]
    observed = tokenizer.decode(observation_tokens)
    assert observed.startswith("\n<|im_start|>user\nObservation: {") and observed.endswith("<|im_start|>assistant\n")
    assert tokenizer.decode(policy_tokens) == CALL + "<|im_end|>" + "no idea<|im_end|>"
    trajectory = out["trajectory"][0]
    assert [s["outcome"] for s in trajectory["steps"]] == ["call_ok", "format_error"]
    assert trajectory["stop_reason"] == "turn_limit"
    rewards = {f.__name__: f(prompts, [], out["trajectory"]) for f in component_rewards()}
    assert rewards["format"] == [0.5, 0.5] and rewards["valid_call"] == [1.0, 1.0] and rewards["solved"] == [0, 0]
    json.dumps(out["trajectory"])


def test_the_template_delta_matches_the_rendered_conversation(tmp_path: Path) -> None:
    _, tokenizer = tiny(tmp_path)
    delta = TemplateDelta(tokenizer)
    messages = [{"role": "user", "content": "hello there"}]
    prompt = delta.prompt_ids(messages)
    reply = "hello"
    reply_ids = tokenizer(reply, add_special_tokens=False)["input_ids"]
    between = delta.between(messages, reply, "Observation: world", closed=False)
    full = delta.prompt_ids(
        [*messages, {"role": "assistant", "content": reply}, {"role": "user", "content": "Observation: world"}]
    )
    assert prompt + reply_ids + between == full


def test_a_real_grpo_step_through_trl_with_rollout_func(tmp_path: Path) -> None:
    model = make_byte_chat_model(tmp_path / "tiny")
    config = ToolGRPOConfig(max_steps=1, max_new_tokens=6, max_turns=2, prompts_per_step=1, num_generations=2)
    result = train_tool_grpo(model, QUERIES, ApiSimulator(QUERIES[0].apis), config, tmp_path / "run")
    assert result.steps == 1 and (Path(result.adapter_dir) / "adapter_model.safetensors").is_file()
    assert set(result.components) == {"format", "valid_call", "execution", "solved"}
    recorded = json.loads((tmp_path / "run" / "result.json").read_text())
    assert recorded["config"]["weights"] == {"format": 0.1, "valid_call": 0.2, "execution": 0.2, "solved": 0.5}
    with pytest.raises(ConfigError, match="at least 2 generations"):
        ToolGRPOConfig(num_generations=1)


def test_build_tool_skill_writes_a_tagged_skill_and_resumes(tmp_path: Path) -> None:
    from past.skills import SkillLibrary
    from past.tools.skill_build import ToolSkillRecipe, build_tool_skill

    base = make_byte_chat_model(tmp_path / "base")
    recipe = ToolSkillRecipe(
        name="tools-test",
        sft_steps=1,
        sft_batch_size=2,
        sft_max_length=64,
        rl={"max_steps": 1, "max_turns": 2, "max_new_tokens": 4, "prompts_per_step": 1, "num_generations": 2},
    )
    skill_dir = build_tool_skill(base, QUERIES, recipe, tmp_path / "run", tmp_path / "run" / "skill")
    library = SkillLibrary(tmp_path / "skills")
    skill = library.add(skill_dir, "tools-test")
    manifest = skill.manifest
    assert manifest.form == "lora" and manifest.extra["kind"] == "tool_use"
    assert manifest.extra["categories"] == ["Logistics"] and manifest.recipe["rl"]["max_turns"] == 2
    assert manifest.recipe["rl"]["weights"]["solved"] == 0.5 and "rl_components" in manifest.metrics
    assert build_tool_skill(base, QUERIES, recipe, tmp_path / "run", skill_dir) == skill_dir  # done: skipped
