"""``past chat``: a one-shot streamed reply from a model, for quick checks in a terminal."""

from __future__ import annotations

import argparse
import sys

from past.models import ModelRegistry
from past.numbers import TEMPERATURE, TOKENS
from past.serving.chat import stream_chat
from past.serving.generation import GenerationParams
from past.settings import Settings


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("chat", help="stream one reply from a model")
    parser.add_argument("prompt", help="the user message")
    parser.add_argument("--model", default="default", help="registered name, local directory or hub id")
    parser.add_argument("--max-new-tokens", type=TOKENS.flag, default=128)
    parser.add_argument("--temperature", type=TEMPERATURE.flag, default=0.0, help="0 = greedy")
    parser.set_defaults(func=chat)


def chat(args: argparse.Namespace, settings: Settings) -> int:
    loaded = ModelRegistry(settings).load(args.model)
    params = GenerationParams(max_new_tokens=args.max_new_tokens, temperature=args.temperature)
    for piece in stream_chat(loaded.model, loaded.tokenizer, [{"role": "user", "content": args.prompt}], params):
        sys.stdout.write(piece)
        sys.stdout.flush()
    sys.stdout.write("\n")
    return 0
