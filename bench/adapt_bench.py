"""One uploaded page of text -> an injected, chat-ready model: wall time, CPU time and each stage's share.

Runs exactly what the studio's Adapt does (:func:`past.pipeline.adapted.adapt_and_publish` with a preset) in a
throw-away data directory: writing practice material (synthesis), target SFT (LoRA, the preset's epochs),
injection (θ_T^sft + λ·v as one adapter) and publishing; then loads the injected model and answers a question.
Target: under 3 minutes in total on the 2-core machine with the default model (quiet machine).

    python bench/adapt_bench.py [--page assets/documents/isle-of-vessary.md] [--preset short-notes] [--threads 2]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--skill", default="closed-book-qa-smollm2-135m", help="a skill of the bundled library")
    parser.add_argument("--page", default=str(ROOT / "assets" / "documents" / "isle-of-vessary.md"))
    parser.add_argument("--preset", default="short-notes")
    parser.add_argument("--epochs", type=float, help="override the preset's epochs")
    parser.add_argument("--question", default="Where is the Isle of Vessary?")
    parser.add_argument("--threads", type=int, help="torch threads (default: torch's own choice)")
    parser.add_argument("--json")
    args = parser.parse_args()
    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    from backend.bootstrap import seed_default_skills
    from past.generators.local import LocalGenerator
    from past.models import ModelRegistry
    from past.pipeline import AdaptConfig, load_sources
    from past.pipeline.adapted import adapt_and_publish
    from past.serving.generation import GenerationParams
    from past.settings import Settings
    from past.training.modeling import load_with_adapter

    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings.load(tmp).ensure()
        ModelRegistry(settings).ensure_default()
        seed_default_skills(settings)
        total, cpu = time.perf_counter(), time.process_time()
        t = time.perf_counter()
        documents = load_sources([args.page]).documents
        ingest = time.perf_counter() - t
        config = AdaptConfig.from_preset(args.preset, mode="past")
        if args.epochs is not None:
            config.stages[0].sft = {**config.stages[0].sft, "max_steps": 0, "num_train_epochs": args.epochs}
        record = adapt_and_publish(
            settings,
            name="bench-page",
            base_ref="default",
            documents=documents,
            config=config,
            run_dir=Path(tmp) / "run",
            skill_name=args.skill,
        )
        t = time.perf_counter()
        model, tokenizer = load_with_adapter(ModelRegistry(settings).resolve("default").path, record["injected"])
        generator = LocalGenerator(model, tokenizer)
        answer = generator.generate(
            [[{"role": "user", "content": args.question}]], GenerationParams(max_new_tokens=24, temperature=0.0)
        )[0]
        first_answer = time.perf_counter() - t
        seconds = time.perf_counter() - total
        stages = {"ingest": ingest, **record["stage_seconds"], "load_and_first_answer": first_answer}
    report = {
        "total_s": round(seconds, 1),
        "total_cpu_s": round(time.process_time() - cpu, 1),
        "under_3_minutes": seconds < 180,
        "page_words": sum(len(d.text.split()) for d in documents),
        "preset": args.preset,
        "training_texts": record["stages"][0]["texts"],
        "sft_steps": record["stages"][0]["steps"],
        "first_loss": record["stages"][0]["first_loss"],
        "last_loss": record["stages"][0]["last_loss"],
        "stages_s": {k: round(v, 1) for k, v in stages.items()},
        "stages_share": {k: round(v / seconds, 3) for k, v in stages.items()},
        "answer": answer,
    }
    print(json.dumps(report, indent=2))
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
