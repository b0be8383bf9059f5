"""Benchmark the data side of PaST on the default model: ingest, synthesis and closed-book evaluation,
with batched against one-at-a-time generation (the ratio is what batching buys on this machine).

Run: python bench/data_pipeline.py [--data-dir DIR] [--repeats 3] [--threads N]
Prints a JSON summary (medians over repeats) and a markdown table.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # this checkout's `past`, not an installed copy


def timed(fn, repeats: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeats):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data-dir")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0 = torch's default)")
    args = parser.parse_args()

    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    from past.documents import chunk_text, ingest_many
    from past.evaluation import EvalConfig, evaluate_loaded, load_qa_set
    from past.generators import LocalGenerator
    from past.judges import RuleQAJudge
    from past.models import ModelRegistry
    from past.settings import Settings
    from past.synthesis import SynthesisConfig, synthesize

    settings = Settings.load(args.data_dir).ensure()
    registry = ModelRegistry(settings)
    registry.ensure_default()
    loaded = registry.load("default")
    paths = sorted((ROOT / "assets" / "documents").glob("*-*.md"))
    results: dict[str, float] = {}

    results["ingest_3_docs_s"], ingested = timed(lambda: ingest_many(paths), args.repeats)
    doc = ingested[0].document
    results["chunk_qa128_s"], chunks = timed(lambda: chunk_text(doc.text, loaded.tokenizer, "qa-128", doc.doc_id), 3)

    config = SynthesisConfig(tasks=("qa",), max_new_tokens=48, seed=0)  # 6 QA variants on one chunk
    for batch in (1, 6):
        generator = LocalGenerator(loaded.model, loaded.tokenizer, name="local", batch_size=batch)
        seconds, synth = timed(lambda g=generator: synthesize(chunks[:1], g, config), args.repeats)
        results[f"synth_6_requests_batch{batch}_s"] = seconds
        results[f"synth_qa_parsed_batch{batch}"] = synth.stats.parsed
        results[f"synth_qa_malformed_batch{batch}"] = synth.stats.malformed

    qa = load_qa_set(ROOT / "assets" / "documents").filter(split="test")
    for batch in (1, 12):
        seconds, run = timed(
            lambda b=batch: evaluate_loaded(
                loaded.model, loaded.tokenizer, qa, RuleQAJudge(), EvalConfig(), batch_size=b
            ),
            args.repeats,
        )
        results[f"eval_12_questions_batch{batch}_s"] = seconds
    results["eval_base_accuracy_fictional_test"] = run.accuracy
    results["synth_batching_speedup"] = results["synth_6_requests_batch1_s"] / results["synth_6_requests_batch6_s"]
    results["eval_batching_speedup"] = results["eval_12_questions_batch1_s"] / results["eval_12_questions_batch12_s"]
    results["torch_threads"] = torch.get_num_threads()
    print(json.dumps(results, indent=2))
    print("\n| measure | value |\n|---|---|")
    for key, value in results.items():
        print(f"| {key} | {value:.3f} |" if isinstance(value, float) else f"| {key} | {value} |")


if __name__ == "__main__":
    main()
