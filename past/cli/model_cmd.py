"""``past model``: list, prepare and inspect models in the store."""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict

from past.cli.actions import action_group, add_action, print_listing
from past.cli.progress import print_progress
from past.models import ModelRegistry, validate_checkpoint
from past.models.bundled import provision_bundled_model
from past.models.embedded import EMBEDDED_MODELS
from past.settings import Settings


def register(subparsers: argparse._SubParsersAction) -> None:
    actions = action_group(subparsers, "model", "list, prepare and inspect models")
    listing = add_action(actions, "list", "registered models", list_models)
    listing.add_argument("--json", action="store_true", help="machine-readable output")
    prepare = add_action(
        actions,
        "prepare",
        "convert and register the default model, or another embedded one (idempotent)",
        prepare_default,
    )
    prepare.add_argument(
        "name",
        nargs="?",
        choices=sorted(EMBEDDED_MODELS),
        help="an embedded model (default: the configured default model)",
    )
    ref = ("ref", "registered name, local directory or hub id")
    add_action(actions, "info", "resolve a model reference and show its fingerprint", model_info, ref)


def list_models(args: argparse.Namespace, settings: Settings) -> int:
    registry = ModelRegistry(settings)
    records, broken = registry.list(), registry.broken()
    listed = [asdict(r) for r in records] + [{"name": n, "kind": "broken", "problem": p} for n, p in broken]
    if print_listing(listed, args.json, "no models yet: run `past model prepare`"):
        return 0
    for r in records:
        print(f"{r.name:32} {r.kind:9} {r.fingerprint}  {r.display_name}")
    for name, problem in broken:
        print(f"{name:32} {'broken':9} {problem}: fix it or remove {settings.models_dir / name}")
    return 0


def prepare_default(args: argparse.Namespace, settings: Settings) -> int:
    if args.name:
        record = provision_bundled_model(settings.models_dir, args.name, print_progress)
        print(f"model: {record.display_name} ({record.name}), fingerprint {record.fingerprint}; {record.source}")
        return 0
    record = ModelRegistry(settings).ensure_default(print_progress)
    print(f"default model: {record.display_name} ({record.name}), fingerprint {record.fingerprint}")
    return 0


def model_info(args: argparse.Namespace, settings: Settings) -> int:
    registry = ModelRegistry(settings)
    resolved = registry.resolve(args.ref)
    config = validate_checkpoint(resolved.path)
    info = {
        "ref": args.ref,
        "path": str(resolved.path),
        "registered": resolved.record is not None,
        "model_type": config.get("model_type"),
        "architecture": (config.get("architectures") or [""])[0],
        "fingerprint": registry.fingerprint(args.ref),
    }
    print(json.dumps(info, indent=2))
    return 0
