"""Shared CLI helpers of the training commands: the one training-argument set, config files + flag overrides,
run directories."""

from __future__ import annotations

import argparse
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from past.datasets.jsonl import read_json_object
from past.errors import ConfigError
from past.numbers import COUNT, LEARNING_RATE, RANK, SEED, STEPS, THREADS
from past.paths import OUTPUT_MARKER, check_output, mark_output, writing
from past.settings import Settings

# The flags every training command takes (dest -> config key of SFTTrainConfig / GRPOTrainConfig).
TRAINING_FLAGS = {
    "steps": "max_steps",
    "lr": "learning_rate",
    "rank": "lora_r",
    "alpha": "lora_alpha",
    "seed": "seed",
    "save_steps": "save_steps",
}


def add_training_args(parser: argparse.ArgumentParser, kind: str, model_help: str, config_name: str) -> None:
    """The training-argument set of ``past sft`` and ``past grpo``: model, run directory, config file, the
    :data:`TRAINING_FLAGS` overrides and ``--threads``."""
    parser.add_argument("--model", default="default", help=model_help)
    parser.add_argument("--out", help=f"run directory (default: <data-dir>/artifacts/{kind}/<time>); rerun to resume")
    parser.add_argument("--config", help=f"JSON file of {config_name} settings")
    parser.add_argument("--steps", type=STEPS.flag)
    parser.add_argument("--lr", type=LEARNING_RATE.flag)
    parser.add_argument("--rank", type=RANK.flag)
    parser.add_argument("--alpha", type=COUNT.flag)
    parser.add_argument("--seed", type=SEED.flag)
    parser.add_argument("--save-steps", type=COUNT.flag)
    add_threads_flag(parser)


def training_config(cls: Any, args: argparse.Namespace, flags: dict[str, str]) -> Any:
    """``cls`` from ``--config`` with the given flags (:data:`TRAINING_FLAGS` and ``flags``) on top."""
    apply_threads(args)
    return cls.from_dict({**load_config_file(args.config), **overrides(args, {**TRAINING_FLAGS, **flags})})


def load_config_file(path: str | None) -> dict[str, Any]:
    if not path:
        return {}
    file = Path(path)
    if not file.is_file():
        raise ConfigError(f"config file not found: {file}")
    return read_json_object(file, ConfigError, f"config file {file}")


def overrides(args: argparse.Namespace, mapping: dict[str, str]) -> dict[str, Any]:
    """Config keys from the flags that were given (``mapping``: flag dest -> config key)."""
    return {key: getattr(args, dest) for dest, key in mapping.items() if getattr(args, dest, None) is not None}


def run_dir(
    settings: Settings,
    kind: str,
    given: str | None,
    flag: str = "--out",
    *,
    inputs: Iterable[str | None] = (),
    default: str = "",
) -> Path:
    """The run folder of a ``kind`` run: ``given`` (new, empty or an earlier run's, to resume) or a new one under the
    artifacts (``default``, else the time); made and marked as this command's (``past.paths.OUTPUT_MARKER``)."""
    own = settings.artifacts_dir / kind
    if given:
        path = check_output(given, settings, inputs=inputs, flag=flag, ours=True, allow=[own])
    else:
        path = own / (default or datetime.now(UTC).strftime("%Y%m%d-%H%M%S"))
    with writing(path, flag):
        path.mkdir(parents=True, exist_ok=True)
    if not (path / OUTPUT_MARKER).is_file():
        mark_output(path, kind)
    return path


def resolve_skill(settings: Settings, ref: str) -> Path:
    """A LoRA-form skill by library name or directory (verified by the library)."""
    from past.skills import SkillLibrary

    with SkillLibrary(settings).resolve(ref) as skill:
        if skill.manifest.form != "lora":
            raise ConfigError(f"skill {ref!r} is in {skill.manifest.form} form; adapt needs a LoRA-form skill")
        return Path(skill.path)


def add_threads_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--threads",
        type=THREADS.flag,
        help="torch CPU threads (on a busy shared CPU, 1 is often faster than the default)",
    )


def apply_threads(args: argparse.Namespace) -> None:
    if getattr(args, "threads", None):
        import torch

        torch.set_num_threads(args.threads)
