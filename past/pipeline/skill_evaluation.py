"""A skill's own evaluation (Stage I's ``evaluation`` spec): Stage II on target documents, then the one evaluator.

One fine-tune on all the target documents (the multi-document regime), then closed-book QA of the base, the
target SFT model and the PaST model (SFT + λ·v) on the targets' questions, with confidence intervals and the
paired PaST − SFT difference (:mod:`past.evaluation.systems`). ``bench/quality.py`` does the per-passage
protocol with seeds; this is the quick figure stored in the skill's manifest.
"""

from __future__ import annotations

import gc
from pathlib import Path
from typing import Any

from past.pipeline.adapt import AdaptConfig, adapt
from past.pipeline.recipe import EvaluationSpec
from past.pipeline.sources import load_sources
from past.progress import Reporter, ScaledReporter
from past.training.modeling import load_with_adapter


def evaluate_skill(
    base: str | Path, skill_dir: str | Path, spec: EvaluationSpec, out_dir: str | Path, reporter: Reporter
) -> dict[str, Any]:
    from past.evaluation import EvalConfig, evaluate_loaded
    from past.evaluation.systems import summarize_systems
    from past.judges import make_judge

    sources = load_sources(spec.targets)
    qa = sources.qa.filter(split=spec.split)
    config = AdaptConfig.from_preset(spec.preset, mode="past", lam=spec.lam)
    result = adapt(
        base,
        sources.documents,
        config,
        Path(out_dir) / "adapt",
        skill=skill_dir,
        reporter=ScaledReporter(reporter, 0, 0.6),
    )
    judge = make_judge(spec.judge)
    eval_config = EvalConfig(max_new_tokens=spec.max_new_tokens, prompt=spec.prompt)
    systems = {"base": None, "sft": result.baseline_adapter, "past": result.adapter}
    runs = {}
    for i, (name, adapter) in enumerate(systems.items()):
        model, tokenizer = load_with_adapter(result.base, adapter)
        sub = ScaledReporter(reporter, 0.6 + 0.4 * i / 3, 0.6 + 0.4 * (i + 1) / 3)
        runs[name] = [evaluate_loaded(model, tokenizer, qa, judge, eval_config, label=name, reporter=sub)]
        del model
        gc.collect()
    summary = summarize_systems(runs, pairs=[("past", "sft"), ("sft", "base")])
    return {
        "measured_on": f"{len(qa)} questions on {len(qa.doc_ids)} target document(s), one fine-tune on all",
        "targets": [d.name for d in sources.documents],
        "judge": judge.name,
        "prompt": spec.prompt,
        "lam": result.lam,
        "preset": spec.preset,
        **summary,
    }
