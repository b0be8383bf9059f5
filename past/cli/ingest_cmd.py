"""``past ingest``: turn files into a documents JSONL (optionally also token chunks), one error line per bad file."""

from __future__ import annotations

import argparse
import sys

from past.documents import DEFAULT_MAX_BYTES, chunk_spec, chunk_text, ingest_many, load_tokenizer, write_documents
from past.models import ModelRegistry
from past.numbers import MEGABYTES
from past.paths import check_output
from past.progress import NullReporter
from past.settings import Settings


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("ingest", help="extract clean text from PDF/DOCX/HTML/Markdown/text files")
    parser.add_argument("files", nargs="+", help="documents to ingest")
    parser.add_argument("--out", required=True, help="documents JSONL to write")
    parser.add_argument(
        "--max-mb", type=MEGABYTES.flag, default=DEFAULT_MAX_BYTES / 2**20, help="per-file size limit (MB)"
    )
    parser.add_argument("--chunks", metavar="PRESET", help="also chunk by tokens: qa-128, memorise-1024, SIZE:OVERLAP")
    parser.add_argument("--chunks-out", help="chunks JSONL to write (default: OUT with .chunks.jsonl)")
    parser.add_argument("--model", default="default", help="model whose tokenizer chunks the text")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    from past.datasets import write_jsonl

    if args.chunks:
        chunk_spec(args.chunks)  # a bad preset is refused before anything is read or loaded
    out = check_output(args.out, settings, inputs=args.files, file=True)
    chunks_out = None
    if args.chunks:
        default = str(out.with_suffix("")) + ".chunks.jsonl"
        chunks_out = check_output(
            args.chunks_out or default, settings, inputs=[*args.files, out], flag="--chunks-out", file=True
        )
    results = ingest_many(args.files, max_bytes=int(args.max_mb * 2**20), reporter=NullReporter())
    documents = [r.document for r in results if r.document is not None]
    for result in results:
        if result.document is not None:
            doc = result.document
            print(f"ok     {doc.name} -> {doc.doc_id} ({doc.format}, {doc.n_chars} characters)")
            for warning in doc.warnings:
                print(f"warning: {warning}", file=sys.stderr)
        else:
            print(f"error: {result.error}", file=sys.stderr)
    if documents:
        path = write_documents(out, documents)
        print(f"wrote {len(documents)} document(s) to {path}")
        if args.chunks:
            tokenizer = load_tokenizer(ModelRegistry(settings).resolve(args.model).path)
            chunks = [c for d in documents for c in chunk_text(d.text, tokenizer, args.chunks, d.doc_id)]
            write_jsonl(chunks_out, (c.to_dict() for c in chunks))
            print(f"wrote {len(chunks)} chunk(s) ({args.chunks}) to {chunks_out}")
    failed = len(results) - len(documents)
    if failed:
        print(f"{failed} of {len(results)} file(s) could not be ingested", file=sys.stderr)
    return 0 if not failed else (1 if documents else 2)
