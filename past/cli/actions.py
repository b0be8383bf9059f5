"""What the ``past NOUN ACTION`` commands share: declaring their actions, and printing JSON and listings."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from typing import Any

Positional = str | tuple[str, str]  # an argument's name, or its name and its help


def action_group(subparsers: argparse._SubParsersAction, name: str, help: str) -> argparse._SubParsersAction:
    """The command ``name``, whose first argument is one of its actions (``past skill list``)."""
    parser = subparsers.add_parser(name, help=help)
    return parser.add_subparsers(dest="action", metavar="ACTION", required=True)


def add_action(
    actions: argparse._SubParsersAction,
    name: str,
    help: str,
    func: Callable[..., int],
    *positionals: Positional,
    **defaults: Any,
) -> argparse.ArgumentParser:
    """The action ``name`` that runs ``func``, with its positional arguments and ``defaults`` beside ``func``;
    its flags go on the parser this returns."""
    parser = actions.add_parser(name, help=help)
    for positional in positionals:
        dest, text = (positional, None) if isinstance(positional, str) else positional
        parser.add_argument(dest, help=text)
    parser.set_defaults(func=func, **defaults)
    return parser


def print_json(data: object) -> None:
    json.dump(data, sys.stdout, indent=2, default=str)
    print()


def print_listing(rows: Sequence[Any], as_json: bool, empty: str) -> bool:
    """``rows`` as JSON (``--json``), or ``empty`` when there are none; True when that is all there is to print."""
    if as_json:
        print_json(rows)
        return True
    if not rows:
        print(empty)
        return True
    return False
