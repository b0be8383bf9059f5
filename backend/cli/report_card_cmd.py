"""``past report-card``: the knowledge report card of an adapted model on a collection's questions.

Runs in this process (no job runner needed) and prints the card in plain words, then a table of the five
systems with 95 % intervals; ``--out`` also writes the whole card (answers side by side, forgetting check)
as ``report_card.json``. The studio's ``report_card`` job computes the same card.
"""

from __future__ import annotations

import argparse
import json

from past.errors import ConfigError
from past.numbers import COUNT, TOKENS
from past.paths import check_output, mark_output, writing
from past.settings import Settings


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("report-card", help="knowledge report card of an adapted model")
    parser.add_argument("--adapted", required=True, help="the adapted model's name (as `past adapt` or Adapt named it)")
    parser.add_argument("--collection", help="collection whose questions to ask (default: the one it learned)")
    parser.add_argument("--split", help="only questions of this split (e.g. test)")
    parser.add_argument("--limit", type=COUNT.flag, help="at most this many questions")
    parser.add_argument("--max-new-tokens", type=TOKENS.flag, default=32, help="longest answer, in tokens")
    parser.add_argument("--k", type=COUNT.flag, default=3, help="passages in the prompt with documents")
    parser.add_argument("--batch-size", type=COUNT.flag, default=16)
    parser.add_argument("--out", help="folder to write report_card.json into")
    parser.add_argument("--json", action="store_true", help="print the whole card as JSON")
    parser.set_defaults(func=run)


def _interval(values: list[float]) -> str:
    return f"[{values[0]:.2f}, {values[1]:.2f}]"


def run(args: argparse.Namespace, settings: Settings) -> int:
    from backend.jobs.kinds.report_card import ReportCardParams, report_card
    from backend.report_card import CARD_FILE
    from past.progress import ConsoleReporter
    from past.training.runs import write_json

    params = ReportCardParams(adapted=args.adapted, collection=args.collection, split=args.split, limit=args.limit)
    params.max_new_tokens, params.retrieval_k, params.batch_size = args.max_new_tokens, args.k, args.batch_size
    try:
        params.validate()  # the job's checks: the CLI and the studio accept the same cards
    except ValueError as exc:
        raise ConfigError(str(exc)) from exc
    out = check_output(args.out, settings, ours=True) if args.out else None  # refused before the card is made
    card = report_card(settings, params, ConsoleReporter())
    if out is not None:
        with writing(out, "--out"):
            out.mkdir(parents=True, exist_ok=True)
            write_json(out / CARD_FILE, card)
        mark_output(out, "report-card")
    if args.json:
        print(json.dumps({k: v for k, v in card.items() if k != "comparison"}, indent=2, ensure_ascii=False))
        return 0
    print(card["summary"])
    if card.get("systems"):
        print()
        print(f"{'system':<28} {'answered':>9} {'accuracy':>9} {'95% CI':>14} {'F1':>6} {'95% CI':>14} {'contains':>9}")
        for s in card["systems"]:
            print(
                f"{s['label']:<28} {s['correct']:>4} / {s['n']:<3} {s['accuracy']:>9.2f} "
                f"{_interval(s['accuracy_ci']):>14} {s['f1']:>6.2f} {_interval(s['f1_ci']):>14} "
                f"{s['contains']:>4} / {s['n']:<3}"
            )
    return 0
