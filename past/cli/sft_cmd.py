"""``past sft``: LoRA or full fine-tuning on documents and synthetic records (resumable)."""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict

from past.cli.train_args import add_training_args, run_dir, training_config
from past.models import ModelRegistry
from past.numbers import COUNT, TOKENS
from past.progress import ConsoleReporter
from past.settings import Settings

FLAGS = {"method": "method", "batch_size": "batch_size", "max_length": "max_length"}  # beside TRAINING_FLAGS


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("sft", help="supervised fine-tuning (LoRA or full) on documents and records")
    parser.add_argument("data", nargs="+", help="documents (.md/.txt), JSONL records or *.qa.json files, or dirs")
    add_training_args(parser, "sft", "base model reference (default: the default model)", "SFTTrainConfig")
    parser.add_argument("--method", choices=["lora", "full"])
    parser.add_argument("--batch-size", type=COUNT.flag)
    parser.add_argument("--max-length", type=TOKENS.flag)
    parser.add_argument(
        "--chunking",
        default="qa-256",
        help="document token windows: a preset (qa-256, memorise-1024, ...) or SIZE:OVERLAP",
    )
    parser.add_argument("--with-qa", action="store_true", help="also train on the QA pairs as chat turns")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    from past.documents.chunking import chunk_text, load_tokenizer
    from past.pipeline.sources import load_sources
    from past.training.data import build_sft_dataset, load_records
    from past.training.sft import SFTTrainConfig, train_sft

    config = training_config(SFTTrainConfig, args, FLAGS)
    out = run_dir(settings, "sft", args.out, inputs=args.data)  # refused before the model is read

    base = ModelRegistry(settings).resolve(args.model).path
    tokenizer = load_tokenizer(base)
    plain = [p for p in args.data if not p.endswith(".jsonl") or p.endswith(".qa.jsonl")]
    sources = load_sources(plain) if plain else None
    records = [r for p in args.data if p.endswith(".jsonl") and not p.endswith(".qa.jsonl") for r in load_records(p)]
    documents = sources.documents if sources else []
    texts = [c.text for d in documents for c in chunk_text(d.text, tokenizer, args.chunking, doc_id=d.doc_id)]
    chats = [(q.question, q.answers[0]) for q in sources.qa.items] if args.with_qa and sources else []
    dataset = build_sft_dataset(tokenizer, texts=texts, records=records, chats=chats)
    result = train_sft(base, dataset, config, out, ConsoleReporter())
    print(json.dumps({k: v for k, v in asdict(result).items() if k != "losses"} | {"examples": len(dataset)}, indent=2))
    return 0
