"""Long documents on the CPU (issue 12): base vs SFT with the ``long-document`` preset on LooGLE documents,
with the cost (wall and CPU minutes, peak memory) as the document grows.

Source/target split: the long-document skill's sources are ``shortdep_qa`` rows 0-3
(``assets/recipes/long_document_skill.json``); the targets here are ``longdep_qa`` rows 1-4. Row 0 of
``longdep_qa`` is the same document as row 0 of ``shortdep_qa`` (José Luis Picardo) and is never a target.

For each target document and each slice length (``--chars``, the document's first N characters, at a
sentence boundary), the run: estimates the cost (:mod:`past.pipeline.cost`), adapts (mode ``sft``; the
PaST arm needs the long-document skill built first and is not here yet), records wall seconds, CPU seconds
and peak RSS, then asks the document's
questions closed-book of the base and the adapted model(s) (rule judge; with ``--judge-endpoint`` the LLM
judge with the rule verdict beside it). ``--seeds`` repeats the adaptation with other seeds; the summary
has 95 % CIs over documents. The lead runs it; it takes CPU hours at full length:

    OMP_NUM_THREADS=2 python bench/long_context.py --docs 1,2 --chars 5000,20000 --out runs/long_context
    python bench/long_context.py --docs 1 --chars 3000 --steps 3 --out /tmp/lc   # a smoke run, minutes
"""

from __future__ import annotations

import argparse
import hashlib
import json
import resource
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
LOOGLE = ROOT.parent / "shared" / "data" / "loogle" / "longdep_qa.jsonl"
SOURCE_ROWS = {"shortdep_qa": [0, 1, 2, 3]}  # the skill's sources (documented above)


def _cpu_seconds() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _slice(text: str, chars: int) -> str:
    if chars <= 0 or chars >= len(text):
        return text
    cut = text.rfind(". ", 0, chars)
    return text[: cut + 1 if cut > chars // 2 else chars]


def run_one(settings: Any, doc: Any, qa: Any, chars: int, seed: int, args: argparse.Namespace, out: Path) -> dict:
    from past.documents.chunking import load_tokenizer
    from past.documents.ingest import Document
    from past.evaluation import EvalConfig, ModelSpec, evaluate_models
    from past.generators import EndpointConfig
    from past.judges import make_judge
    from past.models import ModelRegistry
    from past.pipeline import AdaptConfig, adapt
    from past.pipeline.cost import estimate_adapt_cost

    registry = ModelRegistry(settings)
    registry.ensure_default()
    base_dir = Path(registry.resolve("default").path)
    text = _slice(doc.text, chars)
    sha = hashlib.sha256(text.encode("utf-8")).hexdigest()
    piece = Document(doc_id=doc.doc_id, name=doc.name, format="text", text=text, sha256=sha, source=doc.source)
    config = AdaptConfig.from_preset("long-document", mode="sft", seed=seed)
    if args.steps:
        for stage in config.stages:
            stage.sft = {**stage.sft, "max_steps": args.steps}
    estimate = estimate_adapt_cost([piece], config, load_tokenizer(base_dir))
    run_dir = out / f"{doc.doc_id}-{len(text)}-s{seed}"
    wall, cpu = time.monotonic(), _cpu_seconds()
    result = adapt(base_dir, [piece], config, run_dir)
    wall, cpu = time.monotonic() - wall, _cpu_seconds() - cpu
    endpoint = EndpointConfig(args.judge_endpoint, args.judge_endpoint_model) if args.judge_endpoint else None
    judge = make_judge("llm" if endpoint else "rule", endpoint=endpoint)
    specs = [ModelSpec.parse("base=default"), ModelSpec.parse(f"sft=default+{result.baseline_adapter}")]
    comparison = evaluate_models(registry, specs, qa.filter(docs=[doc.doc_id]), judge, EvalConfig())
    return {
        "doc_id": doc.doc_id,
        "chars": len(text),
        "tokens": estimate.document_tokens,
        "seed": seed,
        "estimate_s": round(estimate.seconds, 1),
        "wall_s": round(wall, 1),
        "cpu_s": round(cpu, 1),
        "peak_rss_mb": round(_peak_mb()),
        "stage_seconds": result.stage_seconds,
        "accuracy": {s.label: round(s.accuracy_mean, 4) for s in comparison.summaries},
        "f1": {s.label: round(s.f1_mean, 4) for s in comparison.summaries},
        "runs": [r.to_dict() for r in comparison.runs],
    }


def main() -> int:
    from past.datasets.public import load_loogle
    from past.settings import Settings

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--file", default=str(LOOGLE), help="LooGLE jsonl of the target documents")
    parser.add_argument("--docs", default="1,2", help="row numbers of the target documents (never row 0)")
    parser.add_argument("--chars", default="5000,20000", help="slice lengths (0 = the whole document)")
    parser.add_argument("--seeds", default="0", help="adaptation seeds (≥ 3 for CIs)")
    parser.add_argument("--steps", type=int, default=0, help="cap training steps per stage (0 = the preset's)")
    parser.add_argument("--judge-endpoint")
    parser.add_argument("--judge-endpoint-model")
    parser.add_argument("--data-dir")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    rows = [int(r) for r in args.docs.split(",")]
    if 0 in rows:
        parser.error("row 0 of longdep_qa is a source document of the long-document skill: pick rows 1-4")
    settings = Settings.load(args.data_dir).ensure()
    data = load_loogle(args.file)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    results = []
    for row in rows:
        for chars in [int(c) for c in args.chars.split(",")]:
            for seed in [int(s) for s in args.seeds.split(",")]:
                results.append(run_one(settings, data.documents[row], data.qa, chars, seed, args, out))
                (out / "long_context.json").write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
                r = results[-1]
                print(
                    f"{r['doc_id']} {r['chars']:>7} chars {r['tokens']:>6} tok seed {r['seed']}: "
                    f"estimate {r['estimate_s']:.0f} s, wall {r['wall_s']:.0f} s, CPU {r['cpu_s']:.0f} s, "
                    f"peak {r['peak_rss_mb']} MB, accuracy {r['accuracy']}",
                    flush=True,
                )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
