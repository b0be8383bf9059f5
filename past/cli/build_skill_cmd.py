"""``past build-skill``: Stage I, K-round skill building from a JSON recipe (resumable)."""

from __future__ import annotations

import argparse
import json

from past.cli.train_args import add_threads_flag, apply_threads, run_dir
from past.progress import ConsoleReporter
from past.settings import Settings


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("build-skill", help="build a skill vector (K rounds of SFT + GRPO) from a recipe")
    parser.add_argument("--recipe", required=True, help="recipe JSON (e.g. assets/recipes/default_skill.json)")
    parser.add_argument("--run-dir", help="run directory; rerun with the same one to resume")
    parser.add_argument("--name", help="skill name (overrides the recipe's)")
    parser.add_argument("--overwrite", action="store_true", help="replace a library skill of the same name")
    add_threads_flag(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    apply_threads(args)
    from past.pipeline import SkillRecipe
    from past.pipeline.build_skill import build_skill

    recipe = SkillRecipe.load(args.recipe)
    if args.name:
        recipe = SkillRecipe.from_dict({**recipe.to_dict(), "name": args.name})
    out = run_dir(settings, f"build-skill-{recipe.name}", args.run_dir, "--run-dir")
    print(f"run directory: {out}")
    manifest = build_skill(recipe, settings, out, ConsoleReporter(), overwrite=args.overwrite)
    summary = {k: manifest.get(k) for k in ("name", "rank", "dtype", "rounds")}
    summary["metrics"] = {k: v for k, v in (manifest.get("metrics") or {}).items() if k != "grpo_reward_curve"}
    print(json.dumps(summary, indent=2, default=str))
    return 0
