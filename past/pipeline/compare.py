"""Measure a skill on target documents: base vs target SFT vs PaST (and the alternatives), closed-book.

The target SFT adapter is trained once and shared by ``sft`` and ``past``; ``sequential`` and
``pre_injection`` train their own. Writes ``evaluation.json`` and ``evaluation.csv`` to the output dir.
"""

from __future__ import annotations

import csv
import shutil
from pathlib import Path
from typing import Any

from past.pipeline.adapt import AdaptConfig, adapt
from past.pipeline.closed_book import evaluate_closed_book
from past.pipeline.corpus import load_corpus
from past.pipeline.recipe import EvaluationSpec
from past.progress import Reporter, ScaledReporter
from past.training.runs import write_json


def compare_modes(
    base: str | Path,
    skill_dir: str | Path,
    spec: EvaluationSpec,
    out_dir: str | Path,
    reporter: Reporter,
    judge: Any = None,
    source_model: str | Path | None = None,
    seed: int = 0,
    chunk_tokens: int = 192,
) -> dict[str, Any]:
    out_dir = Path(out_dir)
    corpus = load_corpus(spec.targets)
    qa = corpus.questions(spec.split)
    systems = ["base", "sft", *[m for m in spec.modes if m != "sft"]]
    if source_model is None and "sequential" in systems:
        systems.remove("sequential")
    results: dict[str, Any] = {}
    for i, system in enumerate(systems):
        sub = ScaledReporter(reporter, i / len(systems), (i + 1) / len(systems))
        sub.progress(0.0, f"evaluating {system}")
        if system == "base":
            model_dir = Path(base)
        elif system == "past":
            model_dir = _past_from_shared(base, skill_dir, spec.lam, out_dir)
        else:
            cfg = AdaptConfig(mode=system, lam=spec.lam, chunk_tokens=chunk_tokens, sft={"seed": seed, **spec.sft})
            run = out_dir / ("adapt-shared" if system == "sft" else f"adapt-{system}")
            adapted = adapt(base, spec.targets, skill_dir, cfg, run, run / f"model-{system}", sub, source_model)
            model_dir = Path(adapted["model_dir"])
        results[system] = evaluate_closed_book(model_dir, qa, judge, sub, spec.max_new_tokens)
        if system != "base":
            shutil.rmtree(model_dir, ignore_errors=True)
    summary = {
        "lam": spec.lam,
        "questions": len(qa),
        "documents": sorted({q["doc_id"] for q in qa}),
        "judge": type(judge).__name__ if judge else "RuleJudge",
        "mean_score": {s: round(r["mean"], 4) for s, r in results.items()},
        "accuracy": {s: r["accuracy"] for s, r in results.items()},
        "per_document": {s: r["per_document"] for s, r in results.items()},
    }
    write_json(out_dir / "evaluation.json", {**summary, "details": {s: r["questions"] for s, r in results.items()}})
    with open(out_dir / "evaluation.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["system", "id", "doc_id", "question", "prediction", "score"])
        for system, r in results.items():
            for row in r["questions"]:
                writer.writerow([system, row["id"], row["doc_id"], row["question"], row["prediction"], row["score"]])
    return summary


def _past_from_shared(base: str | Path, skill_dir: str | Path, lam: float, out_dir: Path) -> Path:
    """θ_T^sft + λ·v from the target SFT adapter already trained for the 'sft' system."""
    from past.pipeline.adapt import _add_and_save
    from past.pipeline.lora_delta import lora_deltas

    sft_adapter = out_dir / "adapt-shared" / "sft" / "adapter"
    return _add_and_save(
        base, [(lora_deltas(sft_adapter), 1.0), (lora_deltas(skill_dir), lam)], out_dir / "adapt-shared" / "model-past"
    )
