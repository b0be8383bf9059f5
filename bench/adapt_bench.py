"""One uploaded page of text -> an injected, chat-ready model: wall time and each stage's share.

Stages: ingest (read + chunk the page), target SFT (LoRA, the CPU defaults), inject (θ_T^sft + λ·v,
written as a safetensors checkpoint), load for chat (load the result and stream the first answer).
Target: under 3 minutes in total on the 2-core machine with the default model.

    python bench/adapt_bench.py --model /tmp/pdata/models/smollm2-135m-instruct \
        --skill assets/skills/closed-book-qa-smollm2-135m [--page assets/documents/isle-of-vessary.md]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from past.pipeline import AdaptConfig, adapt
from past.pipeline.build_skill import sft_dataset_for
from past.pipeline.corpus import load_corpus
from past.progress import NullReporter
from past.serving.chat import stream_chat
from past.serving.generation import GenerationParams
from past.training.modeling import load_model

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default="/tmp/pdata/models/smollm2-135m-instruct")
    parser.add_argument("--skill", default=str(ROOT / "assets" / "skills" / "closed-book-qa-smollm2-135m"))
    parser.add_argument("--page", default=str(ROOT / "assets" / "documents" / "isle-of-vessary.md"))
    parser.add_argument("--steps", type=int, default=20, help="target SFT steps")
    parser.add_argument("--lam", type=float, default=1.0)
    parser.add_argument("--threads", type=int, help="torch threads (default: torch's own choice)")
    parser.add_argument("--json")
    args = parser.parse_args()
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    from transformers import AutoTokenizer

    timings: dict[str, float] = {}
    total, cpu = time.perf_counter(), time.process_time()
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        corpus = load_corpus([args.page])
        dataset = sft_dataset_for(corpus, AutoTokenizer.from_pretrained(args.model), 192)
        timings["ingest"] = time.perf_counter() - t
        config = AdaptConfig(lam=args.lam, sft={"max_steps": args.steps, "batch_size": 4, "max_length": 256})
        t = time.perf_counter()
        result = adapt(
            args.model, [args.page], args.skill, config, Path(tmp) / "run", reporter=NullReporter(), dataset=dataset
        )
        adapt_seconds = time.perf_counter() - t
        timings["target_sft"] = result["stage_seconds"]["target_sft"]
        timings["inject"] = result["stage_seconds"]["inject"]
        timings["adapt_overhead"] = adapt_seconds - timings["target_sft"] - timings["inject"]
        t = time.perf_counter()
        model, tokenizer = load_model(result["model_dir"])
        answer = "".join(
            stream_chat(
                model,
                tokenizer,
                [{"role": "user", "content": "Where is the Isle of Vessary?"}],
                GenerationParams(max_new_tokens=24, temperature=0.0),
            )
        )
        timings["load_and_first_answer"] = time.perf_counter() - t
    seconds = time.perf_counter() - total
    report = {
        "total_s": round(seconds, 1),
        "total_cpu_s": round(time.process_time() - cpu, 1),
        "under_3_minutes": seconds < 180,
        "page_words": sum(len(d.text.split()) for d in corpus.documents),
        "sft_examples": len(dataset),
        "sft_steps": args.steps,
        "first_loss": result["sft"]["first_loss"],
        "last_loss": result["sft"]["last_loss"],
        "stages_s": {k: round(v, 1) for k, v in timings.items()},
        "stages_share": {k: round(v / seconds, 3) for k, v in timings.items()},
        "answer": answer,
    }
    print(json.dumps(report, indent=2))
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
