"""Which target-SFT data recipe makes knowledge extractable at this scale: a measured screen of Stage II recipes.

On the first ``--passages`` passages of ``bench/quality.py``'s fixed dev set, one seed, each recipe variant
fine-tunes on the passage (Stage II, mode ``sft``, or ``past`` with ``--skill``) and answers the passage's
questions closed-book. Reported per variant: containment (is the fact stored and recalled at all?), token F1
and short-answer accuracy (is it answered as a short answer?), the synthetic items' quality (well-formed rate,
share of their words the passage supports) and CPU minutes per passage. The studio's default preset is chosen
from this table (bench/README.md).

    python bench/target_recipes.py --passages 10 --out bench/results/target_recipes [--skill NAME] [--variants a,b]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from quality import Bench, select_passages  # a sibling benchmark script

VARIANTS: dict[str, dict] = {
    "passage e10": {"synthesis": [], "epochs": 10},
    "passage e5": {"synthesis": [], "epochs": 5},
    "passage+permutations(3) e5": {"synthesis": [], "permutations": 3, "epochs": 5},
    "implications(1) e10": {"synthesis": ["implications"], "epochs": 10},
    "implications(1) e5": {"synthesis": ["implications"], "epochs": 5},
    "implications(3) e5": {"synthesis": ["implications"], "synthesis_samples": 3, "epochs": 5},
    "rewrites(2) e5": {"synthesis": ["rewrites"], "synthesis_samples": 2, "epochs": 5},
    "qa(6 variants) e5": {"synthesis": ["qa"], "epochs": 5},
}


def run_variant(bench: Bench, name: str, spec: dict, passage: tuple, seed: int, work: Path) -> dict:
    from dataclasses import asdict

    from past.pipeline import AdaptConfig, adapt

    document, qa = passage
    mode = "past" if bench.skill is not None else "sft"
    config = AdaptConfig.from_preset("short-notes", mode=mode, lam=bench.lam if bench.skill else None, seed=seed)
    stage = config.stages[0]
    for key, value in spec.items():
        if key == "epochs":
            stage.sft = {**stage.sft, "max_steps": 0, "num_train_epochs": value}
        else:
            setattr(stage.data, key, value)
    config.validate()
    cpu = time.process_time()
    adapted = adapt(bench.base, [document], config, work, skill=bench.skill)
    cpu = time.process_time() - cpu
    runs = {"sft": asdict(bench.evaluate(name, adapted.baseline_adapter, qa, seed))}
    if bench.skill is not None:
        runs["past"] = asdict(bench.evaluate(f"{name} + skill", adapted.adapter, qa, seed))
    stage_info = adapted.stages[0]
    return {"variant": name, "passage": document.doc_id, "runs": runs, "cpu_s": cpu, "stage": stage_info}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--passages", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--skill")
    parser.add_argument("--lam", type=float)
    parser.add_argument("--variants", help="comma list of variant names (default: all)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--data-dir")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    import shutil
    import tempfile

    import torch

    torch.set_num_threads(args.threads)
    args.model, args.judge_endpoint, args.max_new_tokens, args.prompt, args.epochs = "default", None, 32, "paper", None
    bench = Bench(args)
    out = Path(args.out)
    (out / "units").mkdir(parents=True, exist_ok=True)
    chosen = select_passages(50)[: args.passages]
    names = args.variants.split(",") if args.variants else list(VARIANTS)
    scratch = Path(tempfile.mkdtemp(prefix="past-recipes-"))
    for name in names:
        for index, passage in chosen:
            slug = name.replace(" ", "_").replace("(", "").replace(")", "").replace("+", "-")
            path = out / "units" / f"{slug}-p{index:04d}.json"
            if path.exists():
                continue
            unit = run_variant(bench, name, VARIANTS[name], passage, args.seed, scratch / f"{slug}-{index}")
            path.write_text(json.dumps(unit))
            print(f"{name} passage {index}: done", flush=True)
    shutil.rmtree(scratch, ignore_errors=True)
    report(out, names)


def report(out: Path, names: list[str]) -> None:
    from statistics import fmean

    rows = [
        "| variant | system | containment | F1 | accuracy | items well formed | passage support | CPU min |",
        "|---|---|---|---|---|---|---|---|",
    ]
    table = {}
    for name in names:
        slug = name.replace(" ", "_").replace("(", "").replace(")", "").replace("+", "-")
        units = [json.loads(p.read_text()) for p in sorted((out / "units").glob(f"{slug}-p*.json"))]
        if not units:
            continue
        quality = [u["stage"]["synthesis"].get("quality") or {} for u in units]
        well = [q["well_formed_rate"] for q in quality if q]
        support = [q["mean_passage_support"] for q in quality if q]
        for system in units[0]["runs"]:
            questions = [q for u in units for q in u["runs"][system]["questions"]]
            entry = {
                "containment": fmean(q["containment"] for q in questions),
                "f1": fmean(q["f1"] for q in questions),
                "accuracy": fmean(float(q["correct"]) for q in questions),
                "well_formed": fmean(well) if well else None,
                "support": fmean(support) if support else None,
                "cpu_min": fmean(u["cpu_s"] for u in units) / 60,
                "questions": len(questions),
            }
            table[f"{name} / {system}"] = entry
            fmt = lambda v: "" if v is None else f"{v:.3f}"  # noqa: E731
            rows.append(
                f"| {name} | {system} | {fmt(entry['containment'])} | {fmt(entry['f1'])} | {fmt(entry['accuracy'])} | "
                f"{fmt(entry['well_formed'])} | {fmt(entry['support'])} | {entry['cpu_min']:.2f} |"
            )
    (out / "results.json").write_text(json.dumps(table, indent=2))
    (out / "summary.md").write_text("\n".join(rows) + "\n")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
