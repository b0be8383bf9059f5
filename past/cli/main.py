"""Entry point of the ``past`` CLI: global flags, command registry, user-facing error handling."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from types import ModuleType

from past import __version__
from past.cli import (
    adapt_cmd,
    analyze_cmd,
    build_skill_cmd,
    chat_cmd,
    compress_cmd,
    eval_cmd,
    extract_cmd,
    grpo_cmd,
    ingest_cmd,
    inject_cmd,
    model_cmd,
    sft_cmd,
    skill_cmd,
    synth_cmd,
    tools_cmd,
)
from past.errors import PastError
from past.settings import DATA_DIR_ENV, Settings

# Each command module exposes ``register(subparsers)``, which sets ``func(args, settings) -> int``.
COMMANDS: list[ModuleType] = [
    model_cmd,
    chat_cmd,
    ingest_cmd,
    synth_cmd,
    eval_cmd,
    skill_cmd,
    extract_cmd,
    inject_cmd,
    compress_cmd,
    analyze_cmd,
    sft_cmd,
    grpo_cmd,
    build_skill_cmd,
    adapt_cmd,
    tools_cmd,
]
# Optional command modules, imported by name so that ``past`` has no static dependency on them
# (``backend`` is not part of the library). A module that is not installed is skipped.
OPTIONAL_COMMAND_MODULES: list[str] = ["backend.cli.job_cmd"]


def load_optional_commands(names: Sequence[str] = tuple(OPTIONAL_COMMAND_MODULES)) -> list[ModuleType]:
    modules = []
    for name in names:
        try:
            modules.append(importlib.import_module(name))
        except ModuleNotFoundError as exc:
            if exc.name is None or not name.startswith(exc.name):  # a missing dependency inside it: a real bug
                raise
    return modules


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="past",
        description="PaST: parametric skill transfer. Build skill vectors, adapt models, evaluate.",
    )
    parser.add_argument("--version", action="version", version=f"past {__version__}")
    parser.add_argument("--data-dir", help=f"data directory (default: ${DATA_DIR_ENV} or ~/.local/share/past-studio)")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for command in [*COMMANDS, *load_optional_commands()]:
        command.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        settings = Settings.load(args.data_dir).ensure()
        return int(args.func(args, settings) or 0)
    except PastError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
