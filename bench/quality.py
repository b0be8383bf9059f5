"""Quality benchmark: the paper's single-passage protocol on SQuAD dev passages, at this project's scale.

For each target passage (a fixed, documented set: ``--passages N`` spread evenly over
``shared/data/squad/dev_passages.json``, passage i = index round(i * 1817 / N)) and each seed, Stage II runs
exactly as the studio's Adapt does (:func:`past.pipeline.adapt` with a preset), then every system answers that
passage's questions closed-book with the one evaluator (:mod:`past.evaluation`). Systems:

* ``base`` — the base model (greedy: seed-independent, evaluated once);
* ``sft-passage`` — SFT on the passage alone (preset ``passage-only``);
* ``sft-synth`` — SFT on the passage + the model's own implications (preset ``short-notes``; ``--preset`` names
  another, e.g. ``recall-practice`` read with ``--prompt recall``: then ``sft-synth`` and ``past`` are that preset's);
* ``past`` — ``sft-synth`` + λ·v (the same run's injected adapter); ``past@λ`` for the ``--lambdas`` sweep;
* ``skill-only`` — base + λ·v without any SFT (does the skill alone explain a gain?);
* ``pre-injection`` and ``sequential`` — the paper's transfer-strategy ablation (``--ablations``; sequential
  needs θ_S^rl, ``--source-model``).

Metrics per question: short-answer correctness (the rule judge: token F1 ≥ 0.5), F1, exact match,
containment (lenient, secondary) and, with ``--judge-endpoint``, an LLM judge's verdict. Means carry 95 %
cluster-bootstrap intervals over passages; ``past − sft-synth`` and the other pairs are paired per question.
CPU seconds per passage and system are recorded. Resumable per (passage, seed): finished units are kept in
``OUT/units/`` and skipped. ``--keep-adapters`` keeps the ``--preset`` fine-tunes; ``--only-kept`` runs only the
units whose fine-tune is kept there (by this script or bench/target_recipes.py), training nothing. ``--multi-doc``
adds the paper's multi-document regime (all target passages in one fine-tune, per seed). ``--probes SYSTEMS`` also
asks those systems the 20 general-knowledge forgetting probes (``assets/probes``; paper prompt, counted by
containment, as bench/target_recipes.py and the report card count them). Writes ``results.json``,
``questions.csv``, ``summary.md`` and ``chart.html``.

    python bench/quality.py --skill closed-book-qa-smollm2-135m --passages 50 --seeds 0,1,2 --out bench/results/quality
"""

from __future__ import annotations

import argparse
import csv
import gc
import json
import os
import shutil
import sys
import tempfile
import time
from dataclasses import asdict
from functools import partial
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from records import portable, write_record  # a sibling module
from tables import estimate, row, table

from past.adapt_params import PRESET_NAMES

ROOT = Path(__file__).resolve().parent.parent
DEV = ROOT.parent / "shared" / "data" / "squad" / "dev_passages.json"
MAIN_PAIRS = [
    ("past", "sft-synth"),
    ("sft-synth", "base"),
    ("sft-passage", "base"),
    ("sft-synth", "sft-passage"),
    ("past", "skill-only"),
    ("skill-only", "base"),
]


def select_passages(count: int, max_questions: int | None = None) -> list[tuple[int, Any]]:
    """``count`` passages spread evenly over the dev file (index round(i·n/count)): (index, (document, QA set)).

    ``max_questions`` keeps the first N questions of each passage (a smoke run; the protocol uses them all).
    """
    from past.pipeline.public import load_squad

    if not DEV.is_file():
        sys.exit(f"error: {DEV} not found (the shared SQuAD data sits beside the project: ../shared/data/squad)")
    dev = load_squad(DEV)
    indices = sorted({round(i * len(dev.documents) / count) for i in range(count)})
    chosen = []
    for i in indices:
        document = dev.documents[i]
        qa = dev.qa.filter(docs=[document.doc_id])
        chosen.append((i, (document, qa.filter(limit=max_questions) if max_questions else qa)))
    return chosen


def unit_path(out: Path, index: int, seed: int | None) -> Path:
    """Where a (passage, seed) unit is stored; seed None is the passage's seedless unit (base, skill alone)."""
    return out / "units" / (f"p{index:04d}-base.json" if seed is None else f"p{index:04d}-s{seed}.json")


def kept_path(root: str | Path, index: int, seed: int, preset: str) -> Path:
    """Where ``--keep-adapters`` keeps the ``preset`` fine-tune of (passage, seed); bench/target_recipes.py keeps the
    fine-tunes of its recipes that equal a preset here too, so this benchmark adds systems on them without training."""
    return Path(root) / f"p{index:04d}-s{seed}-{preset}"


KEPT_TRAINING = "kept-training.json"  # beside a kept fine-tune: what training it cost, for the other benchmark


def keep_adapter(adapter: Path, target: Path, training: dict[str, Any] | None = None) -> Path:
    """Copy ``adapter`` to ``target`` atomically and return ``target``; one kept first (a shard, another run) wins.
    ``training`` (CPU and wall seconds, the stage record) is kept beside it, so a benchmark that reuses the fine-tune
    reports what it cost to train."""
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = target.with_name(target.name + ".tmp")
    shutil.rmtree(staging, ignore_errors=True)
    shutil.copytree(adapter, staging)
    if training is not None:
        (staging / KEPT_TRAINING).write_text(json.dumps(training, default=str))
    try:
        staging.replace(target)
    except OSError:  # another process (a shard, an ablation run) kept this fine-tune first: use that one
        if not target.is_dir():
            raise
        shutil.rmtree(staging, ignore_errors=True)
    return target


def training_record(config, adapted, cpu: float, wall: float) -> dict[str, Any]:
    """What :func:`keep_adapter` keeps beside a fine-tune: the settings it was trained with (seed and stages, for a
    benchmark reusing it to check they are its own), its CPU and wall seconds, the stage record."""
    from dataclasses import asdict

    return {
        "seed": config.seed,
        "stages": [asdict(stage) for stage in config.stages],
        "train_cpu_s": round(cpu, 2),
        "train_wall_s": round(wall, 2),
        "stage": adapted.stages[0],
    }


def kept_training(kept: Path) -> dict[str, Any] | None:
    """What :func:`keep_adapter` recorded of the training of a kept fine-tune (None: kept without a record)."""
    path = kept / KEPT_TRAINING
    return json.loads(path.read_text()) if path.is_file() else None


PROBED = ("base", "skill-only", "sft-synth", "past")  # and past@λ: the systems --probes can ask


def probe_count(result) -> dict[str, int]:
    """How many forgetting probes a system kept (an answer counts when it contains the reference)."""
    return {"kept": int(sum(q.containment for q in result.questions)), "n": len(result.questions)}


class Bench:
    """Loaded once per process: the base model path, the skill, the judges, the evaluation settings."""

    def __init__(self, args: argparse.Namespace) -> None:
        from backend.bootstrap import seed_default_skills
        from past.evaluation import EvalConfig
        from past.judges import RuleQAJudge, make_judge
        from past.models import ModelRegistry
        from past.settings import Settings
        from past.skills import SkillLibrary

        self.args = args
        self.preset = getattr(args, "preset", "short-notes")  # sibling benches (open_book.py) have no --preset
        self.settings = Settings.load(args.data_dir).ensure()
        registry = ModelRegistry(self.settings)
        registry.ensure_default()
        seed_default_skills(self.settings)  # the bundled skills, as the studio's first start adds them
        self.base = registry.resolve(args.model).path
        self.skill = SkillLibrary(self.settings).resolve(args.skill) if args.skill else None
        self.judge = RuleQAJudge()
        self.llm_judge = None
        if args.judge_endpoint:
            from past.generators import EndpointConfig

            endpoint = EndpointConfig(args.judge_endpoint, args.judge_endpoint_model)
            self.llm_judge = make_judge("llm", endpoint=endpoint)
        self.eval_config = EvalConfig(max_new_tokens=args.max_new_tokens, prompt=args.prompt)
        self.lam = args.lam if args.lam is not None else (self.skill.manifest.default_lambda if self.skill else 1.0)
        self.probes = None
        if getattr(args, "probes", None):
            from past.evaluation.report_card import load_probes

            self.probes = load_probes()

    def evaluate(self, label: str, adapter: str | Path | None, qa, seed: int | None, over: Path | None = None):
        from past.evaluation import evaluate_loaded
        from past.training.modeling import load_with_adapter

        model, tokenizer = load_with_adapter(over or self.base, adapter)
        result = evaluate_loaded(model, tokenizer, qa, self.judge, self.eval_config, label=label, seed=seed)
        if self.llm_judge is not None:
            verdicts = self.llm_judge.score_batch(
                [q.question for q in result.questions],
                [q.prediction for q in result.questions],
                [q.references for q in result.questions],
            )
            for question, verdict in zip(result.questions, verdicts, strict=True):
                question.score = verdict  # the LLM judge's verdict, kept beside the rule metrics
        del model
        gc.collect()
        return result

    def probe(self, adapter: str | Path | None) -> dict[str, int]:
        """The forgetting probes of the model with ``adapter`` (paper prompt, greedy, rule judge only)."""
        from past.evaluation import EvalConfig, evaluate_loaded
        from past.training.modeling import load_with_adapter

        model, tokenizer = load_with_adapter(self.base, adapter)
        config = EvalConfig(max_new_tokens=32, prompt="paper")
        result = evaluate_loaded(model, tokenizer, self.probes, self.judge, config, label="probes", seed=None)
        del model
        gc.collect()
        return probe_count(result)

    def kept_adapter(self, index: int, seed: int) -> Path | None:
        if not self.args.keep_adapters:
            return None
        return kept_path(self.args.keep_adapters, index, seed, self.preset)

    def keep(self, adapter: Path, index: int, seed: int, training: dict[str, Any] | None = None) -> Path:
        """The ``--preset`` fine-tune of (passage, seed), kept for systems added later (or used in place)."""
        target = self.kept_adapter(index, seed)
        return adapter if target is None else keep_adapter(adapter, target, training)

    def inject(self, baseline: str, lam: float, out: Path) -> str:
        from past.skills import inject

        return str(inject((self.base, Path(baseline)), [(self.skill, lam)], out, output="adapter", overwrite=True).path)

    def adapt_config(self, preset: str, mode: str, seed: int):
        """The AdaptConfig this benchmark trains ``preset`` with: the preset, with this run's ablation overrides."""
        from past.pipeline.adapt import AdaptConfig

        config = AdaptConfig.from_preset(preset, mode=mode, lam=self.lam if mode != "sft" else None, seed=seed)
        synthesis = getattr(self.args, "synthesis", None)
        if synthesis is not None and preset == self.preset:  # the synthetic-data-type ablation
            config.stages[0].data.synthesis = synthesis
            config.validate()
        if self.args.epochs is not None:
            for stage in config.stages:
                stage.sft = {**stage.sft, "max_steps": 0, "num_train_epochs": self.args.epochs}
        return config

    def adapt(self, document, preset: str, mode: str, seed: int, run_dir: Path, source_model: str | None = None):
        from past.pipeline.adapt import adapt

        config = self.adapt_config(preset, mode, seed)
        skill = self.skill if mode in ("past", "pre_injection") else None
        return adapt(self.base, [document], config, run_dir, skill=skill, source_model=source_model)


def timed(fn):
    """(result, CPU seconds of this process, wall seconds)."""
    cpu, wall = time.process_time(), time.perf_counter()
    result = fn()
    return result, time.process_time() - cpu, time.perf_counter() - wall


def run_unit(bench: Bench, index: int, passage: tuple, seed: int, scratch: Path, unit: dict | None) -> dict[str, Any]:
    """The systems of ``--systems`` missing from ``unit`` (a stored unit, or None) on one passage with one seed.

    The ``short-notes`` fine-tune is kept in ``--keep-adapters`` (when given), so systems built on it (``past``,
    ``past@λ``) can be added later without training again; ``past`` is that fine-tune's adapter + λ·v through
    :func:`past.skills.inject`, exactly what Stage II's mode ``past`` writes.
    """
    document, qa = passage
    unit = unit or {"passage": index, "title": document.name, "seed": seed, "runs": {}, "cost": {}}
    runs, cost = unit["runs"], unit["cost"]
    wanted = set(bench.args.systems) | ({"sft-synth"} if bench.skill is not None else set())
    if bench.skill is not None and seed in bench.args.sweep_seeds:
        wanted |= {f"past@{lam:g}" for lam in bench.args.lambdas}
    need = wanted - set(runs)
    if bench.skill is None:
        need -= {"past", "pre-injection", "sequential"} | {n for n in need if n.startswith("past@")}
    if not bench.args.source_model:
        need.discard("sequential")
    probe = {n for n in bench.args.probes if n in wanted and n in set(runs) | need} - set(unit.get("probes", {}))
    work = scratch / f"p{index}-s{seed}"

    def record(name: str, result, cpu: float, wall: float) -> None:
        runs[name] = asdict(result)
        cost[name] = {"cpu_s": round(cpu, 2), "wall_s": round(wall, 2)}

    if "sft-passage" in need:
        adapted, cpu, wall = timed(lambda: bench.adapt(document, "passage-only", "sft", seed, work / "passage"))
        result, ecpu, ewall = timed(lambda: bench.evaluate("sft-passage", adapted.adapter, qa, seed))
        record("sft-passage", result, cpu + ecpu, wall + ewall)

    def probed(name: str, adapter: str | Path) -> None:
        if name in probe:
            unit.setdefault("probes", {})[name] = bench.probe(adapter)

    synth_based = {n for n in need | probe if n == "sft-synth" or n == "past" or n.startswith("past@")}
    if synth_based:
        kept = bench.kept_adapter(index, seed)
        if kept is None or not kept.is_dir():
            adapted, cpu, wall = timed(lambda: bench.adapt(document, bench.preset, "sft", seed, work / "synth"))
            cost["sft-synth-training"] = {"cpu_s": round(cpu, 2), "wall_s": round(wall, 2)}
            training = training_record(bench.adapt_config(bench.preset, "sft", seed), adapted, cpu, wall)
            kept = bench.keep(Path(adapted.adapter), index, seed, training)
        if "sft-synth" in need:
            result, ecpu, ewall = timed(lambda: bench.evaluate("sft-synth", kept, qa, seed))
            train = cost.get("sft-synth-training", {"cpu_s": 0.0, "wall_s": 0.0})
            record("sft-synth", result, train["cpu_s"] + ecpu, train["wall_s"] + ewall)
        probed("sft-synth", kept)
        lambdas = [("past", bench.lam)] + [(n, float(n.split("@", 1)[1])) for n in sorted(synth_based) if "@" in n]
        for name, lam in lambdas:
            if name not in need | probe:
                continue
            injected = bench.inject(str(kept), lam, work / f"lam-{lam:g}")
            if name in need:
                result, ecpu, ewall = timed(partial(bench.evaluate, name, injected, qa, seed))
                record(name, result, ecpu, ewall)  # training cost: sft-synth's; injection and evaluation here
            probed(name, injected)
    if "pre-injection" in need:
        preset = bench.preset
        adapted, cpu, wall = timed(lambda: bench.adapt(document, preset, "pre_injection", seed, work / "pre"))
        result, ecpu, ewall = timed(lambda: bench.evaluate("pre-injection", adapted.adapter, qa, seed))
        record("pre-injection", result, cpu + ecpu, wall + ewall)
    if "sequential" in need:
        source = bench.args.source_model
        adapted, cpu, wall = timed(
            lambda: bench.adapt(document, bench.preset, "sequential", seed, work / "seq", source)
        )
        result, ecpu, ewall = timed(lambda: bench.evaluate("sequential", adapted.adapter, qa, seed, Path(source)))
        record("sequential", result, cpu + ecpu, wall + ewall)
    shutil.rmtree(work, ignore_errors=True)
    return unit


def seedless_unit(bench: Bench, index: int, passage: tuple, unit: dict | None) -> dict[str, Any]:
    """The systems without training (greedy decoding: one evaluation serves every seed), missing from ``unit``."""
    document, qa = passage
    unit = unit or {"passage": index, "title": document.name, "seed": None, "runs": {}, "cost": {}}
    runs, cost = unit["runs"], unit["cost"]
    if "base" in bench.args.systems and "base" not in runs:
        result, cpu, wall = timed(lambda: bench.evaluate("base", None, qa, None))
        runs["base"], cost["base"] = asdict(result), {"cpu_s": round(cpu, 2), "wall_s": round(wall, 2)}
    if "skill-only" in bench.args.systems and bench.skill is not None and "skill-only" not in runs:
        result, cpu, wall = timed(lambda: bench.evaluate("skill-only", bench.skill.path, qa, None))
        runs["skill-only"], cost["skill-only"] = asdict(result), {"cpu_s": round(cpu, 2), "wall_s": round(wall, 2)}
    return unit


def probe_fixed_models(bench: Bench, out: Path) -> None:
    """The probes of ``base`` and ``skill-only`` when asked: one model each, the same for every passage and seed, so
    asked once and kept in ``OUT/probes.json``."""
    path = out / "probes.json"
    stored = json.loads(path.read_text()) if path.exists() else {}
    adapters = {"base": None, "skill-only": bench.skill.path if bench.skill is not None else None}
    todo = [n for n in ("base", "skill-only") if n in bench.args.probes and n not in stored]
    for name in todo:
        if name == "skill-only" and bench.skill is None:
            continue
        stored[name] = bench.probe(adapters[name])
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(stored))
        tmp.replace(path)


def multi_doc_unit(bench: Bench, chosen: list[tuple[int, tuple]], seed: int, scratch: Path) -> dict[str, Any]:
    """The multi-document regime: one fine-tune on every target passage, then all their questions."""
    from past.evaluation.qa_set import QASet
    from past.pipeline.adapt import AdaptConfig, adapt

    documents, items = [], []
    for _, (document, qa) in chosen:
        documents.append(document)
        items.extend(qa.items)
    qa = QASet(items)
    mode = "past" if bench.skill is not None else "sft"
    config = AdaptConfig.from_preset(bench.preset, mode=mode, lam=bench.lam if bench.skill else None, seed=seed)
    if bench.args.multi_doc_epochs is not None:
        config.stages[0].sft = {**config.stages[0].sft, "max_steps": 0, "num_train_epochs": bench.args.multi_doc_epochs}
    work = scratch / f"multi-s{seed}"
    adapted, cpu, wall = timed(lambda: adapt(bench.base, documents, config, work, skill=bench.skill))
    runs = {"multi-sft": asdict(bench.evaluate("multi-sft", adapted.baseline_adapter, qa, seed))}
    if bench.skill is not None:
        runs["multi-past"] = asdict(bench.evaluate("multi-past", adapted.adapter, qa, seed))
    shutil.rmtree(work, ignore_errors=True)
    return {"seed": seed, "runs": runs, "cost": {"multi-sft": {"cpu_s": round(cpu, 2), "wall_s": round(wall, 2)}}}


def complete_passages(units: list[dict[str, Any]], args: argparse.Namespace) -> list[dict[str, Any]]:
    """The units of the passages that have every seed and every system asked for (a stopped run's report)."""
    by_passage: dict[int, list[dict[str, Any]]] = {}
    for unit in units:
        by_passage.setdefault(unit["passage"], []).append(unit)
    wanted_seeds = set(args.seeds) | {None}
    kept, dropped = [], []
    for passage, group in sorted(by_passage.items()):
        seeds = {u["seed"] for u in group}
        systems = [{n for n in u["runs"] if "@" not in n} for u in group if u["seed"] is not None]  # sweep: seed 0
        same = all(s == systems[0] for s in systems) if systems else False
        (kept if seeds >= wanted_seeds and same else dropped).append((passage, group))
    if dropped:
        print(f"report: {len(dropped)} passage(s) left out, not finished for every seed: {[p for p, _ in dropped]}")
    return [u for _, group in kept for u in group]


def load_runs(units: list[dict[str, Any]]) -> dict[str, list]:
    """System → its EvalResults, one per seed, each over every passage's questions."""
    from past.evaluation.closed_book import QuestionResult, summarise

    by_system: dict[str, dict[Any, list[QuestionResult]]] = {}
    seeds = sorted({u["seed"] for u in units if u["seed"] is not None}) or [None]
    for unit in units:
        for name, run in unit["runs"].items():
            questions = [QuestionResult(**q) for q in run["questions"]]
            targets = seeds if unit["seed"] is None else [unit["seed"]]  # seedless systems serve every seed
            for seed in targets:
                by_system.setdefault(name, {}).setdefault(seed, []).extend(questions)
    return {
        name: [summarise(name, seed, "rule", questions) for seed, questions in sorted(per_seed.items(), key=str)]
        for name, per_seed in by_system.items()
    }


def write_report(
    out: Path, units: list[dict[str, Any]], multi: list[dict[str, Any]], args: argparse.Namespace
) -> dict[str, Any]:
    from past.evaluation.systems import summarize_systems

    systems = load_runs(units)
    swept = [s for s in systems if s.startswith("past@")]
    main_systems = {name: runs for name, runs in systems.items() if name not in swept}
    pairs = [(a, b) for a, b in MAIN_PAIRS if a in main_systems and b in main_systems]
    pairs += [(s, "sft-synth") for s in main_systems if s in ("pre-injection", "sequential")]
    summary = summarize_systems(main_systems, pairs)
    if swept and "sft-synth" in systems:  # the sweep ran on some seeds only: pair it with those seeds' runs
        seeds = {run.seed for run in systems[swept[0]]}
        names = ["sft-synth", *(["past"] if "past" in systems else []), *sorted(swept, key=lambda n: float(n[5:]))]
        same_seeds = {name: [run for run in systems[name] if run.seed in seeds] for name in names}
        summary["lambda_sweep"] = summarize_systems(same_seeds, [(n, "sft-synth") for n in names[1:]])
        summary["lambda_sweep"]["seeds"] = sorted(seeds)
    if multi:
        multi_systems = load_runs(multi)
        pairs_multi = [("multi-past", "multi-sft")] if "multi-past" in multi_systems else []
        summary["multi_doc"] = summarize_systems(multi_systems, pairs_multi)
    cost: dict[str, list[float]] = {}
    for unit in units:
        for name, c in unit["cost"].items():
            cost.setdefault(name, []).append(c["cpu_s"])
    summary["cpu_minutes_per_passage"] = {k: round(sum(v) / len(v) / 60, 3) for k, v in cost.items()}
    fixed = json.loads((out / "probes.json").read_text()) if (out / "probes.json").exists() else {}
    if fixed or any(unit.get("probes") for unit in units):
        summary["probes"] = probe_summary(units, fixed)
    summary["settings"] = {
        "passages": sorted({u["passage"] for u in units}),
        "seeds": sorted({u["seed"] for u in units if u["seed"] is not None}),
        "skill": args.skill,
        "lam": args.lam,
        "prompt": args.prompt,
        "preset": getattr(args, "preset", "short-notes"),
        "judge": "rule: token F1, correct at >= 0.5"
        + (f"; llm: {args.judge_endpoint_model}" if args.judge_endpoint else ""),
        "max_new_tokens": args.max_new_tokens,
        "max_questions_per_passage": args.max_questions,
        "epochs": args.epochs,
        "machine": f"{os.cpu_count()} CPU cores, torch threads {args.threads}",
    }
    write_record(out / "results.json", summary, out, indent=2)
    with open(out / "questions.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            [
                "system",
                "seed",
                "qid",
                "doc_id",
                "question",
                "reference",
                "prediction",
                "correct",
                "f1",
                "em",
                "containment",
            ]
        )
        for name, runs in systems.items():
            for run in runs:
                for q in run.questions:
                    writer.writerow(
                        [
                            name,
                            run.seed,
                            q.qid,
                            q.doc_id,
                            q.question,
                            " | ".join(q.references),
                            q.prediction,
                            int(q.correct),
                            round(q.f1, 4),
                            int(q.em),
                            int(q.containment),
                        ]
                    )
    (out / "summary.md").write_text(markdown(summary))
    (out / "chart.html").write_text(chart(summary))
    return summary


def probe_summary(units: list[dict[str, Any]], fixed: dict[str, dict[str, int]]) -> dict[str, Any]:
    """Forgetting probes kept: ``fixed`` (base, skill-only: one count each), the fine-tuned systems' mean over
    fine-tunes (95 % cluster bootstrap over passages) and, paired per fine-tune, every ``past``/``past@λ`` against
    ``sft-synth`` (negative: the skill made it forget)."""
    from past.evaluation.stats import cluster_bootstrap

    kept: dict[str, list[tuple[str, float]]] = {}
    for unit in units:
        for name, count in unit.get("probes", {}).items():
            kept.setdefault(name, []).append((str(unit["passage"]), float(count["kept"])))
    n = next(c["n"] for c in [*fixed.values(), *(c for u in units for c in u.get("probes", {}).values())])
    out: dict[str, Any] = {"n": n, "fixed": {k: v["kept"] for k, v in fixed.items()}, "systems": {}, "paired": {}}
    for name, values in kept.items():
        out["systems"][name] = cluster_bootstrap([v for _, v in values], [c for c, _ in values]).to_dict()
    for name in sorted(kept):
        if name == "past" or name.startswith("past@"):
            pairs = [
                (str(u["passage"]), u["probes"][name]["kept"] - u["probes"]["sft-synth"]["kept"])
                for u in units
                if {name, "sft-synth"} <= set(u.get("probes", {}))
            ]
            if pairs:
                diff = cluster_bootstrap([float(d) for _, d in pairs], [c for c, _ in pairs]).to_dict()
                out["paired"][f"{name} − sft-synth"] = diff | {"fewer": sum(d < 0 for _, d in pairs)}
    return out


def markdown(summary: dict[str, Any]) -> str:
    cpu = summary.get("cpu_minutes_per_passage", {})
    lines = table(
        ["system", "short-answer accuracy", "F1", "exact match", "containment", "CPU min / passage"],
        (
            [name, *(estimate(entry[m]) for m in ("correct", "f1", "em", "containment")), cpu.get(name, "")]
            for name, entry in summary["systems"].items()
        ),
    )
    lines += ["", *table(["paired difference (per question)", "accuracy", "F1", "better / worse / tied (F1)"])]
    for name, entry in summary["paired"].items():
        f1 = entry["f1"]
        counts = f"{f1['a_better']} / {f1['b_better']} / {f1['ties']}"
        lines.append(row([name, estimate(entry["correct"]["difference"]), estimate(f1["difference"]), counts]))
    if "lambda_sweep" in summary:
        sweep = summary["lambda_sweep"]
        lines += ["", f"λ sweep (seeds {sweep['seeds']}; paired with sft-synth of the same seeds):", ""]
        lines += markdown({"systems": sweep["systems"], "paired": sweep["paired"]}).splitlines()
    if "probes" in summary:
        probes = summary["probes"]
        said = "; ".join(f"{k} keeps {v}" for k, v in probes["fixed"].items())
        lines += [
            "",
            f"Forgetting probes kept of {probes['n']} (paper prompt, containment){': ' + said if said else ''}.",
        ]
        lines += [""]
        if probes["systems"]:
            lines += table(
                ["system (per fine-tune)", "probes kept"], ([k, estimate(v, 2)] for k, v in probes["systems"].items())
            )
        if probes["paired"]:
            lines += ["", *table(["paired difference (per fine-tune)", "probes kept", "fine-tunes with fewer"])]
            lines += [row([k, estimate(v, 2), v["fewer"]]) for k, v in probes["paired"].items()]
    if "multi_doc" in summary:
        lines += ["", "Multi-document regime (all passages in one fine-tune):", ""]
        lines += markdown(
            {"systems": summary["multi_doc"]["systems"], "paired": summary["multi_doc"]["paired"]}
        ).splitlines()
    return "\n".join(lines) + "\n"


def chart(summary: dict[str, Any]) -> str:
    import plotly.graph_objects as go

    names = list(summary["systems"])
    figure = go.Figure()
    for metric, label in (("correct", "short-answer accuracy"), ("f1", "token F1"), ("containment", "containment")):
        means = [summary["systems"][n][metric]["mean"] for n in names]
        figure.add_bar(
            name=label,
            x=names,
            y=means,
            error_y={
                "type": "data",
                "symmetric": False,
                "array": [summary["systems"][n][metric]["high"] - m for n, m in zip(names, means, strict=True)],
                "arrayminus": [m - summary["systems"][n][metric]["low"] for n, m in zip(names, means, strict=True)],
            },
        )
    figure.update_layout(barmode="group", title="Closed-book QA on SQuAD dev passages (95 % CI over passages)")
    return figure.to_html(include_plotlyjs=True, full_html=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--skill", help="skill name in the library (none: SFT systems only)")
    parser.add_argument("--model", default="default")
    parser.add_argument("--passages", type=int, default=50)
    parser.add_argument("--limit", type=int, help="only the first N of the chosen passages")
    parser.add_argument("--max-questions", type=int, help="only the first N questions of each passage (smoke runs)")
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--lam", type=float, help="λ of the 'past' system (default: the skill's)")
    parser.add_argument("--lambdas", default="", help="extra λ values for a sweep, e.g. 0,0.5,1.5,2")
    parser.add_argument("--sweep-seeds", default="0", help="the seeds the λ sweep runs on (it is evaluation only)")
    parser.add_argument("--attach-to-skill", help="write the summary into this skill folder's skill.json metrics")
    parser.add_argument("--keep-adapters", help="keep each --preset fine-tune here (systems added later reuse it)")
    parser.add_argument(
        "--only-kept",
        action="store_true",
        help="only the (passage, seed) units whose --preset fine-tune is already in --keep-adapters (no training: "
        "systems added on fine-tunes another run kept, e.g. bench/target_recipes.py's)",
    )
    parser.add_argument(
        "--probes",
        default="",
        help="systems that also answer the 20 forgetting probes (of base, skill-only, sft-synth, past, past@λ)",
    )
    parser.add_argument("--shard", default="0/1", help="I/N: run every N-th unit from the I-th (parallel processes)")
    parser.add_argument("--systems", default="base,sft-passage,sft-synth,past,skill-only")
    parser.add_argument("--ablations", action="store_true", help="add pre-injection and sequential")
    parser.add_argument("--source-model", help="θ_S^rl checkpoint for the sequential system")
    parser.add_argument(
        "--preset",
        default="short-notes",
        choices=PRESET_NAMES,
        help="the Stage II preset of sft-synth, past and the ablations (default short-notes; recall-practice is read "
        "with --prompt recall)",
    )
    parser.add_argument("--epochs", type=float, help="override the presets' epochs")
    parser.add_argument(
        "--synthesis",
        help="synthetic data of the sft-synth fine-tune instead of the preset's implications, e.g. qa or rewrites,qa "
        "(an ablation: give it its own --out and --keep-adapters)",
    )
    parser.add_argument("--multi-doc", action="store_true", help="also the multi-document regime")
    parser.add_argument("--multi-doc-epochs", type=float, default=3.0)
    parser.add_argument("--prompt", default="paper")
    parser.add_argument("--max-new-tokens", type=int, default=32)
    parser.add_argument("--judge-endpoint", help="OpenAI-compatible URL of an LLM judge")
    parser.add_argument("--judge-endpoint-model")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--data-dir")
    parser.add_argument("--out", required=True)
    parser.add_argument("--report-only", action="store_true", help="rebuild the report from the stored units")
    args = parser.parse_args()
    args.seeds = [int(s) for s in args.seeds.split(",") if s.strip()]
    args.lambdas = [float(x) for x in args.lambdas.split(",") if x.strip()]
    args.sweep_seeds = [int(s) for s in args.sweep_seeds.split(",") if s.strip()]
    args.systems = [s for s in args.systems.split(",") if s]
    args.probes = [s for s in args.probes.split(",") if s]
    unknown = [s for s in args.probes if s not in PROBED and not s.startswith("past@")]
    if unknown:
        parser.error(f"--probes: {', '.join(unknown)} cannot be probed (only {', '.join(PROBED)} and past@λ)")
    if args.synthesis is not None:
        args.synthesis = [s for s in args.synthesis.split(",") if s]
    if args.ablations:
        args.systems += ["pre-injection", "sequential"]
    if args.only_kept and not args.keep_adapters:
        parser.error("--only-kept needs --keep-adapters (the folder of kept fine-tunes)")
    import torch

    torch.set_num_threads(args.threads)
    out = Path(args.out)
    (out / "units").mkdir(parents=True, exist_ok=True)
    chosen = select_passages(args.passages, args.max_questions)[: args.limit]
    if not args.report_only:
        bench = Bench(args)
        probe_fixed_models(bench, out)
        scratch = Path(tempfile.mkdtemp(prefix="past-quality-"))
        # passage-major, a shard = every N-th passage: a run stopped early still has every seed of the passages it
        # finished (the report pairs systems per question, per seed)
        shard, shards = (int(x) for x in args.shard.split("/", 1))
        mine = [(i, p) for position, (i, p) in enumerate(chosen) if position % shards == shard]
        todo = [(i, p, s) for i, p in mine for s in [None, *args.seeds]]
        if args.only_kept:
            kept = {(i, s) for i, _, s in todo if s is not None and bench.kept_adapter(i, s).is_dir()}
            todo = [(i, p, s) for i, p, s in todo if (i, s) in kept or (s is None and any(k[0] == i for k in kept))]
            if not todo:
                sys.exit(f"error: no {bench.preset} fine-tune of these passages and seeds in {args.keep_adapters}")
        started, worked = time.monotonic(), 0
        for n, (index, passage, seed) in enumerate(todo, start=1):
            path = unit_path(out, index, seed)
            stored = json.loads(path.read_text()) if path.exists() else None
            before = json.dumps(stored, sort_keys=True)
            if seed is None:
                unit = seedless_unit(bench, index, passage, stored)
            else:
                unit = run_unit(bench, index, passage, seed, scratch, stored)
            unit = portable(unit, out)
            if json.dumps(unit, sort_keys=True) == before:
                continue  # nothing missing: a resumed run passes over it silently
            tmp = path.with_suffix(".tmp")  # written atomically
            tmp.write_text(json.dumps(unit))
            tmp.replace(path)
            # a resumed run: the time per unit is of the units run here, and what is left is what is not stored
            worked += 1
            left = sum(not unit_path(out, i, s).exists() for i, _, s in todo[n:])
            rate = (time.monotonic() - started) / worked
            print(f"[{n}/{len(todo)}] passage {index} seed {seed}: done, ETA {rate * left / 60:.0f} min", flush=True)
        if args.multi_doc and args.shard.startswith("0/"):
            for seed in args.seeds:
                path = out / "units" / f"multi-s{seed}.json"
                if not path.exists():
                    write_record(path, multi_doc_unit(bench, chosen, seed, scratch), out, indent=None)
                    print(f"multi-document regime, seed {seed}: done", flush=True)
        shutil.rmtree(scratch, ignore_errors=True)
    units = complete_passages([json.loads(p.read_text()) for p in sorted((out / "units").glob("p*.json"))], args)
    multi = [json.loads(p.read_text()) for p in sorted((out / "units").glob("multi-*.json"))]
    summary = write_report(out, units, multi, args)
    if args.attach_to_skill:
        attach(Path(args.attach_to_skill), summary)
    print((out / "summary.md").read_text())


def store_metrics(skill_dir: Path, key: str, entry: dict[str, Any]) -> None:
    """Write ``entry`` as ``metrics[key]`` of the skill's manifest (what the skill card shows)."""
    from past.skills import SkillManifest

    manifest = SkillManifest.read(skill_dir)
    manifest.metrics[key] = entry
    manifest.write(skill_dir)


def metric_estimates(systems: dict[str, Any]) -> dict[str, Any]:
    return {k: {m: v[m] for m in ("correct", "f1", "em", "containment")} for k, v in systems.items()}


def attach(skill_dir: Path, summary: dict[str, Any]) -> None:
    """Store the measured effect in the skill's manifest (what the skill library shows), with its conditions."""
    settings = summary["settings"]
    measured_on = (
        f"{summary['systems']['base']['questions']} closed-book questions on {len(settings['passages'])} held-out "
        f"SQuAD dev passages, {len(settings['seeds'])} seeds, per-passage fine-tune (bench/quality.py)"
    )
    entry = {"measured_on": measured_on, "judge": settings["judge"], "prompt": settings["prompt"]}
    entry |= {"systems": metric_estimates(summary["systems"]), "paired": summary["paired"]}
    store_metrics(skill_dir, "evaluation", entry)


if __name__ == "__main__":
    main()
