"""Resumable run directories: each stage's outputs recorded in ``state.json``; completed stages are skipped.

A stage is a name and a function returning JSON-able outputs. ``RunState.run`` returns the stored outputs
of a completed stage without running it again, so rerunning an interrupted pipeline resumes it. Stages
that train keep their own trainer checkpoints under the run directory as well.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from past.progress import Reporter
from past.training.runs import read_json, write_json

STATE_FILE = "state.json"


class RunState:
    """The state JSON of one pipeline run directory."""

    def __init__(self, run_dir: str | Path, kind: str, spec: dict[str, Any] | None = None) -> None:
        self.run_dir = Path(run_dir)
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.path = self.run_dir / STATE_FILE
        if self.path.is_file():
            self.data = read_json(self.path)
        else:
            self.data = {"kind": kind, "created_at": _now(), "spec": spec or {}, "stages": {}}
            self.save()

    def save(self) -> None:
        write_json(self.path, self.data)

    def done(self, name: str) -> bool:
        return self.data["stages"].get(name, {}).get("status") == "done"

    def outputs(self, name: str) -> dict[str, Any]:
        return self.data["stages"][name]["outputs"]

    def run(self, name: str, fn: Callable[[], dict[str, Any]], reporter: Reporter) -> dict[str, Any]:
        """Run stage ``name`` unless already done; record its outputs and wall time."""
        if self.done(name):
            reporter.log(f"{name}: already done, skipping")
            return self.outputs(name)
        entry = self.data["stages"].setdefault(name, {})
        entry.update(status="running", started_at=_now())
        self.save()
        started = time.monotonic()
        outputs = fn()
        entry.update(status="done", finished_at=_now(), seconds=round(time.monotonic() - started, 2), outputs=outputs)
        self.save()
        return outputs

    def stage_seconds(self) -> dict[str, float]:
        return {n: s.get("seconds", 0.0) for n, s in self.data["stages"].items() if s.get("status") == "done"}


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
