"""``past inject``: θ_final = θ_target + Σ λ_i v_i as a merged checkpoint or an exact LoRA adapter."""

from __future__ import annotations

import argparse
from pathlib import Path

from past.cli.actions import print_json
from past.cli.skill_common import ThrottledReporter, model_path, skill_library
from past.errors import ConfigError, OutputPathError
from past.paths import check_name, check_output, mark_output, writing
from past.settings import Settings
from past.skills.lambdas import LAMBDA_MAX, LAMBDA_MIN, LambdaSpec


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("inject", help="add skill vectors to a model (compose several with their own λ)")
    parser.add_argument("target", help="target SFT model (registered name, 'default' or directory)")
    parser.add_argument("--target-adapter", help="LoRA adapter on top of the target")
    parser.add_argument("--skill", action="append", required=True, help="skill name or directory (repeatable)")
    parser.add_argument(
        "--lam",
        action="append",
        default=[],
        help=f"λ for the skill at the same position ({LAMBDA_MIN:g} to {LAMBDA_MAX:g}): a number, or e.g. "
        "'0.8,mlp=1.0,q_proj=0.5,layers=0-9:0.3' (default: the skill's default λ)",
    )
    parser.add_argument("--out", help="output directory outside the data directory's stores")
    parser.add_argument(
        "--name", help="store the result under this new name: in the model store (merged) or adapter store (--adapter)"
    )
    parser.add_argument(
        "--adapter", action="store_true", help="write an exact combined LoRA adapter, not a merged model"
    )
    parser.add_argument("--force", action="store_true", help="accept a skill from another base (needs --reason)")
    parser.add_argument("--reason", default="", help="why an incompatible skill is forced")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing --out directory")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    if len(args.lam) > len(args.skill):
        raise ConfigError(f"{len(args.lam)} --lam values for {len(args.skill)} --skill values")
    if not args.out and not args.name:
        raise ConfigError(
            "give --out DIR or --name NAME (stored in the model store, or the adapter store with --adapter)"
        )
    schedules = [LambdaSpec.parse(text) for text in args.lam]  # all checked before anything is read
    from past.skills.ops.inject import inject

    library = skill_library(settings)
    skills = []
    try:
        for i, ref in enumerate(args.skill):
            skill = library.resolve(ref)
            skills.append((skill, schedules[i] if i < len(schedules) else skill.manifest.default_lambda))
        target = model_path(settings, args.target)
        inputs = [target, args.target_adapter, *(skill.path for skill, _ in skills)]
        out = _output(args, settings, inputs)
        with writing(out, "--out" if args.out else ""):  # a full disk is one line, and nothing half-written stays
            result = inject(
                (target, args.target_adapter) if args.target_adapter else target,
                skills,
                out,
                output="adapter" if args.adapter else "merged",
                force=args.force,
                reason=args.reason,
                overwrite=args.overwrite and bool(args.out),
                record_name=args.name,
                reporter=ThrottledReporter(),
            )
    finally:
        for skill, _ in skills:
            skill.close()
    if args.out:
        mark_output(out, "inject")  # only such a folder is replaced by a later --overwrite
    print_json({k: v for k, v in result.to_dict().items() if k != "reports"})
    return 0


def _output(args: argparse.Namespace, settings: Settings, inputs: list) -> Path:
    """``--out`` anywhere but the data directory's stores and the inputs; else a new name in a store."""
    if args.out:
        return check_output(args.out, settings, inputs=inputs, ours=True)
    if not args.adapter:
        from past.models.registry import ModelRegistry

        return ModelRegistry(settings).new_path(args.name)
    path = settings.adapters_dir / check_name(args.name, "adapter")
    if path.exists():
        raise OutputPathError(f"an adapter named '{args.name}' is already stored; choose another --name")
    return path
