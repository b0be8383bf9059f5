"""``past adapt``: Stage II from files — target SFT then skill injection — published like the studio's Adapt.

The same :func:`past.pipeline.adapted.adapt_and_publish` as the studio's Adapt job, so the same documents,
preset, skill, λ and seed give the same adapters: the flags become the one
:class:`past.adapt_params.AdaptParams` the studio's job builds too (and the estimate is made from it). The
result lands under ``<data>/adapters/<name>/``.
"""

from __future__ import annotations

import argparse
import json
import re
import sys

from past.adapt_params import AdaptParams
from past.cli.endpoint_args import add_endpoint_args, endpoint_from_args
from past.cli.train_args import add_threads_flag, apply_threads, run_dir
from past.errors import ConfigError
from past.numbers import EPOCHS, SEED
from past.settings import Settings


def register(subparsers: argparse._SubParsersAction) -> None:
    from past.adapt_params import DEFAULT_PRESET, MAX_EPOCHS, MODES, OUTPUTS, PRESETS

    parser = subparsers.add_parser("adapt", help="adapt a model to target documents and inject a skill")
    parser.add_argument("targets", nargs="+", help="target documents (any ingestible format, SQuAD-style JSON) or dirs")
    parser.add_argument("--model", default="default", help="base model reference")
    parser.add_argument("--skill", help="skill name in the skill library")
    parser.add_argument(
        "--lam",
        help="injection strength λ: a number, or a per-module/per-layer schedule such as "
        "'0.8,mlp=1.0,layers=0-9:0.3' or its JSON form (default: the skill's)",
    )
    parser.add_argument("--mode", choices=MODES, default="past")
    parser.add_argument("--preset", choices=sorted(PRESETS), default=DEFAULT_PRESET, help="what to train on")
    parser.add_argument(
        "--epochs",
        type=EPOCHS.flag,
        help=f"passes over the texts, up to {MAX_EPOCHS:g} (default: the preset's)",
    )
    parser.add_argument(
        "--output", choices=OUTPUTS, default="adapter", help="an adapter over the base, or merged weights"
    )
    parser.add_argument("--source-model", help="θ_S^rl checkpoint, for --mode sequential")
    parser.add_argument("--seed", type=SEED.flag, default=0)
    parser.add_argument("--name", help="name of the adapted model in the data directory (default: from the documents)")
    parser.add_argument("--run-dir", help="run directory; rerun with the same one to resume")
    parser.add_argument(
        "--estimate-only", action="store_true", help="print the estimated time (as the studio shows it) and stop"
    )
    add_endpoint_args(parser, "generator-", "synthetic-data generator")
    add_threads_flag(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    apply_threads(args)
    from past.generators import OpenAIChatGenerator
    from past.pipeline import AdaptConfig, load_sources
    from past.pipeline.adapted import adapt_and_publish
    from past.progress import ConsoleReporter

    if args.mode in ("past", "pre_injection") and not args.skill and not args.estimate_only:  # same cost either way
        raise ConfigError(f"--mode {args.mode} injects a skill: give --skill NAME (or use --mode sft)")
    config = AdaptConfig.from_params(adapt_params(args))
    if any(stage.data.tool_docs for stage in config.stages):  # API schema files (tool use), not text documents
        from past.tools.documents import api_documents_from_files

        documents, issues = api_documents_from_files(args.targets)
        for issue in issues:
            print(f"warning: {issue}")
        if not documents:
            raise ConfigError("no API schemas among the given files: " + ("; ".join(issues) or "none given"))
    else:
        documents = load_sources(args.targets).documents
        if not documents:
            raise ConfigError("no target documents among the given paths")
        _print_estimate(settings, args.model, documents, config)
    if args.estimate_only:
        return 0
    folder = run_dir(settings, "adapt", args.run_dir, "--run-dir", inputs=args.targets)
    endpoint = endpoint_from_args(args, "generator-")
    name = args.name or re.sub(r"[^\w.-]+", "-", f"{documents[0].doc_id}-{args.skill or 'sft'}")[:64]
    record = adapt_and_publish(
        settings,
        name=name,
        base_ref=args.model,
        documents=documents,
        config=config,
        run_dir=folder,
        skill_name=args.skill,
        generator=OpenAIChatGenerator(endpoint) if endpoint else None,
        source_model=args.source_model,
        reporter=ConsoleReporter(),
    )
    print(
        json.dumps(
            {k: record.get(k) for k in ("name", "path", "baseline", "injected", "model", "lam", "mode")}, indent=2
        )
    )
    return 0


def _print_estimate(settings: Settings, model: str, documents: list, config: object) -> None:
    """The cost model's estimate (past.pipeline.cost), on stderr before anything runs."""
    from past.documents.chunking import load_tokenizer
    from past.models import ModelRegistry
    from past.pipeline.cost import estimate_adapt_cost

    registry = ModelRegistry(settings)
    if model == "default":
        registry.ensure_default()
    try:
        cost = estimate_adapt_cost(documents, config, load_tokenizer(registry.resolve(model).path))
    except Exception as exc:  # advice only: a bad model or skill gets its own clear error from the run below
        print(f"estimated time: not available ({type(exc).__name__})", file=sys.stderr)
        return
    stages = ", ".join(f"{s.name}: {s.windows} windows, {s.steps} steps" for s in cost.stages)
    print(f"estimated time: {cost.describe()} ({cost.document_tokens:,} tokens; {stages})", file=sys.stderr)


def adapt_params(args: argparse.Namespace) -> AdaptParams:
    """The flags as the typed choices the studio's job builds too (each checked there, before anything trains)."""
    return AdaptParams(args.preset, args.mode, args.lam, args.epochs, args.seed, args.output)
