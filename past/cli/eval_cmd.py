"""``past eval``: closed-book QA evaluation of one or more models; JSON, CSV and an HTML chart."""

from __future__ import annotations

import argparse
import sys

from past.cli.endpoint_args import add_endpoint_args, endpoint_from_args
from past.evaluation import EvalConfig, ModelSpec, evaluate_models, load_qa_set, write_report
from past.evaluation.prompts import PROMPTS
from past.judges import JUDGE_KINDS, make_judge
from past.models import ModelRegistry
from past.progress import ConsoleReporter
from past.settings import Settings


def _seeds(text: str) -> list[int]:
    return [int(s) for s in text.split(",") if s.strip()]


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("eval", help="closed-book QA evaluation of models")
    parser.add_argument("--qa", nargs="+", required=True, help="QA files (.qa.json, SQuAD-style JSON, JSONL) or dirs")
    parser.add_argument(
        "--model",
        action="append",
        dest="models",
        metavar="SPEC",
        help="[LABEL=]REF[+ADAPTER_DIR][@SEED]; repeat (same LABEL = replicate runs)",
    )
    parser.add_argument("--split", help="only questions of this split (e.g. test)")
    parser.add_argument("--docs", help="only these doc ids (comma list)")
    parser.add_argument("--limit", type=int, help="at most this many questions")
    parser.add_argument("--judge", choices=JUDGE_KINDS, default="rule")
    parser.add_argument("--judge-model", help="local model for the LLM judge (default: the default model)")
    add_endpoint_args(parser, "judge-", "judge")
    parser.add_argument("--seeds", type=_seeds, default=[0], help="decoding seeds when --temperature > 0")
    parser.add_argument("--temperature", type=float, default=0.0, help="0 = greedy (default)")
    parser.add_argument(
        "--prompt",
        choices=sorted(PROMPTS),
        default="paper",
        help="paper: the paper's 'answer directly and concisely' prompt; question: the bare question",
    )
    parser.add_argument("--max-new-tokens", type=int, default=32)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--out", required=True, help="directory for results.json, *.csv and chart.html")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    registry = ModelRegistry(settings)
    qa_set = load_qa_set(args.qa).filter(
        split=args.split, docs=args.docs.split(",") if args.docs else None, limit=args.limit
    )
    if not len(qa_set):
        print("error: no questions left after --split/--docs/--limit", file=sys.stderr)
        return 2
    specs = [ModelSpec.parse(s) for s in (args.models or ["default"])]
    judge = make_judge(
        args.judge,
        registry=registry,
        model_ref=args.judge_model or "default",
        endpoint=endpoint_from_args(args, "judge-"),
    )
    config = EvalConfig(max_new_tokens=args.max_new_tokens, temperature=args.temperature, prompt=args.prompt)
    comparison = evaluate_models(
        registry, specs, qa_set, judge, config, seeds=args.seeds, batch_size=args.batch_size, reporter=ConsoleReporter()
    )
    paths = write_report(comparison, args.out)
    print(f"{len(qa_set)} questions on {len(qa_set.doc_ids)} document(s), judge {judge.name}")
    for s in comparison.summaries:
        print(f"{s.label:32} accuracy {s.accuracy_mean:.3f} ± {s.accuracy_sd:.3f}  F1 {s.f1_mean:.3f}  (runs {s.runs})")
    print(f"results in {paths['results.json'].parent}")
    return 0
