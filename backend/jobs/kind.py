"""What a job kind is: its parameter dataclass, declared inputs, resources and ``run(params, ctx)``.

A kind is one module under ``backend/jobs/kinds/`` that defines ``KIND = JobKind(...)``. Its module
must import heavy libraries (torch, transformers, ``past`` pipeline code) inside ``run`` so that
submitting and describing jobs stays fast.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from backend.jobs.artifacts import replacing_dir
from backend.jobs.params import FieldSpec, describe_params
from past.progress import Reporter
from past.settings import Settings


@dataclass(frozen=True)
class InputSpec:
    """An input consumed by id: the artifacts of a job of one of ``kinds`` (empty = any kind)."""

    help: str = ""
    kinds: tuple[str, ...] = ()
    required: bool = True


@dataclass(frozen=True)
class JobKind:
    name: str
    params: type
    run: Callable[[Any, JobContext], dict[str, Any] | None]
    description: str = ""
    inputs: dict[str, InputSpec] = field(default_factory=dict)
    resources: tuple[str, ...] = ("cpu",)  # default slots, e.g. ("gpu",) = any one GPU
    prefers_gpu: bool = False  # runs models: one GPU by default when this machine has one, else ``resources``
    resumable: bool = False  # gets a checkpoint dir kept across attempts
    executor: str = "local"  # default executor: local | accelerate | ray

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": self.description,
            "params": [f.as_dict() for f in self.fields()],
            "inputs": {
                k: {"help": v.help, "kinds": list(v.kinds), "required": v.required} for k, v in self.inputs.items()
            },
            "resources": list(self.resources),
            "prefers_gpu": self.prefers_gpu,
            "resumable": self.resumable,
            "executor": self.executor,
        }

    def fields(self) -> list[FieldSpec]:
        return describe_params(self.params)


@dataclass(frozen=True)
class InputArtifact:
    """The artifacts of an upstream job, handed to ``run`` by input name."""

    job_id: str
    kind: str
    path: Path  # the upstream job's artifact directory
    result: dict[str, Any] | None


@dataclass
class JobContext:
    """Everything ``run`` gets besides its parameters."""

    job_id: str
    attempt: int
    settings: Settings
    reporter: Reporter
    output_dir: Path  # this job's artifact directory (write through ctx.artifacts for atomicity)
    checkpoint_dir: Path | None  # resumable kinds only; kept across attempts
    resume: bool  # True when this attempt continues from the checkpoint dir
    inputs: dict[str, InputArtifact]
    artifacts: Any  # backend.jobs.artifacts.ArtifactStore
    is_main: bool = True  # False on the other ranks of a multi-process (accelerate) job: they publish nothing

    def write_json(self, relpath: str, data: Any) -> Path:
        """Write a JSON artifact atomically (on the main rank; the others only get its path)."""
        if not self.is_main:
            return self.artifacts.job_dir(self.job_id) / relpath
        return self.artifacts.write_bytes(self.job_id, relpath, json.dumps(data, indent=2).encode())

    def publish(self, target: Path, fill: Callable[[Path], None]) -> Path:
        """Publish the directory ``target`` (e.g. under ``<data>/adapters/``) once and whole: the main rank
        has ``fill`` write a staging directory that then replaces ``target``; the other ranks wait at a
        barrier until it is in place."""
        from past import distributed

        if self.is_main:
            self.artifacts.ensure_dir(target.parent)
            with replacing_dir(target) as staging:
                fill(staging)
        distributed.barrier()
        return target
