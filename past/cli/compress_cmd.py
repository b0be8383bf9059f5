"""``past compress``: truncated SVD of a full-form skill into a LoRA-form skill, by rank or energy."""

from __future__ import annotations

import argparse

from past.cli.actions import print_json
from past.cli.skill_common import ThrottledReporter, skill_library
from past.errors import ConfigError
from past.numbers import FRACTION, RANK
from past.settings import Settings


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("compress", help="compress a skill into LoRA form (truncated SVD)")
    parser.add_argument("skill", help="skill name or directory")
    parser.add_argument("--rank", type=RANK.flag, help="keep this many singular values per matrix")
    parser.add_argument("--energy", type=FRACTION.flag, help="keep this fraction of each matrix's Frobenius energy")
    parser.add_argument("--name", help="name of the compressed skill (default: <skill>-r<rank> / -e<energy>)")
    parser.add_argument("--json", action="store_true", help="print the per-matrix energy report")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    if args.rank is None and args.energy is None:
        raise ConfigError("give --rank R and/or --energy FRACTION")
    from past.skills.ops.compress import compress

    library = skill_library(settings)
    with library.resolve(args.skill) as skill:
        suffix = f"r{args.rank}" if args.rank is not None else f"e{args.energy:g}"
        name = args.name or f"{skill.name}-{suffix}"
        result = compress(
            skill, library.new_path(name), rank=args.rank, energy=args.energy, name=name, reporter=ThrottledReporter()
        )
    result.skill.close()
    if args.json:
        print_json(result.to_dict())
    else:
        worst = min(result.kept.items(), key=lambda kv: kv[1]["energy_kept"])
        print(
            f"compressed into '{name}': {len(result.kept)} matrices, {result.total_energy_kept:.2%} of the energy kept "
            f"(lowest {worst[1]['energy_kept']:.2%} in {worst[0]}); dropped {len(result.dropped)} non-linear params"
        )
    return 0
