"""The ReAct agent loop: a policy (any :class:`~past.generators.ChatGenerator`) acts against the simulator.

Every turn of every query is recorded as an :class:`AgentStep` (the raw reply, what was parsed, the outcome and
the observation the agent got back); a :class:`Trajectory` is plain JSON through ``to_dict``. Broken JSON, an
unknown API, wrong arguments or a simulator that is down are outcomes of a step, answered with an error
observation, and the run goes on until the agent finishes or the turn limit. Queries run in lockstep so each
turn is one batched generation.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from past.errors import ConfigError
from past.generators.base import ChatGenerator, Conversation
from past.progress import NullReporter, Reporter
from past.serving.generation import GenerationParams
from past.tools.queries import ToolQuery
from past.tools.react import (
    GIVE_UP,
    HINT_MODES,
    ParsedAction,
    ParseFailure,
    clean_reply,
    parse_reply,
    render_observation,
    system_prompt,
)
from past.tools.simulator import ApiSimulator, CallResult

Outcome = Literal[
    "call_ok",
    "api_error",
    "unknown_api",
    "invalid_arguments",
    "simulator_error",
    "invalid_json",
    "format_error",
    "finish",
    "give_up",
]
StopReason = Literal["finish", "give_up", "turn_limit", "stopped"]
CALL_OUTCOMES = ("call_ok", "api_error", "unknown_api", "invalid_arguments", "simulator_error")


@dataclass(frozen=True)
class AgentConfig:
    """How the agent runs: turn limit, decoding, and what the prompt reveals of the APIs (closed book: none)."""

    max_turns: int = 4
    max_new_tokens: int = 128
    temperature: float = 0.0
    top_p: float = 1.0
    hint: str = "none"
    max_observation_chars: int = 1200

    def __post_init__(self) -> None:
        if self.max_turns < 1:
            raise ConfigError("the agent needs at least one turn (max_turns >= 1)")
        if self.hint not in HINT_MODES:
            raise ConfigError(f"unknown tool hint {self.hint!r}: choose from {', '.join(HINT_MODES)}")

    def params(self) -> GenerationParams:
        return GenerationParams(max_new_tokens=self.max_new_tokens, temperature=self.temperature, top_p=self.top_p)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class AgentStep:
    turn: int
    reply: str
    outcome: Outcome
    thought: str = ""
    action: str | None = None
    arguments: dict[str, Any] | None = None
    message: str = ""  # why a step failed, or a note on it
    parse_error: str | None = None  # the ParseFailure kind
    call: dict[str, Any] | None = None  # CallResult.to_dict() for API calls
    observation: str | None = None  # what the agent was told back


@dataclass
class Trajectory:
    query_id: str
    query: str
    category: str
    relevant: list[str]
    steps: list[AgentStep] = field(default_factory=list)
    stop_reason: StopReason | None = None
    final_answer: str | None = None

    @property
    def done(self) -> bool:
        return self.stop_reason is not None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Trajectory:
        steps = [AgentStep(**s) for s in data.get("steps") or []]
        return cls(**{**data, "steps": steps})


def initial_conversation(query: ToolQuery, hint: str = "none") -> Conversation:
    return [
        {"role": "system", "content": system_prompt(query.apis, hint)},
        {"role": "user", "content": query.query},
    ]


def step_from_reply(turn: int, reply: str) -> tuple[AgentStep, ParsedAction | None]:
    """Parse a reply into a step; a call still needs its result (``apply_call``)."""
    parsed = parse_reply(reply)
    if isinstance(parsed, ParseFailure):
        outcome: Outcome = "invalid_json" if parsed.kind in ("invalid_json", "not_object") else "format_error"
        return AgentStep(turn, reply, outcome, parsed.thought, parsed.action, None, parsed.message, parsed.kind), None
    if parsed.is_finish:
        outcome = "give_up" if parsed.arguments.get("return_type") == GIVE_UP else "finish"
        return AgentStep(turn, reply, outcome, parsed.thought, parsed.action, parsed.arguments, parsed.note), parsed
    return AgentStep(turn, reply, "call_ok", parsed.thought, parsed.action, parsed.arguments, parsed.note), parsed


def apply_call(step: AgentStep, result: CallResult) -> None:
    step.call = result.to_dict()
    step.outcome = "call_ok" if result.ok else result.status
    if not result.ok:
        step.message = result.message


def observation_text(step: AgentStep, limit: int) -> str:
    if step.call is not None:
        payload = {
            "error": "" if step.outcome == "call_ok" else step.message,
            "response": step.call.get("response") if step.outcome in ("call_ok", "api_error") else "",
        }
    else:
        payload = {
            "error": f"Your step could not be read: {step.message}. Use the Thought/Action/Action Input "
            "format with a JSON object.",
            "response": "",
        }
    text = render_observation(payload)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def record_turn(
    trajectories: list[Trajectory],
    queries: Sequence[ToolQuery],
    simulator: ApiSimulator,
    turn: int,
    replies: dict[int, str],
) -> None:
    """Record one turn's replies (by trajectory index) as steps: parse, finish, or call the API (one batch)."""
    calls, waiting = [], []
    for i, reply in replies.items():
        step, parsed = step_from_reply(turn, reply)
        trajectories[i].steps.append(step)
        if parsed is not None and parsed.is_finish:
            trajectories[i].stop_reason = "give_up" if step.outcome == "give_up" else "finish"
            trajectories[i].final_answer = str(parsed.arguments.get("final_answer") or "") or None
        elif parsed is not None:
            calls.append((parsed.action, parsed.arguments, queries[i].apis))
            waiting.append(i)
    for i, result in zip(waiting, simulator.call_many(calls), strict=True):
        apply_call(trajectories[i].steps[-1], result)


def run_agents(
    policy: ChatGenerator,
    queries: Sequence[ToolQuery],
    simulator: ApiSimulator,
    config: AgentConfig | None = None,
    seed: int = 0,
    reporter: Reporter | None = None,
) -> list[Trajectory]:
    """Run the agent on every query (batched per turn); returns one trajectory per query, in order."""
    config = config or AgentConfig()
    reporter = reporter or NullReporter()
    trajectories = [Trajectory(q.query_id, q.query, q.category, list(q.relevant)) for q in queries]
    conversations = [initial_conversation(q, config.hint) for q in queries]
    for turn in range(config.max_turns):
        active = [i for i, t in enumerate(trajectories) if not t.done]
        if not active:
            break
        if reporter.should_stop():
            for i in active:
                trajectories[i].stop_reason = "stopped"
            break
        reporter.progress(turn / config.max_turns, f"agent turn {turn + 1}/{config.max_turns}: {len(active)} running")
        replies = policy.generate([conversations[i] for i in active], config.params(), seed=seed + 7919 * turn)
        advance(trajectories, conversations, queries, simulator, config, turn, dict(zip(active, replies, strict=True)))
    close_trajectories(trajectories)
    reporter.progress(1.0, f"agent: {len(trajectories)} trajectories")
    return trajectories


def advance(
    trajectories: list[Trajectory],
    conversations: list[Conversation],
    queries: Sequence[ToolQuery],
    simulator: ApiSimulator,
    config: AgentConfig,
    turn: int,
    replies: dict[int, str],
) -> None:
    """One turn for the trajectories that replied (by index): record their steps, call the APIs, and put each
    observation into the conversation of those that go on. Callers that generate step by step (a UI streaming
    two sides) use this with :func:`initial_conversation` and :func:`close_trajectories`."""
    for i, reply in replies.items():
        conversations[i].append({"role": "assistant", "content": clean_reply(reply)})
    record_turn(trajectories, queries, simulator, turn, replies)
    for i in replies:
        step = trajectories[i].steps[-1]
        if trajectories[i].done:
            continue
        step.observation = observation_text(step, config.max_observation_chars)
        conversations[i].append({"role": "user", "content": step.observation})


def close_trajectories(trajectories: Sequence[Trajectory]) -> None:
    """Trajectories still running after the last turn stopped at the turn limit."""
    for trajectory in trajectories:
        if trajectory.stop_reason is None:
            trajectory.stop_reason = "turn_limit"


def trajectory_messages(trajectory: Trajectory) -> list[dict[str, str]]:
    """The trajectory as chat turns (assistant steps, observations as user turns), for display and export."""
    messages = [{"role": "user", "content": trajectory.query}]
    for step in trajectory.steps:
        messages.append({"role": "assistant", "content": clean_reply(step.reply)})
        if step.observation:
            messages.append({"role": "user", "content": step.observation})
    return messages


def dumps(trajectories: Sequence[Trajectory]) -> str:
    return "\n".join(json.dumps(t.to_dict(), ensure_ascii=False) for t in trajectories) + "\n"
