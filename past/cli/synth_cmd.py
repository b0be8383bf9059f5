"""``past synth``: generate synthetic training data (implications, QA, summaries) from documents."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from past.cli.endpoint_args import add_endpoint_args, endpoint_from_args
from past.documents import Document, chunk_text, ingest_file, load_tokenizer, read_documents
from past.errors import DocumentError
from past.generators import OpenAIChatGenerator, local_generator
from past.models import ModelRegistry
from past.numbers import COUNT, FRACTION, SEED, TEMPERATURE, TOKENS
from past.paths import check_output
from past.progress import ConsoleReporter
from past.settings import Settings
from past.synthesis import QA_VARIANTS, TASKS, SynthesisConfig, synthesize, write_items


def _csv(text: str) -> tuple[str, ...]:
    return tuple(t.strip() for t in text.split(",") if t.strip())


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("synth", help="generate synthetic training data from documents")
    parser.add_argument("inputs", nargs="+", help="documents JSONL from `past ingest`, or document files")
    parser.add_argument("--out", required=True, help="synthetic-data JSONL to write")
    parser.add_argument("--tasks", type=_csv, default=("implications", "qa"), help=f"comma list of {', '.join(TASKS)}")
    parser.add_argument(
        "--variants",
        type=_csv,
        default=tuple(QA_VARIANTS),
        help=f"QA proposer variants (comma list of {', '.join(QA_VARIANTS)})",
    )
    parser.add_argument("--chunks", default="qa-256", help="chunking preset or SIZE:OVERLAP (default qa-256)")
    parser.add_argument("--samples", type=COUNT.flag, default=1, help="generations per chunk, task and variant")
    parser.add_argument("--temperature", type=TEMPERATURE.flag, default=1.0)
    parser.add_argument("--top-p", type=FRACTION.flag, default=0.95)
    parser.add_argument("--max-new-tokens", type=TOKENS.flag, default=256)
    parser.add_argument("--seed", type=SEED.flag, default=0)
    parser.add_argument("--model", default="default", help="local generator model (also the chunking tokenizer)")
    parser.add_argument("--batch-size", type=COUNT.flag, default=8, help="local generation batch size")
    add_endpoint_args(parser, "", "generator")
    parser.set_defaults(func=run)


def _documents(inputs: list[str]) -> list[Document]:
    documents = []
    for raw in inputs:
        path = Path(raw)
        if path.suffix == ".jsonl":
            documents.extend(read_documents(path))
            continue
        try:
            documents.append(ingest_file(path))
        except DocumentError as exc:
            print(f"error: {exc}", file=sys.stderr)
    return documents


def run(args: argparse.Namespace, settings: Settings) -> int:
    config = SynthesisConfig(
        tasks=args.tasks,
        qa_variants=args.variants,
        samples=args.samples,
        temperature=args.temperature,
        top_p=args.top_p,
        max_new_tokens=args.max_new_tokens,
        seed=args.seed,
    )
    out = check_output(args.out, settings, inputs=args.inputs, file=True)  # refused before any generation
    documents = _documents(args.inputs)
    if not documents:
        print("error: no usable documents", file=sys.stderr)
        return 2
    registry = ModelRegistry(settings)
    endpoint = endpoint_from_args(args, "")
    if endpoint is not None:
        generator = OpenAIChatGenerator(endpoint)
        tokenizer = load_tokenizer(registry.resolve(args.model).path)
    else:
        loaded = registry.load(args.model)
        generator, tokenizer = local_generator(loaded, batch_size=args.batch_size), loaded.tokenizer
    chunks = [c for d in documents for c in chunk_text(d.text, tokenizer, args.chunks, d.doc_id)]
    print(f"{len(documents)} document(s), {len(chunks)} chunk(s), generator {generator.name}", file=sys.stderr)
    result = synthesize(chunks, generator, config, ConsoleReporter())
    path = write_items(out, result.items)
    s = result.stats
    kinds = ", ".join(f"{k} {v}" for k, v in s.by_kind.items()) or "none"
    print(
        f"wrote {s.kept} item(s) to {path} ({kinds}); {s.generations} generations, "
        f"{s.malformed} malformed dropped, {s.duplicates} duplicates dropped"
    )
    return 0
