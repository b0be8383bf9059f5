"""Shared CLI flags for an OpenAI-compatible endpoint (used by ``synth`` and ``eval``)."""

from __future__ import annotations

import argparse

from past.errors import ConfigError
from past.generators import DEFAULT_API_KEY_ENV, EndpointConfig


def add_endpoint_args(parser: argparse.ArgumentParser, prefix: str, what: str) -> None:
    dest = prefix.replace("-", "_")
    parser.add_argument(
        f"--{prefix}endpoint",
        dest=f"{dest}endpoint",
        metavar="URL",
        help=f"OpenAI-compatible base URL for the {what} (e.g. http://localhost:8000/v1)",
    )
    parser.add_argument(
        f"--{prefix}endpoint-model",
        dest=f"{dest}endpoint_model",
        metavar="NAME",
        help=f"model name to request from the {what} endpoint",
    )
    parser.add_argument(
        f"--{prefix}api-key-env",
        dest=f"{dest}api_key_env",
        default=DEFAULT_API_KEY_ENV,
        metavar="VAR",
        help=f"environment variable holding the API key (default {DEFAULT_API_KEY_ENV})",
    )


def endpoint_from_args(args: argparse.Namespace, prefix: str) -> EndpointConfig | None:
    dest = prefix.replace("-", "_")
    url, model = getattr(args, f"{dest}endpoint"), getattr(args, f"{dest}endpoint_model")
    if not url and not model:
        return None
    if not (url and model):
        raise ConfigError(f"--{prefix}endpoint and --{prefix}endpoint-model go together")
    return EndpointConfig(url, model, api_key_env=getattr(args, f"{dest}api_key_env") or None)
