"""Storage study: which target-SFT recipe makes a passage's facts *answerable* closed book at this scale.

Target side, SFT alone (no skill), the paper's single-passage protocol on ``bench/quality.py``'s fixed SQuAD dev
passages. Each recipe fine-tunes on one passage (Stage II through :func:`past.pipeline.adapt`, exactly what the
studio's Adapt runs) and the fine-tune answers that passage's questions closed book in two prompt families —
``paper`` (direct answer) and ``recall`` (write the remembered sentence, then ``Answer: …``; only the answer line
is judged) — and the 20 general-knowledge forgetting probes (``assets/probes``). Per recipe: short-answer accuracy
(rule judge: token F1 ≥ 0.5 on the answer alone, so reciting never passes), F1, containment (lenient, secondary),
probes kept, CPU minutes per passage; 95 % cluster-bootstrap intervals over passages and per-question paired
differences against today's default ``short-notes``; storage gained per CPU-minute.

Levers (``RECIPES``): exposures (epochs), batch 1 vs 4, sentence permutations × k (model-free), passage copies,
the model's own implications (one text per generation, or each line its own document), self-generated QA pairs
in the recall format mixed in, and practice passages from other articles with their questions (mixed training,
``DataRecipe.practice``) in the recall or the direct format.
Units (recipe, passage, seed) are resumable JSON files in ``OUT/units``. With ``--keep-adapters KEPT`` the
fine-tunes of recipes that equal an Adapt preset (``same_as``) are kept under ``bench/quality.py``'s names, so its
``past`` and ``skill-only`` systems run on them with ``--only-kept`` and no target is trained twice; the other way
round, a fine-tune ``bench/quality.py`` kept there is this study's unit of that recipe (evaluated, not retrained),
and ``--only-kept`` runs just the passages and seeds it has kept.

    python bench/target_recipes.py --passages 20 --out bench/results/storage [--recipes a,b] [--shard 0/1]
    python bench/target_recipes.py --passages 20 --out bench/results/storage --report-only
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import json
import os
import statistics
import sys
import time
from dataclasses import asdict
from html import escape
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from quality import (  # a sibling benchmark script
    keep_adapter,
    kept_path,
    kept_training,
    probe_count,
    select_passages,
    training_record,
)
from records import write_record
from svg import PALETTE, Axes, document
from tables import estimate, row, table

BASELINE = "short-notes"
FAMILIES = ("paper", "recall")
B1 = {"batch_size": 1, "save_steps": 0}
# recipe name -> {"preset": Stage II preset it starts from, "data": DataRecipe fields, "sft": SFT settings}
RECIPES: dict[str, dict[str, Any]] = {
    BASELINE: {"preset": "short-notes", "same_as": "short-notes"},  # today's default: passage + implications, 10 ep, b4
    "passage e10 b1": {"preset": "passage-only", "sft": B1},  # the paper's single-passage SFT
    "passage e10 b4": {"preset": "passage-only"},
    "passage e40 b1": {"preset": "passage-only", "sft": {**B1, "num_train_epochs": 40}},
    "perm4 e10 b1": {"preset": "passage-only", "data": {"permutations": 4}, "sft": B1},
    "perm4 e10 b4": {"preset": "passage-only", "data": {"permutations": 4}},
    "copies5 e10 b1": {"preset": "passage-only", "data": {"passage_copies": 5}, "sft": B1},
    "perm4+lines e10 b1": {
        "preset": "short-notes",
        "data": {"permutations": 4, "split_synthetic": True},
        "sft": B1,
    },
    "perm4+qa-recall e10 b1": {
        "preset": "passage-only",
        "data": {"permutations": 4, "synthesis": ["qa"], "synthesis_max_new_tokens": 96, "qa_prompt": "recall"},
        "sft": B1,
        "families": FAMILIES,
    },
    # mixed training (Physics of LM 3.1, PIT): the passage plus bundled practice passages from other articles with
    # their questions answered in the recall format (assets/practice): answering is learned on other documents
    "practice3 recall e10 b1": {
        "preset": "passage-only",
        "data": {"practice": 3, "qa_prompt": "recall"},
        "sft": B1,
        "families": FAMILIES,
        "same_as": "recall-practice",  # the Adapt preset it became (a test checks the two train alike)
    },
    "practice7 recall e10 b1": {
        "preset": "passage-only",
        "data": {"practice": 7, "qa_prompt": "recall"},
        "sft": B1,
        "families": FAMILIES,
    },
    "practice3 direct e10 b1": {"preset": "passage-only", "data": {"practice": 3, "qa_prompt": "paper"}, "sft": B1},
    # the control of the practice recipes: the same training with an unrelated passage in place of the target
    # (the last bundled practice passage, its questions unused), so what it answers of a target's questions is
    # what practice alone teaches: guessing in the answer format, world knowledge, the practice articles' facts
    "practice3 recall control": {
        "preset": "passage-only",
        "data": {"practice": 3, "qa_prompt": "recall"},
        "sft": B1,
        "families": FAMILIES,
        "control": True,
    },
}
# recipe -> its control (the same training with an unrelated passage in place of the target)
CONTROLS = {"practice3 recall e10 b1": "practice3 recall control"}
# The screen run by default (what one CPU session affords); the rest are run with --recipes.
SCREEN = [BASELINE, "passage e10 b1", "perm4 e10 b1", "perm4+qa-recall e10 b1"]


def control_document():
    """The unrelated passage a control recipe trains instead of its target: the last bundled practice passage."""
    from past.documents.ingest import Document
    from past.pipeline.practice import load_practice

    passage = load_practice()[-1]
    digest = hashlib.sha256(passage.text.encode()).hexdigest()
    return Document(doc_id="control", name=passage.title, format="text", text=passage.text, sha256=digest)


def slug(name: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in name)


def recipe_config(name: str, seed: int):
    """The AdaptConfig (mode sft) of a recipe: its preset with the recipe's data and SFT settings on top."""
    from past.pipeline import AdaptConfig

    spec = RECIPES[name]
    config = AdaptConfig.from_preset(spec["preset"], mode="sft", seed=seed)
    stage = config.stages[0]
    for key, value in spec.get("data", {}).items():
        setattr(stage.data, key, value)
    stage.sft = {**stage.sft, **spec.get("sft", {})}
    config.validate()
    return config


class Study:
    """Loaded once per process: the base model, the judge, the probes."""

    def __init__(self, args: argparse.Namespace) -> None:
        from past.evaluation.report_card import load_probes
        from past.judges import RuleQAJudge
        from past.models import ModelRegistry
        from past.settings import Settings

        self.args = args
        settings = Settings.load(args.data_dir).ensure()
        registry = ModelRegistry(settings)
        registry.ensure_default()
        self.base = registry.resolve(args.model).path
        self.judge = RuleQAJudge()
        self.probes = load_probes()
        self.controls: dict[tuple[str, int], Any] = {}  # a control recipe's one fine-tune per seed

    def evaluate(self, adapter: Path | None, qa, family: str, seed: int):
        from past.evaluation import EvalConfig, evaluate_loaded
        from past.training.modeling import load_with_adapter

        model, tokenizer = load_with_adapter(self.base, adapter)
        config = EvalConfig(max_new_tokens=32, prompt=family)
        result = evaluate_loaded(model, tokenizer, qa, self.judge, config, label=family, seed=seed)
        del model
        gc.collect()
        return result

    def train(self, name: str, document, seed: int, work: Path):
        """Stage II of a recipe on one document; a control recipe trains its unrelated passage once per seed."""
        from past.pipeline.adapt import adapt

        control = bool(RECIPES[name].get("control"))
        if control and (name, seed) in self.controls:
            return self.controls[(name, seed)], 0.0, 0.0
        if control:
            document, work = control_document(), work.parent / f"control-{slug(name)}-s{seed}"
        cpu, wall = time.process_time(), time.perf_counter()
        adapted = adapt(self.base, [document], recipe_config(name, seed), work)
        if control:
            self.controls[(name, seed)] = adapted
        return adapted, time.process_time() - cpu, time.perf_counter() - wall

    def kept(self, name: str, index: int, seed: int) -> Path | None:
        """The kept fine-tune of a recipe that equals a preset (``same_as``) on (passage, seed), if one is kept and
        its record says it was trained with exactly this recipe's settings and seed (not, say, a shortened run's)."""
        preset = RECIPES[name].get("same_as")
        if not (self.args.keep_adapters and preset):
            return None
        path = kept_path(self.args.keep_adapters, index, seed, preset)
        training = kept_training(path) if path.is_dir() else None
        if training is None:
            return None
        config = recipe_config(name, seed)
        mine = json.loads(json.dumps([asdict(stage) for stage in config.stages], default=str))
        return path if training.get("seed") == seed and training.get("stages") == mine else None

    def unit(self, name: str, index: int, passage: tuple, seed: int, work: Path) -> dict[str, Any]:
        """One recipe on one (passage, seed). A fine-tune kept by either benchmark for the preset the recipe equals
        is that recipe's fine-tune (same data, SFT and seed; a test checks they train alike, and on CPU the same
        seed gives the same weights): it is evaluated here, not trained twice, and its recorded cost is reported."""
        document, qa = passage
        kept = self.kept(name, index, seed)
        if kept is not None:
            adapter, training = kept, kept_training(kept)
        else:
            adapted, cpu, wall = self.train(name, document, seed, work)
            adapter, training = Path(adapted.adapter), training_record(recipe_config(name, seed), adapted, cpu, wall)
            preset = RECIPES[name].get("same_as")
            if self.args.keep_adapters and preset:  # bench/quality.py's systems (past, …) reuse it without training
                keep_adapter(adapter, kept_path(self.args.keep_adapters, index, seed, preset), training)
        stage = training["stage"]
        # The recall family only where the recipe trains its format: a fine-tune on text alone never writes an
        # answer line (measured: 0 of 5 on the first passage, 96 tokens of recitation each, 10x the direct cost).
        families = RECIPES[name].get("families", ("paper",))
        runs = {family: asdict(self.evaluate(adapter, qa, family, seed)) for family in families}
        probes = self.evaluate(adapter, self.probes, "paper", seed)
        return {
            "recipe": name,
            "passage": index,
            "doc_id": document.doc_id,
            "seed": seed,
            "runs": runs,
            "probes": probe_count(probes),
            "train_cpu_s": training["train_cpu_s"],  # a kept fine-tune's: what its training cost where it ran
            "train_wall_s": training["train_wall_s"],
            "trained": "kept" if kept is not None else "here",
            "texts": stage.get("texts") if isinstance(stage, dict) else None,
            "stage": stage,
        }

    def base_unit(self, index: int, passage: tuple) -> dict[str, Any]:
        document, qa = passage
        runs = {"paper": asdict(self.evaluate(None, qa, "paper", 0))}
        return {"recipe": "base", "passage": index, "doc_id": document.doc_id, "seed": None, "runs": runs}


def run(args: argparse.Namespace) -> None:
    import shutil
    import tempfile

    import torch

    torch.set_num_threads(args.threads)
    study = Study(args)
    units = Path(args.out) / "units"
    units.mkdir(parents=True, exist_ok=True)
    chosen = select_passages(50)[: args.passages]
    names = args.recipes.split(",") if args.recipes else SCREEN
    todo = [("base", index, passage, 0) for index, passage in chosen]
    todo += [(name, index, passage, seed) for seed in args.seeds for index, passage in chosen for name in names]
    if args.only_kept:  # the (passage, seed) pairs whose fine-tune of a same_as recipe is kept; all recipes on those
        kept = {(index, seed) for name, index, _, seed in todo if name != "base" and study.kept(name, index, seed)}
        todo = [t for t in todo if (t[1], t[3]) in kept or (t[0] == "base" and t[1] in {i for i, _ in kept})]
    shard, shards = (int(x) for x in args.shard.split("/"))
    base_probes = Path(args.out) / "base_probes.json"
    if not base_probes.exists():  # what the base model answers of the forgetting probes (greedy: once)
        probes = study.evaluate(None, study.probes, "paper", 0)
        base_probes.write_text(json.dumps(probe_count(probes)))
    scratch = Path(tempfile.mkdtemp(prefix="past-storage-"))
    for position, (name, index, passage, seed) in enumerate(todo):
        path = units / f"{slug(name)}-p{index:04d}-s{seed}.json"
        if position % shards != shard or path.exists():
            continue
        started = time.perf_counter()
        if name == "base":
            unit = study.base_unit(index, passage)
        else:
            unit = study.unit(name, index, passage, seed, scratch / path.stem)
            shutil.rmtree(scratch / path.stem, ignore_errors=True)
        write_record(path, unit, units.parent, indent=None)
        print(f"{name} passage {index} seed {seed}: {time.perf_counter() - started:.0f} s", flush=True)
    shutil.rmtree(scratch, ignore_errors=True)


def load_units(out: Path) -> list[dict[str, Any]]:
    return [json.loads(p.read_text()) for p in sorted((out / "units").glob("*.json"))]


def per_question(units: list[dict[str, Any]], family: str, metric: str) -> dict[str, float]:
    """question id (with seed) -> metric, over a recipe's units."""
    return {f"{q['qid']}#s{u['seed']}": float(q[metric]) for u in units for q in u["runs"][family]["questions"]}


def own_family(name: str) -> str:
    """The answer format a recipe is read in: ``recall`` where it trains that format, else the direct ``paper``."""
    return "recall" if "recall" in RECIPES.get(name, {}).get("families", ()) else "paper"


def paired(mine: list[dict[str, Any]], family: str, other: list[dict[str, Any]], other_family: str) -> dict | None:
    """Per-question paired differences (accuracy, F1) of ``mine`` read in ``family`` minus ``other`` read in
    ``other_family``, on the passages and seeds both finished, clustered by passage; None without overlap."""
    from past.evaluation.stats import paired_difference

    shared = {(u["passage"], u["seed"]) for u in mine} & {(u["passage"], u["seed"]) for u in other}
    a_units = [u for u in mine if (u["passage"], u["seed"]) in shared]
    b_units = [u for u in other if (u["passage"], u["seed"]) in shared]
    if not shared or not all(family in u["runs"] for u in a_units):
        return None
    if not all(other_family in u["runs"] for u in b_units):
        return None
    clusters = {f"{q['qid']}#s{u['seed']}": str(u["passage"]) for u in a_units for q in u["runs"][family]["questions"]}
    return {
        "families": [family, other_family],
        "passages": len({p for p, _ in shared}),
        **{
            metric: paired_difference(
                per_question(a_units, family, key), per_question(b_units, other_family, key), clusters
            ).to_dict()
            for metric, key in (("accuracy", "correct"), ("f1", "f1"))
        },
    }


def report(out: Path, names: list[str]) -> dict[str, Any]:
    """Means with intervals per recipe and family, paired differences against short-notes on the passages both
    finished, probes, CPU minutes; writes results.json and summary.md and returns the summary."""
    from past.evaluation.stats import cluster_bootstrap, paired_difference

    units = load_units(out)
    by_recipe: dict[str, list[dict[str, Any]]] = {}
    for unit in units:
        by_recipe.setdefault(unit["recipe"], []).append(unit)
    summary: dict[str, Any] = {"recipes": {}, "settings": {}}
    if (out / "base_probes.json").is_file():
        summary["base_probes"] = json.loads((out / "base_probes.json").read_text())
    order = ["base", *[n for n in names if n in by_recipe]]
    for name in order:
        mine = by_recipe[name]
        entry: dict[str, Any] = {
            "passages": len({u["passage"] for u in mine}),
            "seeds": sorted({u["seed"] for u in mine if u["seed"] is not None}),
        }
        for family in FAMILIES:
            if not all(family in u["runs"] for u in mine):
                continue
            questions = [(u["passage"], q) for u in mine for q in u["runs"][family]["questions"]]
            clusters = [str(p) for p, _ in questions]
            entry[family] = {
                metric: cluster_bootstrap([float(q[key]) for _, q in questions], clusters).to_dict()
                for metric, key in (("accuracy", "correct"), ("f1", "f1"), ("containment", "containment"))
            }
            entry[family]["n_questions"] = len(questions)
            entry[family]["answered"] = round(
                sum(bool(q["prediction"]) for _, q in questions) / max(len(questions), 1), 4
            )
        if name != "base":
            entry["cpu_min_per_passage"] = round(sum(u["train_cpu_s"] for u in mine) / len(mine) / 60, 3)
            entry["cpu_min_median"] = round(statistics.median(u["train_cpu_s"] for u in mine) / 60, 3)
            entry["probes_kept"] = round(sum(u["probes"]["kept"] for u in mine) / len(mine), 2)
            entry["probes_n"] = mine[0]["probes"]["n"]
            baseline = by_recipe.get(BASELINE, [])
            shared = {u["passage"] for u in mine} & {u["passage"] for u in baseline}
            if name != BASELINE and shared:
                a_units = [u for u in mine if u["passage"] in shared]
                b_units = [u for u in baseline if u["passage"] in shared]
                clusters = {
                    f"{q['qid']}#s{u['seed']}": str(u["passage"])
                    for u in a_units
                    for q in u["runs"]["paper"]["questions"]
                }
                entry["vs_short_notes"] = {
                    family: {
                        metric: paired_difference(
                            per_question(a_units, family, key), per_question(b_units, family, key), clusters
                        ).to_dict()
                        for metric, key in (("accuracy", "correct"), ("f1", "f1"))
                    }
                    for family in FAMILIES
                    if all(family in u["runs"] for u in a_units + b_units)
                }
                gain = entry["paper"]["f1"]["mean"] - summary["recipes"].get(BASELINE, entry)["paper"]["f1"]["mean"]
                extra = entry["cpu_min_per_passage"] - summary["recipes"].get(BASELINE, entry).get(
                    "cpu_min_per_passage", 0
                )
                entry["f1_gain_per_extra_cpu_min"] = round(gain / extra, 4) if abs(extra) > 1e-6 else None
            # what a user gets: the recipe in its own answer format against today's default read directly
            if name != BASELINE and baseline:
                entry["own_format_vs_default"] = paired(mine, own_family(name), baseline, "paper")
                # the decision asks for every seed: each seed's replication on its own
                entry["own_format_vs_default_by_seed"] = {
                    str(seed): paired([u for u in mine if u["seed"] == seed], own_family(name), baseline, "paper")
                    for seed in entry["seeds"]
                }
            control = CONTROLS.get(name)
            if control in by_recipe:  # what the target passage adds over the same training without it
                found = paired(mine, own_family(name), by_recipe[control], own_family(name))
                entry["vs_control"] = {**found, "control": control} if found else None
        summary["recipes"][name] = entry
    summary["settings"] = {
        "judge": "rule: token F1 of the answer alone (recall line never judged), correct at >= 0.5",
        "families": {
            "paper": "direct answer, 32 new tokens",
            "recall": "remembered sentence then 'Answer:', 96 new tokens",
        },
        "probes": "assets/probes/general-knowledge.qa.json, paper prompt, counted by containment",
        "decoding": "greedy",
        "machine": f"{os.cpu_count()} CPU cores",
        "recipes": {n: RECIPES[n] for n in order if n in RECIPES},
    }
    write_record(out / "results.json", summary, out)
    (out / "summary.md").write_text(markdown(summary))
    (out / "storage.svg").write_text(chart(summary))
    return summary


def chart(summary: dict[str, Any]) -> str:
    """The storage curve as a self-contained SVG (GitHub shows it in bench/README.md): each recipe's closed-book
    accuracy in its own answer format (95 % CI over passages) against the median training CPU minutes per passage,
    numbered (the legend below names the recipe, its passages and the forgetting probes it kept). A control trained
    once for all passages has no per-passage cost and is left to the table."""
    points = []
    for name, entry in summary["recipes"].items():
        family = own_family(name)
        if name != "base" and family in entry and entry.get("cpu_min_median"):
            acc = entry[family]["accuracy"]
            label = f"{name} ({family} format) · {entry['passages']} passages · accuracy {acc['mean']:.3f} · probes "
            label += f"{entry['probes_kept']:g}/{entry['probes_n']}"
            points.append((label, entry["cpu_min_median"], acc["mean"], acc["low"], acc["high"]))
    points.sort(key=lambda p: p[1])
    width, plot_height = 760, 380
    axes = Axes(
        x_max=max([p[1] for p in points] + [1.0]) * 1.1,
        y_max=max([p[4] for p in points] + [0.1]) * 1.1,
        left=60,
        right=width - 20,
        top=40,
        bottom=plot_height - 50,
    )
    parts = axes.frame("training CPU minutes per passage (median)", "short-answer accuracy")
    for n, (label, cpu, mean, low, high) in enumerate(points, start=1):
        x, y = axes.x(cpu), axes.y
        parts.append(f'<line x1="{x}" y1="{y(low)}" x2="{x}" y2="{y(high)}" stroke="#555"/>')
        parts.append(f'<circle cx="{x}" cy="{y(mean)}" r="4" fill="{PALETTE[0]}"/>')
        parts.append(f'<text x="{x + 6 - 14 * (n % 2)}" y="{y(mean) - 6}" font-weight="bold">{n}</text>')
        parts.append(f'<text x="{axes.left}" y="{plot_height + 16 * n}">{n}  {escape(label)}</text>')
    title = "Storage study: closed-book accuracy (answer line only, 95 % CI) against training CPU minutes per passage"
    return document(width, plot_height + 16 * len(points) + 10, title, parts)


def markdown(summary: dict[str, Any]) -> str:
    def gaps(pair: dict[str, Any] | None) -> list[str]:  # Δ accuracy and Δ F1 of a paired comparison
        return [estimate(pair[metric]["difference"] if pair else None) for metric in ("accuracy", "f1")]

    base = summary.get("base_probes")
    lines = [f"Forgetting probes: the base model keeps {base['kept']} of {base['n']}." if base else "", ""]
    header = ["recipe", "passages", "acc (direct)", "F1 (direct)", "containment (direct)", "acc (recall)"]
    header += ["F1 (recall)", "answer line given (recall)", "probes kept", "CPU min / passage"]
    lines += table(header)
    for name, e in summary["recipes"].items():
        recall = e.get("recall", {})
        answered = f"{recall['answered']:.2f}" if recall else "—"
        direct = [estimate(e["paper"][m]) for m in ("accuracy", "f1", "containment")]
        recalled = [estimate(recall.get(m)) for m in ("accuracy", "f1")]
        cost = [e.get("probes_kept", ""), e.get("cpu_min_per_passage", "")]
        lines.append(row([name, e["passages"], *direct, *recalled, answered, *cost]))
    header = ["paired vs short-notes (per question)", "Δ acc (direct)", "Δ F1 (direct)", "Δ acc (recall)"]
    lines += ["", *table([*header, "Δ F1 (recall)"])]
    for name, e in summary["recipes"].items():
        pair = e.get("vs_short_notes")
        if pair:
            lines.append(row([name, *gaps(pair["paper"]), *gaps(pair.get("recall"))]))
    header = ["each recipe in its own answer format", "format", "Δ acc vs short-notes (direct)"]
    header += ["Δ F1 vs short-notes (direct)", "Δ acc vs its control", "Δ F1 vs its control"]
    lines += ["", *table(header)]
    for name, e in summary["recipes"].items():
        mine, control = e.get("own_format_vs_default"), e.get("vs_control")
        if mine:
            lines.append(row([name, mine["families"][0], *gaps(mine), *gaps(control)]))
    header = ["each recipe in its own format vs short-notes, per seed", "seed", "passages"]
    lines += ["", *table([*header, "Δ acc", "Δ F1"])]
    for name, e in summary["recipes"].items():
        for seed, pair in (e.get("own_format_vs_default_by_seed") or {}).items():
            if pair:
                lines.append(row([name, seed, pair["passages"], *gaps(pair)]))
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--passages", type=int, default=20)
    parser.add_argument("--seeds", default="0", help="comma list")
    parser.add_argument("--model", default="default")
    parser.add_argument("--recipes", help="comma list of recipe names (default: all)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--shard", default="0/1", help="I/N: every N-th unit from the I-th")
    parser.add_argument("--data-dir")
    parser.add_argument("--out", required=True)
    parser.add_argument("--report-only", action="store_true")
    parser.add_argument(
        "--keep-adapters",
        help="keep the fine-tunes of recipes that equal an Adapt preset here, named as bench/quality.py's "
        "--keep-adapters (its past and skill systems then reuse them); one already kept there is reused",
    )
    parser.add_argument(
        "--only-kept",
        action="store_true",
        help="run only the (passage, seed) pairs where a same_as recipe's fine-tune is kept (e.g. by a "
        "bench/quality.py run), every chosen recipe on them",
    )
    args = parser.parse_args()
    args.seeds = [int(s) for s in args.seeds.split(",")]
    if args.only_kept and not args.keep_adapters:
        parser.error("--only-kept needs --keep-adapters (the folder of kept fine-tunes)")
    names = args.recipes.split(",") if args.recipes else SCREEN
    unknown = [n for n in names if n not in RECIPES]
    if unknown:
        parser.error(f"unknown recipe(s) {unknown}: choose from {', '.join(RECIPES)}")
    if not args.report_only:
        run(args)
    print(markdown(report(Path(args.out), names)))


if __name__ == "__main__":
    main()
