"""A/B agent runs: one task, two sides (model + optional adapter) each running the ReAct agent against the
simulated APIs of a tools collection, turn by turn, every step recorded.

Generation goes through the studio's chat engine (the same model pool as A/B chat; both sides decoded together
when they share a base model). Each turn streams both sides' replies; a finished reply is parsed strictly and, if
it is a call, answered by one :class:`~past.tools.ApiSimulator` shared by both sides: deterministic and
schema-based, or an OpenAI-compatible LLM endpoint (``simulator``) with the schema simulator as the fallback when
the endpoint is down; each call records who answered (and why the fallback did). LLM responses are cached by call
(``<records>/simulator-cache``), so the same call gets the same response on both sides. A side whose model fails
to load stops with
the reason; the other goes on. :meth:`ABAgentRun.run` yields after every event so a screen can show the steps
as they happen; at the end (also when stopped) the run is written to ``<artifacts>/tool-agent/<id>.json``.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from past.errors import ConfigError
from past.generators import EndpointConfig, OpenAIChatGenerator
from past.generators.base import Conversation
from past.serving.engine import ChatEngine, SideSpec, StopSignal
from past.tools.agent import AgentConfig, Trajectory, advance, close_trajectories, initial_conversation
from past.tools.queries import ToolQuery
from past.tools.schema import ApiSpec
from past.tools.simulator import ApiSimulator

RUNS_DIR = "tool-agent"
SIMULATOR_CACHE = "simulator-cache"


@dataclass
class AgentSide:
    """One side's live state: its trajectory, its conversation, the reply being written, and a failure."""

    spec: SideSpec
    trajectory: Trajectory
    conversation: Conversation
    writing: str = ""  # the reply streaming in this turn
    error: str = ""  # the model could not answer (load failure): the side stopped

    @property
    def done(self) -> bool:
        return self.trajectory.done or bool(self.error)

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.spec.model,
            "adapter": str(self.spec.adapter) if self.spec.adapter else "",
            "label": self.spec.describe(),
            "error": self.error,
            "trajectory": self.trajectory.to_dict(),
        }


@dataclass
class ABAgentRun:
    """The agent run of several sides on one task; ``run()`` advances it and yields it after each event."""

    task: str
    apis: Sequence[ApiSpec]
    sides: list[AgentSide]
    config: AgentConfig
    collection: str = ""
    id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    turn: int = 0
    record_path: Path | None = None
    simulator: EndpointConfig | None = None  # an LLM simulator endpoint; None: schema-based responses only
    simulator_info: dict[str, Any] = field(default_factory=lambda: {"simulator": "schema"})

    @classmethod
    def start(
        cls,
        task: str,
        apis: Sequence[ApiSpec],
        specs: Sequence[SideSpec],
        config: AgentConfig | None = None,
        collection: str = "",
        simulator: EndpointConfig | None = None,
    ) -> ABAgentRun:
        task = (task or "").strip()
        if not task:
            raise ConfigError("type a task for the agents first: an empty task is not run")
        if not apis:
            raise ConfigError("the agents need at least one API: the tools collection is empty")
        config = config or AgentConfig()
        query = ToolQuery("task", task, (), tuple(apis))
        sides = [
            AgentSide(
                spec, Trajectory(query.query_id, task, query.category, []), initial_conversation(query, config.hint)
            )
            for spec in specs
        ]
        return cls(task, tuple(apis), sides, config, collection, simulator=simulator)

    @property
    def query(self) -> ToolQuery:
        return ToolQuery("task", self.task, (), tuple(self.apis))

    @property
    def done(self) -> bool:
        return all(side.done for side in self.sides)

    def run(
        self, engine: ChatEngine, stop: StopSignal | None = None, records: Path | None = None
    ) -> Iterator[ABAgentRun]:
        """Run every turn (up to the config's limit); yields after each streamed event and each finished turn.
        Closing the iterator stops the run; the record is written in any case when ``records`` is given."""
        simulator = self.make_simulator(records / SIMULATOR_CACHE if records is not None else None)
        stop = stop or StopSignal()
        try:
            while self.turn < self.config.max_turns and not self.done:
                yield from self._turn(engine, simulator, stop)
                self.turn += 1
                yield self
            if self.turn >= self.config.max_turns:
                close_trajectories([s.trajectory for s in self.sides if not s.error])
        finally:
            for side in self.sides:
                if side.trajectory.stop_reason is None:
                    side.trajectory.stop_reason = "stopped"
                side.writing = ""
            if records is not None:
                self.record_path = self.save(records)
        yield self

    def make_simulator(self, cache_dir: Path | None = None) -> ApiSimulator:
        """The run's API simulator: the LLM endpoint with the schema fallback, or schema responses only."""
        generator = OpenAIChatGenerator(self.simulator) if self.simulator is not None else None
        simulator = ApiSimulator(self.apis, generator, cache_dir=cache_dir if generator else None, fallback=True)
        self.simulator_info = simulator.describe()
        return simulator

    def _turn(self, engine: ChatEngine, simulator: ApiSimulator, stop: StopSignal) -> Iterator[ABAgentRun]:
        active = [i for i, side in enumerate(self.sides) if not side.done]
        replies = {i: "" for i in active}
        failed: set[int] = set()
        events = engine.stream(
            [self.sides[i].spec for i in active],
            [self.sides[i].conversation for i in active],
            self.config.params(),
            stop,
        )
        try:
            for event in events:
                i = active[event.side]
                if event.kind == "text":
                    replies[i] += event.text
                    self.sides[i].writing = replies[i]
                elif event.kind == "error":
                    self.sides[i].error = event.text
                    failed.add(i)
                yield self
        finally:  # stopped from outside (the screen's Stop): the engine frees its reply slot now
            events.close()  # type: ignore[attr-defined]
        for i in active:
            self.sides[i].writing = ""
        answered = {i: reply for i, reply in replies.items() if i not in failed}
        trajectories = [s.trajectory for s in self.sides]
        conversations = [s.conversation for s in self.sides]
        queries = [self.query] * len(self.sides)
        advance(trajectories, conversations, queries, simulator, self.config, self.turn, answered)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "task": self.task,
            "collection": self.collection,
            "config": self.config.to_dict(),
            "simulator": self.simulator_info,
            "apis": [api.function for api in self.apis],
            "turns": self.turn,
            "sides": [side.to_dict() for side in self.sides],
            "created_at": time.time(),
        }

    def save(self, records: Path) -> Path:
        """Write the run as one JSON file under ``records`` (atomically)."""
        records.mkdir(parents=True, exist_ok=True)
        target = records / f"{self.id}.json"
        fd, tmp = tempfile.mkstemp(dir=records, prefix=f".{self.id}.", suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(self.to_dict(), handle, ensure_ascii=False, indent=1)
        os.replace(tmp, target)
        return target


def load_run(path: str | Path) -> dict[str, Any]:
    """A recorded run (the JSON :meth:`ABAgentRun.save` wrote)."""
    return json.loads(Path(path).read_text(encoding="utf-8"))
