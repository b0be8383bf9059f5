"""Entry point of the ``past`` CLI: global flags, command registry, user-facing error handling."""

from __future__ import annotations

import argparse
import importlib.metadata
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
# Command modules contributed by other installed packages: each entry point of this group names a module
# with ``register(subparsers)`` (the project's ``backend`` adds ``past job`` this way, see pyproject.toml).
# ``past`` itself names none of them, so the library depends on nothing outside ``past/``.
COMMAND_ENTRY_POINTS = "past.commands"


def plugin_commands(group: str = COMMAND_ENTRY_POINTS) -> list[ModuleType]:
    """The command modules registered under the entry-point ``group`` of the installed distributions."""
    modules: dict[str, ModuleType] = {}
    for entry in importlib.metadata.entry_points(group=group):
        if entry.name in modules:  # an editable and a regular install may both list it
            continue
        try:
            modules[entry.name] = entry.load()
        except ImportError as exc:  # a stale install must not take the other commands down with it
            print(f"warning: command '{entry.name}' is unavailable ({entry.value}: {exc})", file=sys.stderr)
    return list(modules.values())


def build_parser(extra_commands: Sequence[ModuleType] = ()) -> argparse.ArgumentParser:
    """The parser with the built-in commands, the entry-point commands and ``extra_commands``."""
    parser = argparse.ArgumentParser(
        prog="past",
        description="PaST: parametric skill transfer. Build skill vectors, adapt models, evaluate.",
    )
    parser.add_argument("--version", action="version", version=f"past {__version__}")
    parser.add_argument("--data-dir", help=f"data directory (default: ${DATA_DIR_ENV} or ~/.local/share/past-studio)")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands = [*COMMANDS, *plugin_commands(), *extra_commands]
    for command in dict.fromkeys(commands):  # a module given twice is registered once
        command.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None, extra_commands: Sequence[ModuleType] = ()) -> int:
    parser = build_parser(extra_commands)
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
