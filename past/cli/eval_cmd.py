"""``past eval``: closed-book QA evaluation of one or more models; JSON, CSV and an HTML chart."""

from __future__ import annotations

import argparse
import sys

from past.cli.endpoint_args import add_endpoint_args, endpoint_from_args
from past.evaluation import EvalConfig, ModelSpec, evaluate_models, load_qa_set, write_report
from past.evaluation.prompts import PROMPTS
from past.judges import JUDGE_KINDS, make_judge
from past.models import ModelRegistry
from past.numbers import COUNT, SEED, TEMPERATURE, TOKENS
from past.paths import check_output, mark_output, writing
from past.progress import ConsoleReporter
from past.settings import Settings


def _seeds(text: str) -> list[int]:
    return [SEED.flag(s) for s in text.split(",") if s.strip()]


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("eval", help="closed-book QA evaluation of models")
    parser.add_argument(
        "--qa", nargs="+", required=True, help="QA files (.qa.json, SQuAD-style JSON, JSONL, LooGLE .jsonl) or dirs"
    )
    parser.add_argument(
        "--model",
        action="append",
        dest="models",
        metavar="SPEC",
        help="[LABEL=]REF[+ADAPTER_DIR][@SEED]; repeat (same LABEL = replicate runs)",
    )
    parser.add_argument("--split", help="only questions of this split (e.g. test)")
    parser.add_argument("--docs", help="only these doc ids (comma list)")
    parser.add_argument("--limit", type=COUNT.flag, help="at most this many questions")
    parser.add_argument(
        "--judge",
        choices=JUDGE_KINDS,
        help="default: llm when --judge-endpoint is given (its verdict and the rule judge's, both recorded), else rule",
    )
    parser.add_argument("--judge-model", help="local model for the LLM judge (default: the default model)")
    add_endpoint_args(parser, "judge-", "judge")
    parser.add_argument("--seeds", type=_seeds, default=[0], help="decoding seeds when --temperature > 0")
    parser.add_argument("--temperature", type=TEMPERATURE.flag, default=0.0, help="0 = greedy (default)")
    parser.add_argument(
        "--prompt",
        choices=sorted(PROMPTS),
        default="paper",
        help="paper: the paper's 'answer directly and concisely' prompt; question: the bare question",
    )
    parser.add_argument("--max-new-tokens", type=TOKENS.flag, default=32)
    parser.add_argument("--batch-size", type=COUNT.flag, default=16)
    parser.add_argument("--out", required=True, help="directory for results.json, *.csv and chart.html")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    out = check_output(args.out, settings, inputs=args.qa, ours=True)  # refused before any model is loaded
    registry = ModelRegistry(settings)
    qa_set = load_qa_set(args.qa).filter(
        split=args.split, docs=args.docs.split(",") if args.docs else None, limit=args.limit
    )
    if not len(qa_set):
        print("error: no questions left after --split/--docs/--limit", file=sys.stderr)
        return 2
    specs = [ModelSpec.parse(s) for s in (args.models or ["default"])]
    endpoint = endpoint_from_args(args, "judge-")
    judge = make_judge(
        args.judge or ("llm" if endpoint else "rule"),
        registry=registry,
        model_ref=args.judge_model or "default",
        endpoint=endpoint,
    )
    config = EvalConfig(max_new_tokens=args.max_new_tokens, temperature=args.temperature, prompt=args.prompt)
    comparison = evaluate_models(
        registry, specs, qa_set, judge, config, seeds=args.seeds, batch_size=args.batch_size, reporter=ConsoleReporter()
    )
    with writing(out, "--out"):
        paths = write_report(comparison, out)
    mark_output(out, "eval")
    if getattr(judge, "fallbacks", 0):
        reason = f" ({judge.fallback_reason})" if judge.fallback_reason else ""
        print(f"the rule judge graded {judge.fallbacks} answer(s) the LLM judge could not{reason}")
    print(f"{len(qa_set)} questions on {len(qa_set.doc_ids)} document(s), judge {judge.name}")
    print(f"accuracy: judge {judge.name}, correct at score >= 0.5; prompt '{args.prompt}'; 95 % CIs over documents")
    for s in comparison.summaries:
        acc = (
            f"{s.accuracy_mean:.3f} [{s.accuracy_ci[0]:.3f}, {s.accuracy_ci[1]:.3f}]"
            if s.accuracy_ci
            else f"{s.accuracy_mean:.3f}"
        )
        f1 = f"{s.f1_mean:.3f} [{s.f1_ci[0]:.3f}, {s.f1_ci[1]:.3f}]" if s.f1_ci else f"{s.f1_mean:.3f}"
        rest = f"EM {s.em_mean:.3f}  containment {s.containment_mean:.3f}  (runs {s.runs})"
        print(f"{s.label:28} accuracy {acc}  F1 {f1}  {rest}")
    print(f"results in {paths['results.json'].parent}")
    return 0
