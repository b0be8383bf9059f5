"""``past adapt``: Stage II, target SFT then skill injection (or the paper's alternatives)."""

from __future__ import annotations

import argparse
import json
import shutil

from past.cli.train_args import add_threads_flag, apply_threads, resolve_skill, run_dir
from past.errors import ConfigError
from past.models import ModelRegistry
from past.progress import ConsoleReporter
from past.settings import Settings


def register(subparsers: argparse._SubParsersAction) -> None:
    from past.pipeline.adapt import INJECTIONS, MODES

    parser = subparsers.add_parser("adapt", help="adapt a model to target documents and inject a skill")
    parser.add_argument("targets", nargs="+", help="target documents (.md/.txt) or directories")
    parser.add_argument("--model", default="default", help="base model reference")
    parser.add_argument("--skill", help="skill name in the library, or an adapter directory")
    parser.add_argument("--lam", type=float, default=1.0, help="injection strength λ (default 1.0)")
    parser.add_argument("--mode", choices=MODES, default="past")
    parser.add_argument("--inject", choices=INJECTIONS, default="merged")
    parser.add_argument("--source-model", help="θ_S^rl checkpoint, for --mode sequential")
    parser.add_argument("--steps", type=int, default=30, help="target SFT steps")
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--name", help="register the result in the model store under this name")
    parser.add_argument("--run-dir", help="run directory; rerun with the same one to resume")
    add_threads_flag(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    apply_threads(args)
    from past.pipeline.adapt import AdaptConfig, adapt, register_adapted

    registry = ModelRegistry(settings)
    base = registry.resolve(args.model).path
    skill = resolve_skill(settings, args.skill) if args.skill else None
    config = AdaptConfig.from_dict(
        {
            "mode": args.mode,
            "lam": args.lam,
            "inject": args.inject,
            "sft": {"max_steps": args.steps, "learning_rate": args.lr, "seed": args.seed},
        }
    )
    out = run_dir(settings, "adapt", args.run_dir)
    result = adapt(base, args.targets, skill, config, out, reporter=ConsoleReporter(), source_model=args.source_model)
    if args.name:
        if "model_dir" not in result:
            raise ConfigError("--name registers merged models; use --inject merged")
        target = settings.models_dir / args.name
        if target.exists():
            raise ConfigError(f"a model named {args.name!r} already exists in the store")
        shutil.move(result["model_dir"], target)
        record = register_adapted(
            target, args.name, base, {"mode": args.mode, "lam": args.lam, "skill": str(skill) if skill else None}
        )
        result["model_dir"] = str(target)
        print(f"registered model {record.name} ({record.kind})")
    print(json.dumps(result, indent=2, default=str))
    return 0
