"""Judge ablation of the quality benchmark: does the conclusion depend on what counts as "correct"?

Re-scores the stored answers of a ``bench/quality.py`` run (no generation) under several rule judges and pairs
each system with ``sft-synth`` per question (95 % cluster-bootstrap over passages):

* ``EM`` — SQuAD exact match (normalised);
* ``F1 ≥ 0.5`` — the benchmark's default short-answer criterion;
* ``F1 ≥ 0.3`` — a lenient short-answer criterion;
* ``contains`` — the prediction contains a reference (rewards reciting: the old default);
* ``contains, ≤ 10 words`` — containment only for a short answer.

An LLM judge needs an endpoint (``bench/quality.py --judge-endpoint``); none is reachable from this machine,
so it is not part of this table.

    python bench/judge_ablation.py --main bench/results/quality --out bench/results/quality-judges.md
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import tables  # a sibling module
from quality import complete_passages, load_runs  # the benchmark's own loader and completeness rule

JUDGES: dict[str, Callable[[Any], bool]] = {
    "EM": lambda q: q.em >= 1.0,
    "F1 ≥ 0.5 (default)": lambda q: q.f1 >= 0.5,
    "F1 ≥ 0.3": lambda q: q.f1 >= 0.3,
    "contains": lambda q: q.containment >= 1.0,
    "contains, ≤ 10 words": lambda q: q.containment >= 1.0 and len(q.prediction.split()) <= 10,
}
SYSTEMS = ("base", "sft-passage", "sft-synth", "past", "skill-only")


def rejudged(runs: list, judge: Callable[[Any], bool]) -> list:
    """The same runs with every question's ``correct`` decided by ``judge``."""
    return [replace(run, questions=[replace(q, correct=judge(q)) for q in run.questions]) for run in runs]


def table(systems: dict[str, list]) -> str:
    from past.evaluation.systems import summarize_systems

    names = [n for n in SYSTEMS if n in systems]
    lines = tables.table(["judge", *names, "past − sft-synth (paired)"])
    for label, judge in JUDGES.items():
        scored = {n: rejudged(systems[n], judge) for n in names}
        summary = summarize_systems(scored, [("past", "sft-synth")], metrics=("correct",))
        paired = summary["paired"]["past − sft-synth"]["correct"]["difference"]
        cells = [tables.estimate(summary["systems"][n]["correct"]) for n in names]
        lines.append(tables.row([label, *cells, tables.estimate(paired)]))
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--main", required=True, help="a bench/quality.py output directory")
    parser.add_argument("--seeds", default="0,1,2", help="the seeds a passage must have to be counted")
    parser.add_argument("--out", help="write the markdown table here (also printed)")
    args = parser.parse_args()
    args.seeds = [int(s) for s in args.seeds.split(",") if s.strip()]
    units = [json.loads(p.read_text()) for p in sorted(Path(args.main, "units").glob("p*.json"))]
    units = complete_passages(units, args)
    if not units:
        sys.exit(f"error: no finished passage in {args.main}/units")
    systems = load_runs(units)
    if "past" not in systems or "sft-synth" not in systems:
        sys.exit("error: the run has no 'past' and 'sft-synth' systems to compare")
    passages = len({u["passage"] for u in units})
    questions = len(systems["base"][0].questions) if "base" in systems else len(systems["past"][0].questions)
    text = (
        f"Short-answer accuracy under each judge; {passages} passages, {questions} questions, "
        f"seeds {args.seeds}; 95 % cluster-bootstrap over passages.\n\n" + table(systems)
    )
    if args.out:
        Path(args.out).write_text(text)
    print(text)


if __name__ == "__main__":
    main()
