"""Shared CLI helpers of the training commands: config files + flag overrides, run directories."""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from past.datasets.jsonl import loads_json
from past.errors import ConfigError
from past.numbers import THREADS
from past.paths import check_output
from past.settings import Settings


def load_config_file(path: str | None) -> dict[str, Any]:
    if not path:
        return {}
    file = Path(path)
    if not file.is_file():
        raise ConfigError(f"config file not found: {file}")
    try:
        data = loads_json(file.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ConfigError(f"config file {file} is not valid JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"config file {file} must hold a JSON object")
    return data


def overrides(args: argparse.Namespace, mapping: dict[str, str]) -> dict[str, Any]:
    """Config keys from the flags that were given (``mapping``: flag dest -> config key)."""
    return {key: getattr(args, dest) for dest, key in mapping.items() if getattr(args, dest, None) is not None}


def run_dir(settings: Settings, kind: str, given: str | None) -> Path:
    if given:
        return check_output(given, settings)
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    return settings.artifacts_dir / kind / stamp


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
