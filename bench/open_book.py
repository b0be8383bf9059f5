"""Open-book ablation of the quality benchmark: does the skill help when the knowledge is in front of the model?

The closed-book benchmark (``bench/quality.py``) mixes two things: whether target SFT stored the passage's
facts, and whether the skill helps the model *extract* them. This script removes the first: every system
answers with the passage itself in the prompt (an oracle retriever that returns the passage; the evaluator's
"with documents" prompt), so a skill that teaches extraction should gain here even if the fine-tunes stored
little. Systems, on the main run's passages:

* ``base+doc`` and ``skill-only+doc`` (base + λ·v) — greedy, no training;
* ``sft-synth+doc`` and ``past+doc`` — the main run's kept ``--preset`` fine-tune of ``--seed`` (default
  short-notes; no training here: ``--keep-adapters`` of the main run), without and with λ·v.

Pairs per question (95 % cluster-bootstrap over passages): ``skill-only+doc − base+doc``,
``past+doc − sft-synth+doc``, and each open-book system against its closed-book self from the main run's
units. Resumable per passage (``OUT/units``); ``--shard I/N`` for parallel processes.

    python bench/open_book.py --skill closed-book-qa-smollm2-135m --main bench/results/quality \\
        --keep-adapters /work/runs/kept --out bench/results/quality-open-book
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from dataclasses import asdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from quality import (  # one protocol with the main benchmark
    Bench,
    load_runs,
    markdown,
    metric_estimates,
    select_passages,
    store_metrics,
    timed,
    unit_path,
)
from records import write_record

from past.adapt_params import PRESET_NAMES

SKILL_PAIRS = ("skill-only+doc − base+doc", "past+doc − sft-synth+doc")  # the skill's own effect, open book
OPEN_PAIRS = [
    ("skill-only+doc", "base+doc"),
    ("past+doc", "sft-synth+doc"),
    ("base+doc", "base"),
    ("sft-synth+doc", "sft-synth"),
    ("past+doc", "past"),
]


class PassageRetriever:
    """An oracle retriever: whatever the question, the passage it was asked about, whole."""

    def __init__(self, document: Any) -> None:
        from past.retrieval import Hit

        self.hits = [Hit(document.text, document.name, 0, 1.0)]

    def retrieve(self, question: str, k: int = 1) -> list[Any]:
        return self.hits[:k]


def open_book_unit(bench: Bench, index: int, passage: tuple, seed: int, scratch: Path, unit: dict | None) -> dict:
    """The open-book systems missing from ``unit`` on one passage (seed ``seed``'s kept fine-tune)."""
    from past.evaluation import evaluate_loaded
    from past.training.modeling import load_with_adapter

    document, qa = passage
    unit = unit or {"passage": index, "title": document.name, "seed": seed, "runs": {}, "cost": {}}
    retriever = PassageRetriever(document)
    kept = bench.kept_adapter(index, seed)
    if kept is None or not kept.is_dir():
        raise SystemExit(f"error: no kept fine-tune for passage {index} seed {seed} in --keep-adapters")
    work = scratch / f"p{index}"
    adapters = {
        "base+doc": lambda: None,
        "skill-only+doc": lambda: bench.skill.path,
        "sft-synth+doc": lambda: kept,
        "past+doc": lambda: bench.inject(str(kept), bench.lam, work / "past"),
    }
    for name, adapter_of in adapters.items():
        if name in unit["runs"]:
            continue

        def run(adapter_of=adapter_of, name=name):
            model, tokenizer = load_with_adapter(bench.base, adapter_of())
            return evaluate_loaded(
                model, tokenizer, qa, bench.judge, bench.eval_config, label=name, seed=seed, retriever=retriever
            )

        result, cpu, wall = timed(run)
        unit["runs"][name] = asdict(result)
        unit["cost"][name] = {"cpu_s": round(cpu, 2), "wall_s": round(wall, 2)}
    shutil.rmtree(work, ignore_errors=True)
    return unit


def closed_book_runs(main: Path, passage: int, seed: int) -> dict[str, Any]:
    """The main run's closed-book answers of the same passage and seed (base/skill-only are seedless)."""
    runs: dict[str, Any] = {}
    for path in (unit_path(main, passage, None), unit_path(main, passage, seed)):
        if path.exists():
            stored = json.loads(path.read_text())["runs"]
            runs.update({k: v for k, v in stored.items() if k in ("base", "skill-only", "sft-synth", "past")})
    return runs


def report(out: Path, main: Path, seed: int, prompt: str = "paper", preset: str = "short-notes") -> dict[str, Any]:
    from past.evaluation.systems import summarize_systems

    merged = []
    for path in sorted((out / "units").glob("p*.json")):
        unit = json.loads(path.read_text())
        if len(unit["runs"]) < 4:
            continue  # a passage still running
        runs = {**closed_book_runs(main, unit["passage"], seed), **unit["runs"]}
        merged.append({"passage": unit["passage"], "seed": seed, "runs": runs, "cost": unit["cost"]})
    if not merged:
        raise SystemExit("error: no finished passage to report")
    systems = load_runs(merged)
    order = ["base", "base+doc", "skill-only", "skill-only+doc", "sft-synth", "sft-synth+doc", "past", "past+doc"]
    systems = {name: systems[name] for name in order if name in systems}
    summary = summarize_systems(systems, [(a, b) for a, b in OPEN_PAIRS if a in systems and b in systems])
    summary["settings"] = {
        "passages": [u["passage"] for u in merged],
        "seed": seed,
        "prompt": prompt,
        "preset": preset,
        "context": "oracle: the passage itself, in the evaluator's 'with documents' prompt",
        "judge": "rule: token F1, correct at >= 0.5",
    }
    write_record(out / "results.json", summary, out)
    questions = sum(len(r["questions"]) for u in merged for n, r in u["runs"].items() if n == "base+doc")
    text = f"Seed {seed}, {len(merged)} passages, {questions} questions; the passage in the prompt; preset {preset}, "
    text += f"prompt family {prompt}.\n\n"
    (out / "summary.md").write_text(text + markdown(summary))
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--skill", required=True, help="skill name in the library")
    parser.add_argument("--main", required=True, help="the main bench/quality.py output directory")
    parser.add_argument("--keep-adapters", required=True, help="the main run's kept --preset fine-tunes")
    parser.add_argument(
        "--preset",
        default="short-notes",
        choices=PRESET_NAMES,
        help="the Stage II preset of the kept fine-tunes (recall-practice is read with --prompt recall)",
    )
    parser.add_argument("--passages", type=int, default=50)
    parser.add_argument("--limit", type=int, help="only the first N of the chosen passages")
    parser.add_argument("--max-questions", type=int, help="only the first N questions of each passage (smoke runs)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--lam", type=float, help="λ (default: the skill's)")
    parser.add_argument("--model", default="default")
    parser.add_argument("--prompt", default="paper")
    parser.add_argument("--max-new-tokens", type=int, default=32)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--shard", default="0/1", help="I/N: every N-th passage from the I-th")
    parser.add_argument("--data-dir")
    parser.add_argument("--out", required=True)
    parser.add_argument("--report-only", action="store_true")
    parser.add_argument("--attach-to-skill", help="write the summary into this skill folder's skill.json metrics")
    args = parser.parse_args()
    out, main_dir = Path(args.out), Path(args.main)
    (out / "units").mkdir(parents=True, exist_ok=True)
    if not args.report_only:
        import torch

        torch.set_num_threads(args.threads)
        # what Bench reads from a quality.py command line
        args.judge_endpoint, args.epochs = None, None
        bench = Bench(args)
        shard, shards = (int(x) for x in args.shard.split("/", 1))
        chosen = select_passages(args.passages, args.max_questions)[: args.limit]
        scratch = Path(tempfile.mkdtemp(prefix="past-open-book-"))
        for position, (index, passage) in enumerate(chosen):
            path = out / "units" / f"p{index:04d}-s{args.seed}.json"
            if position % shards != shard or not bench.kept_adapter(index, args.seed).is_dir():
                continue  # another shard's, or the main run has not fine-tuned it yet
            stored = json.loads(path.read_text()) if path.exists() else None
            if stored is not None and len(stored["runs"]) == 4:
                continue
            unit = open_book_unit(bench, index, passage, args.seed, scratch, stored)
            tmp = path.with_suffix(".tmp")
            write_record(tmp, unit, out, indent=None)
            tmp.replace(path)
            print(f"passage {index}: done", flush=True)
        shutil.rmtree(scratch, ignore_errors=True)
    summary = report(out, main_dir, args.seed, args.prompt, args.preset)
    if args.attach_to_skill:
        attach(Path(args.attach_to_skill), summary)
    print((out / "summary.md").read_text())


def attach(skill_dir: Path, summary: dict[str, Any]) -> None:
    """Store the open-book effect beside the closed-book one in the skill's manifest (the skill card shows it)."""
    settings = summary["settings"]
    open_book = {k: v for k, v in summary["systems"].items() if k.endswith("+doc")}
    measured_on = (
        f"{open_book['base+doc']['questions']} questions on {len(settings['passages'])} held-out SQuAD dev "
        f"passages, seed {settings['seed']}, the passage in the prompt (bench/open_book.py)"
    )
    entry = {"measured_on": measured_on, "judge": settings["judge"], "context": settings["context"]}
    entry |= {"systems": metric_estimates(open_book)}
    entry["paired"] = {k: v for k, v in summary["paired"].items() if k in SKILL_PAIRS}
    store_metrics(skill_dir, "open_book", entry)


if __name__ == "__main__":
    main()
