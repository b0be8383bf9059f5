"""``past grpo``: GRPO on closed-book QA (question only in the prompt), rewards from a judge."""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict

from past.cli.train_args import add_threads_flag, apply_threads, load_config_file, overrides, run_dir
from past.errors import ConfigError
from past.models import ModelRegistry
from past.numbers import BETA, COUNT, GENERATIONS, LEARNING_RATE, RANK, SEED, STEPS, TOKENS
from past.progress import ConsoleReporter
from past.settings import Settings

FLAGS = {
    "steps": "max_steps",
    "lr": "learning_rate",
    "num_generations": "num_generations",
    "beta": "beta",
    "prompts_per_step": "prompts_per_step",
    "max_completion_length": "max_completion_length",
    "rank": "lora_r",
    "alpha": "lora_alpha",
    "seed": "seed",
    "save_steps": "save_steps",
    "use_vllm": "use_vllm",
}


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("grpo", help="GRPO on closed-book QA with a LoRA on a (merged) model")
    parser.add_argument("--model", default="default", help="model reference (e.g. a merged SFT model directory)")
    parser.add_argument("qa", nargs="+", help="QA files (*.qa.json or JSONL with question/answer), or dirs")
    parser.add_argument("--out", help="run directory (default: <data-dir>/artifacts/grpo/<time>); rerun to resume")
    parser.add_argument("--config", help="JSON file of GRPOTrainConfig settings")
    parser.add_argument("--init-adapter", help="start the LoRA from this adapter (e.g. the previous skill vector)")
    parser.add_argument("--split", help="use only questions of this split (e.g. train)")
    parser.add_argument("--steps", type=STEPS.flag)
    parser.add_argument("--lr", type=LEARNING_RATE.flag)
    parser.add_argument("--num-generations", type=GENERATIONS.flag, help="group size")
    parser.add_argument("--prompts-per-step", type=COUNT.flag)
    parser.add_argument("--beta", type=BETA.flag, help="KL coefficient")
    parser.add_argument("--max-completion-length", type=TOKENS.flag)
    parser.add_argument("--rank", type=RANK.flag)
    parser.add_argument("--alpha", type=COUNT.flag)
    parser.add_argument("--seed", type=SEED.flag)
    parser.add_argument("--save-steps", type=COUNT.flag)
    parser.add_argument("--use-vllm", action="store_true", default=None, help="vLLM rollouts (GPU only)")
    add_threads_flag(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    apply_threads(args)
    from past.evaluation import load_qa_set
    from past.training.grpo import GRPOTrainConfig, train_grpo

    config = GRPOTrainConfig.from_dict({**load_config_file(args.config), **overrides(args, FLAGS)})
    model = ModelRegistry(settings).resolve(args.model).path
    items = load_qa_set(args.qa).filter(split=args.split).items
    qa = [{"question": q.question, "answers": list(q.answers), "doc_id": q.doc_id} for q in items]
    if not qa:
        raise ConfigError("no QA pairs found in the given files")
    result = train_grpo(
        model, qa, config, run_dir(settings, "grpo", args.out), ConsoleReporter(), init_adapter=args.init_adapter
    )
    print(json.dumps(asdict(result), indent=2))
    return 0
