"""``past extract``: v = θ_rl − θ_sft into the skill library (full form, or LoRA form with --rank/--energy)."""

from __future__ import annotations

import argparse

from past.cli.actions import print_json
from past.cli.skill_common import ThrottledReporter, model_path, skill_library
from past.numbers import COUNT, FRACTION, RANK
from past.paths import check_output, mark_output, writing
from past.settings import Settings
from past.skills.lambdas import DEFAULT_LAMBDA, LAMBDA_MAX, LAMBDA_MIN, check_lambda


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("extract", help="extract a skill vector θ_rl − θ_sft")
    parser.add_argument("--rl", required=True, help="RL checkpoint (registered name or directory)")
    parser.add_argument("--rl-adapter", help="LoRA adapter on top of --rl")
    parser.add_argument("--sft", required=True, help="SFT checkpoint (registered name or directory)")
    parser.add_argument("--sft-adapter", help="LoRA adapter on top of --sft")
    parser.add_argument("--name", required=True, help="skill name in the library")
    parser.add_argument("--out", help="write to this directory instead of the library")
    parser.add_argument("--description", default="")
    parser.add_argument("--domain", default="", help="source domain")
    parser.add_argument("--rounds", type=COUNT.flag, default=1, help="rounds K of the iterative PaST pipeline")
    parser.add_argument(
        "--default-lambda",
        default=DEFAULT_LAMBDA,
        help=f"the λ recommended with the skill ({LAMBDA_MIN:g} to {LAMBDA_MAX:g}, default {DEFAULT_LAMBDA:g})",
    )
    parser.add_argument("--rank", type=RANK.flag, help="store in LoRA form with this rank (truncated SVD)")
    parser.add_argument("--energy", type=FRACTION.flag, help="store in LoRA form keeping this fraction of energy")
    parser.add_argument("--float64", action="store_true", help="store float64 deltas (bit-exact for float32 models)")
    parser.add_argument("--overwrite", action="store_true")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    default_lambda = check_lambda(args.default_lambda, "--default-lambda")
    import torch

    from past.skills.ops.extract import extract

    library = skill_library(settings)
    rl = model_path(settings, args.rl)
    sft = model_path(settings, args.sft)
    inputs = [rl, sft, args.rl_adapter, args.sft_adapter]
    out = (
        check_output(args.out, settings, inputs=inputs, ours=True)
        if args.out
        else library.new_path(args.name, overwrite=args.overwrite)
    )
    with writing(out, "--out" if args.out else ""):  # a full disk is one line, and nothing half-written stays
        skill = extract(
            (rl, args.rl_adapter) if args.rl_adapter else rl,
            (sft, args.sft_adapter) if args.sft_adapter else sft,
            out,
            name=args.name,
            dtype=torch.float64 if args.float64 else torch.float32,
            rank=args.rank,
            energy=args.energy,
            overwrite=args.overwrite,
            reporter=ThrottledReporter(),
            description=args.description,
            source_domain=args.domain,
            rounds=args.rounds,
            default_lambda=default_lambda,
        )
    m = skill.manifest
    skill.close()
    if args.out:
        mark_output(out, "extract")  # only such a folder is replaced by a later --overwrite
    print_json(
        {
            "name": m.name,
            "path": str(out),
            "form": m.form,
            "tensors": len(m.params),
            "size_bytes": m.size_bytes,
            "base_fingerprint": m.base_fingerprint,
            "content_hash": m.content_hash,
        }
    )
    return 0
