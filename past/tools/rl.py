"""Multi-turn GRPO for tool use with TRL's GRPOTrainer and the composite reward.

TRL 1.16 runs multi-turn rollouts two ways: ``environment_factory``/``tools`` (tool calls in the chat template's
native tool-call format, which needs a template that supports tools — SmolLM2's does not) and ``rollout_func``
(experimental: our own generation loop returns prompt ids, completion ids and an ``env_mask``). The ReAct
convention is plain text, so this uses ``rollout_func``: each rollout is the agent loop of
:mod:`past.tools.agent` against the simulator, up to ``max_turns`` turns, and its completion is every assistant
turn *and* every observation in token form, with ``env_mask`` 0 on the observation (and chat-template) tokens so
that only the policy's own tokens carry the loss. ``max_turns=1`` is single-step action GRPO.

The reward is the four components of :mod:`past.tools.reward` as four TRL reward functions with the composite
weights as TRL's ``reward_weights`` (so the trainer logs each component and records the weights). The LoRA
trained on the given (merged SFT) model is the RL delta, the tool-use skill vector in LoRA form.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from past.errors import ConfigError
from past.progress import NullReporter, Reporter
from past.tools.agent import (
    AgentStep,
    Trajectory,
    initial_conversation,
    observation_text,
    record_turn,
)
from past.tools.queries import ToolQuery
from past.tools.react import HINT_MODES
from past.tools.reward import COMPONENTS, RewardWeights, score_trajectory
from past.tools.simulator import ApiSimulator


@dataclass
class ToolGRPOConfig:
    """What a tool-use GRPO run does; JSON-serialisable (recorded with the skill)."""

    lora_r: int = 8
    lora_alpha: int = 16
    target_modules: str | list[str] = "all-linear"
    learning_rate: float = 5e-5
    max_steps: int = 8
    prompts_per_step: int = 2
    num_generations: int = 4
    max_turns: int = 2  # 1: single-step action GRPO
    max_new_tokens: int = 96  # per turn: 96 tokens fit 92 % of the StableToolBench reference first steps
    max_observation_chars: int = 400
    temperature: float = 1.0
    top_p: float = 1.0
    beta: float = 0.0
    hint: str = "none"
    seed: int = 0
    save_steps: int = 0
    resume: bool = True
    weights: dict[str, float] = field(default_factory=lambda: RewardWeights().to_dict())

    def __post_init__(self) -> None:
        if self.max_turns < 1 or self.max_new_tokens < 1 or self.max_steps < 1:
            raise ConfigError("max_turns, max_new_tokens and max_steps must be at least 1")
        if self.num_generations < 2:
            raise ConfigError("GRPO needs at least 2 generations per prompt (num_generations >= 2)")
        if self.hint not in HINT_MODES:
            raise ConfigError(f"unknown tool hint {self.hint!r}: choose from {', '.join(HINT_MODES)}")
        RewardWeights.from_dict(self.weights)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ToolGRPOConfig:
        from past.training.runs import config_from_dict

        return config_from_dict(cls, data)

    def to_trl(self, output_dir: Path, use_cpu: bool | None = None) -> Any:
        """TRL's config through :func:`past.training.grpo.grpo_args` (device and precision as :mod:`past.device`
        says; rollouts are this module's, never vLLM), the component weights as ``reward_weights``."""
        from past.training.grpo import grpo_args

        weights = RewardWeights.from_dict(self.weights)
        return grpo_args(
            output_dir,
            max_steps=self.max_steps,
            prompts_per_step=self.prompts_per_step,
            num_generations=self.num_generations,
            max_completion_length=self.max_turns * (self.max_new_tokens + 256),
            learning_rate=self.learning_rate,
            beta=self.beta,
            temperature=self.temperature,
            seed=self.seed,
            save_steps=self.save_steps,
            save_total_limit=None,
            use_cpu=use_cpu,
            use_vllm=False,
            top_p=self.top_p,
            reward_weights=[getattr(weights, c) for c in COMPONENTS],
        )


class TemplateDelta:
    """Token ids the chat template puts between turns: after the policy's end-of-turn token, the observation as a
    user turn and the next assistant header. Needs a prefix-preserving template (ChatML is)."""

    def __init__(self, tokenizer: Any) -> None:
        self.tokenizer = tokenizer
        self.eos = tokenizer.eos_token or ""

    def render(self, messages: list[dict[str, str]], generation_prompt: bool) -> str:
        return self.tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=generation_prompt)

    def prompt_ids(self, messages: list[dict[str, str]]) -> list[int]:
        return self.tokenizer(self.render(messages, True), add_special_tokens=False)["input_ids"]

    def between(self, messages: list[dict[str, str]], reply: str, observation: str, closed: bool) -> list[int]:
        """Ids after the reply's tokens up to the next assistant header; ``closed``: the reply ended with EOS."""
        with_reply = self.render([*messages, {"role": "assistant", "content": reply}], False)
        following = self.render(
            [*messages, {"role": "assistant", "content": reply}, {"role": "user", "content": observation}], True
        )
        if not following.startswith(with_reply):
            raise ConfigError("the model's chat template is not prefix-preserving; multi-turn GRPO cannot use it")
        closing = with_reply.rfind(reply + self.eos) if closed and self.eos else -1
        end = closing + len(reply + self.eos) if closing >= 0 else with_reply.rfind(reply) + len(reply)
        return self.tokenizer(following[end:], add_special_tokens=False)["input_ids"]


def _generate(model: Any, tokenizer: Any, sequences: list[list[int]], config: ToolGRPOConfig) -> list[list[int]]:
    """One turn's replies through the one local generation loop; a reply that ended the turn keeps its EOS."""
    from past.serving.decode import generate_rows
    from past.serving.generation import GenerationParams

    params = GenerationParams(config.max_new_tokens, max(config.temperature, 0.0), config.top_p)
    rows = generate_rows(model, tokenizer, sequences, params)
    return [[*ids, tokenizer.eos_token_id] if finish == "eos" else ids for ids, finish in rows]


def rollout_function(
    queries: Sequence[ToolQuery], simulator: ApiSimulator, config: ToolGRPOConfig, tokenizer: Any = None
):
    """TRL ``rollout_func``: one multi-turn agent rollout per prompt, with the trajectory for the reward
    (``tokenizer``: the trainer's ``processing_class`` when not given)."""
    by_text = {q.query: q for q in queries}

    def rollout(prompts: list[Any], trainer: Any) -> dict[str, Any]:
        model = trainer.accelerator.unwrap_model(trainer.model)
        was_training = model.training
        model.eval()
        try:
            return _rollouts(model, tokenizer or trainer.processing_class, prompts)
        finally:
            model.train(was_training)

    def _rollouts(model: Any, tokenizer: Any, prompts: list[Any]) -> dict[str, Any]:
        delta = TemplateDelta(tokenizer)
        rollout_queries = [by_text[p[-1]["content"]] for p in prompts]
        messages = [initial_conversation(q, config.hint) for q in rollout_queries]
        prompt_ids = [delta.prompt_ids(m) for m in messages]
        sequences = [list(ids) for ids in prompt_ids]
        completion = [[] for _ in prompts]
        env_mask: list[list[int]] = [[] for _ in prompts]
        trajectories = [Trajectory(q.query_id, q.query, q.category, list(q.relevant)) for q in rollout_queries]
        for turn in range(config.max_turns):
            active = [i for i, t in enumerate(trajectories) if not t.done]
            if not active:
                break
            generated = _generate(model, tokenizer, [sequences[i] for i in active], config)
            replies = {}
            for i, ids in zip(active, generated, strict=True):
                completion[i] += ids
                env_mask[i] += [1] * len(ids)
                sequences[i] += ids
                replies[i] = tokenizer.decode(ids, skip_special_tokens=True).strip()
            record_turn(trajectories, rollout_queries, simulator, turn, replies)
            if turn == config.max_turns - 1:
                break
            for i, ids in zip(active, generated, strict=True):
                if trajectories[i].done:
                    continue
                step: AgentStep = trajectories[i].steps[-1]
                step.observation = observation_text(step, config.max_observation_chars)
                closed = bool(ids) and ids[-1] == tokenizer.eos_token_id
                reply = tokenizer.decode(ids, skip_special_tokens=True).strip()
                if not closed:  # cut off at the token limit: close the turn (not the policy's token)
                    completion[i].append(tokenizer.eos_token_id)
                    env_mask[i].append(0)
                    sequences[i].append(tokenizer.eos_token_id)
                between = delta.between(messages[i], reply, step.observation, closed=True)
                messages[i] += [{"role": "assistant", "content": reply}, {"role": "user", "content": step.observation}]
                completion[i] += between
                env_mask[i] += [0] * len(between)
                sequences[i] += between
        for trajectory in trajectories:
            if trajectory.stop_reason is None:
                trajectory.stop_reason = "turn_limit"
        return {
            "prompt_ids": prompt_ids,
            "completion_ids": completion,
            "logprobs": None,
            "env_mask": env_mask,
            "trajectory": [t.to_dict() for t in trajectories],
        }

    return rollout


def component_rewards() -> list[Any]:
    """One TRL reward function per component (their weights go into GRPOConfig.reward_weights)."""

    def make(component: str):
        def reward(prompts: list[Any], completions: list[Any], trajectory: list[dict], **kwargs) -> list[float]:
            del prompts, completions, kwargs
            return [getattr(score_trajectory(Trajectory.from_dict(t)), component) for t in trajectory]

        reward.__name__ = component
        return reward

    return [make(c) for c in COMPONENTS]


@dataclass
class ToolGRPOResult:
    output_dir: str
    adapter_dir: str
    steps: int
    seconds: float
    rewards: list[float]
    components: dict[str, list[float]]
    stopped: bool
    config: dict[str, Any]


def train_tool_grpo(
    model_path: str | Path,
    queries: Sequence[ToolQuery],
    simulator: ApiSimulator,
    config: ToolGRPOConfig,
    output_dir: str | Path,
    reporter: Reporter | None = None,
    init_adapter: str | Path | None = None,
) -> ToolGRPOResult:
    """GRPO-train a LoRA on ``model_path`` with multi-turn tool-use rollouts on ``queries``; resumable."""
    import os

    from datasets import Dataset

    from past.training.grpo import run_grpo
    from past.training.runs import write_json

    if not queries:
        raise ConfigError("tool-use GRPO needs at least one query")
    os.environ.setdefault("TRL_EXPERIMENTAL_SILENCE", "1")
    reporter = reporter or NullReporter()
    output_dir = Path(output_dir)
    prompts = [initial_conversation(q, config.hint) for q in queries]
    dataset = Dataset.from_dict({"prompt": prompts})
    rollout = rollout_function(queries, simulator, config)
    run = run_grpo(
        model_path,
        config,
        dataset,
        component_rewards(),
        output_dir,
        reporter=reporter,
        label="tool GRPO",
        init_adapter=init_adapter,
        rollout_func=rollout,
    )
    trainer, seconds, adapter_dir, callback = run.trainer, run.seconds, run.adapter_dir, run.callback
    components = {c: [] for c in COMPONENTS}
    for entry in trainer.state.log_history:
        for c in COMPONENTS:
            if f"rewards/{c}/mean" in entry:
                components[c].append(float(entry[f"rewards/{c}/mean"]))
    result = ToolGRPOResult(
        output_dir=str(output_dir),
        adapter_dir=str(adapter_dir),
        steps=trainer.state.global_step,
        seconds=round(seconds, 2),
        rewards=[h["reward"] for h in callback.history if "reward" in h],
        components=components,
        stopped=callback.stopped,
        config=asdict(config),
    )
    write_json(output_dir / "result.json", asdict(result))
    reporter.log(f"tool GRPO: {result.steps} steps in {seconds:.1f} s, rewards {result.rewards}")
    return result
