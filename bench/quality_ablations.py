"""Ablations of the quality benchmark, paired on the same passages and seed.

Each ``--variant NAME=DIR`` is a ``bench/quality.py`` output directory of a run with another skill (e.g. K = 1,
fewer RL steps) on the same passages, reusing the main run's kept fine-tunes (``--keep-adapters``), so its
``sft-synth`` answers are the main run's and only the skill differs. The table holds, on the passages and seed
that every run has: the main run's ``sft-synth``, ``past`` and λ sweep, and each variant's ``past`` as NAME;
each is paired per question with ``sft-synth`` (95 % cluster-bootstrap intervals over passages).

    python bench/quality_ablations.py --main bench/results/quality --seed 0 \\
        --variant "K=1 (v1 only)=bench/results/quality-k1" --out bench/results/quality-ablations.md
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import tables  # a sibling module
from quality import load_runs  # the benchmark's own loader: both read units the same way
from tables import estimate


def units_of(directory: Path, seed: int) -> dict[int, dict[str, Any]]:
    """Passage → its unit for ``seed`` in a benchmark output directory."""
    found = {}
    for path in sorted((directory / "units").glob(f"p*-s{seed}.json")):
        unit = json.loads(path.read_text())
        found[unit["passage"]] = unit
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--main", required=True, help="the main bench/quality.py output directory")
    parser.add_argument("--variant", action="append", default=[], help="NAME=DIR of a run with another skill")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", help="write the markdown table here (also printed)")
    args = parser.parse_args()
    from past.evaluation.systems import summarize_systems

    main_units = units_of(Path(args.main), args.seed)
    variants = {}
    for spec in args.variant:
        name, sep, directory = spec.rpartition("=")  # names may hold "=" (K=1)
        if not sep or not Path(directory, "units").is_dir():
            sys.exit(f"error: --variant {spec!r}: expected NAME=DIR with a bench/quality.py output directory")
        variants[name] = units_of(Path(directory), args.seed)
    passages = sorted(set(main_units).intersection(*[set(v) for v in variants.values()]))
    if not passages:
        sys.exit("error: no passage has a unit for this seed in every run")
    merged = []
    for passage in passages:
        runs = {k: v for k, v in main_units[passage]["runs"].items() if k == "sft-synth" or k.startswith("past")}
        for name, units in variants.items():
            runs[name] = units[passage]["runs"]["past"]
        merged.append({"passage": passage, "seed": args.seed, "runs": runs, "cost": {}})
    systems = load_runs(merged)
    order = ["sft-synth", "past", *sorted((s for s in systems if "@" in s), key=lambda n: float(n[5:])), *variants]
    summary = summarize_systems({n: systems[n] for n in order}, [(n, "sft-synth") for n in order[1:]])
    questions = summary["systems"]["sft-synth"]["questions"]
    lines = [
        f"Seed {args.seed}, {len(passages)} passages, {questions} questions; each row paired with sft-synth per "
        "question.",
        "",
    ]
    header = ["system", "accuracy", "F1", "containment", "Δ accuracy vs sft-synth", "Δ F1 vs sft-synth"]
    lines += tables.table([*header, "F1 better / worse / tied"])
    for name in order:
        entry = summary["systems"][name]
        paired = summary["paired"].get(f"{name} − sft-synth")
        deltas = ["—", "—", "—"]
        if paired:
            f1 = paired["f1"]
            counts = f"{f1['a_better']} / {f1['b_better']} / {f1['ties']}"
            deltas = [estimate(paired["correct"]["difference"]), estimate(f1["difference"]), counts]
        lines.append(tables.row([name, *(estimate(entry[m]) for m in ("correct", "f1", "containment")), *deltas]))
    text = "\n".join(lines) + "\n"
    if args.out:
        Path(args.out).write_text(text)
    print(text)


if __name__ == "__main__":
    main()
