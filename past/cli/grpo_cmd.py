"""``past grpo``: GRPO on closed-book QA (question only in the prompt), rewards from a judge."""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict

from past.cli.train_args import add_training_args, run_dir, training_config
from past.errors import ConfigError
from past.models import ModelRegistry
from past.numbers import BETA, COUNT, GENERATIONS, TOKENS
from past.progress import ConsoleReporter
from past.settings import Settings

FLAGS = {  # beside the training flags of every command (past.cli.train_args.TRAINING_FLAGS)
    "num_generations": "num_generations",
    "beta": "beta",
    "prompts_per_step": "prompts_per_step",
    "max_completion_length": "max_completion_length",
    "use_vllm": "use_vllm",
}


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("grpo", help="GRPO on closed-book QA with a LoRA on a (merged) model")
    parser.add_argument("qa", nargs="+", help="QA files (*.qa.json or JSONL with question/answer), or dirs")
    add_training_args(parser, "grpo", "model reference (e.g. a merged SFT model directory)", "GRPOTrainConfig")
    parser.add_argument("--init-adapter", help="start the LoRA from this adapter (e.g. the previous skill vector)")
    parser.add_argument("--split", help="use only questions of this split (e.g. train)")
    parser.add_argument("--num-generations", type=GENERATIONS.flag, help="group size")
    parser.add_argument("--prompts-per-step", type=COUNT.flag)
    parser.add_argument("--beta", type=BETA.flag, help="KL coefficient")
    parser.add_argument("--max-completion-length", type=TOKENS.flag)
    parser.add_argument("--use-vllm", action="store_true", default=None, help="vLLM rollouts (GPU only)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    from past.evaluation import load_qa_set
    from past.training.grpo import GRPOTrainConfig, train_grpo

    config = training_config(GRPOTrainConfig, args, FLAGS)
    out = run_dir(settings, "grpo", args.out, inputs=args.qa)  # refused before the model is read
    model = ModelRegistry(settings).resolve(args.model).path
    items = load_qa_set(args.qa).filter(split=args.split).items
    qa = [{"question": q.question, "answers": list(q.answers), "doc_id": q.doc_id} for q in items]
    if not qa:
        raise ConfigError("no QA pairs found in the given files")
    result = train_grpo(model, qa, config, out, ConsoleReporter(), init_adapter=args.init_adapter)
    print(json.dumps(asdict(result), indent=2))
    return 0
