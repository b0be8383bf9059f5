"""Benchmark of A/B serving on the default model (CPU): throughput, time to first token, memory.

    python bench/serving_bench.py [--data-dir D] [--threads 2] [--tokens 64] [--repeats 3]

Measured in one run, medians over ``--repeats``:
- aggregate tokens/s of an A/B pair (two LoRA adapters on one shared base, one batched pass per step)
  against two sequential single generations of the same length (each adapter alone on the same pooled
  model, and two plain models without adapters); EOS is ignored so every run makes exactly ``--tokens``;
- time to first token of each side for a 100-token prompt, through the engine as the studio calls it;
- memory: peak RSS above the interpreter's (torch, transformers and peft imported) of an A/B pair with a
  shared base against one plain model generating alone, each in a fresh subprocess.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGETS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]


def make_adapter(model_dir: Path, out: Path, seed: int) -> Path:
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    if (out / "adapter_model.safetensors").is_file():
        return out
    torch.manual_seed(seed)
    model = AutoModelForCausalLM.from_pretrained(model_dir)
    get_peft_model(model, LoraConfig(r=8, target_modules=TARGETS, init_lora_weights=False)).save_pretrained(out)
    return out


def prompt_of(tokenizer, n_tokens: int) -> list[dict[str, str]]:
    """A user message whose chat-templated prompt is ``n_tokens`` long (give or take one)."""
    from past.serving.prompts import template_ids

    words = ("The quick brown fox jumps over the lazy dog near the river bank. " * 40).split()
    lo, hi = 1, len(words)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if len(template_ids(tokenizer, [{"role": "user", "content": " ".join(words[:mid])}])) <= n_tokens:
            lo = mid
        else:
            hi = mid - 1
    return [{"role": "user", "content": " ".join(words[:lo])}]


def timed_decode(forward, prompts, tokens: int, pad: int) -> float:
    from past.serving.decode import decode_rows
    from past.serving.generation import GenerationParams

    started = time.perf_counter()
    for _ in decode_rows(forward, prompts, [tokens] * len(prompts), GenerationParams(tokens), set(), pad):
        pass
    return time.perf_counter() - started


def throughput_and_ttft(args, settings, adapters) -> dict:
    from backend.model_pool import ModelPool, model_bytes
    from past.models import ModelRegistry
    from past.serving.decode import model_forward
    from past.serving.engine import SideSpec
    from past.serving.generation import GenerationParams
    from past.serving.prompts import template_ids
    from past.serving.transformers_engine import TransformersChatEngine, served_forward

    registry = ModelRegistry(settings)
    pool = ModelPool(registry, budget_bytes=8 * 1024**3)
    plain = registry.load("default")
    one_model = model_bytes(plain.model)
    messages = [{"role": "user", "content": "Tell me about the history of the city of Paris."}]
    results: dict[str, list[float]] = {"pair": [], "seq_adapters": [], "seq_plain": [], "ttft_a": [], "ttft_b": []}
    engine = TransformersChatEngine(pool)
    long_prompt = prompt_of(plain.tokenizer, 100)
    prompt_len = len(template_ids(plain.tokenizer, long_prompt))
    with pool.acquire("default", adapters) as served:
        ids = template_ids(served.tokenizer, messages)
        pad = served.tokenizer.pad_token_id
        a, b = (str(p.resolve()) for p in adapters)
        pair = served_forward(served, [a, b])
        only_a, only_b = served_forward(served, [a]), served_forward(served, [b])
        base = model_forward(plain.model)
        timed_decode(pair, [ids, ids], 8, pad)  # warm-up
        timed_decode(base, [ids], 8, pad)
        for _ in range(args.repeats):
            results["pair"].append(2 * args.tokens / timed_decode(pair, [ids, ids], args.tokens, pad))
            seq = timed_decode(only_a, [ids], args.tokens, pad) + timed_decode(only_b, [ids], args.tokens, pad)
            results["seq_adapters"].append(2 * args.tokens / seq)
            seq = timed_decode(base, [ids], args.tokens, pad) + timed_decode(base, [ids], args.tokens, pad)
            results["seq_plain"].append(2 * args.tokens / seq)
            sides = [SideSpec("default", adapters[0]), SideSpec("default", adapters[1])]
            first: dict[int, float] = {}
            started = time.perf_counter()
            for event in engine.stream(sides, [long_prompt, long_prompt], GenerationParams(max_new_tokens=4)):
                if event.kind == "text" and event.side not in first:
                    first[event.side] = time.perf_counter() - started
            results["ttft_a"].append(first[0])
            results["ttft_b"].append(first[1])
        (entry,) = pool.usage().entries
    med = {k: statistics.median(v) for k, v in results.items()}
    return {
        **{f"{k}_median": round(v, 3) for k, v in med.items()},
        "pair_vs_seq_adapters": round(med["pair"] / med["seq_adapters"], 2),
        "pair_vs_seq_plain": round(med["pair"] / med["seq_plain"], 2),
        "ttft_prompt_tokens": prompt_len,
        "param_bytes_one_model": one_model,
        "param_bytes_pair_entry": entry.bytes,
        "param_bytes_ratio": round(entry.bytes / one_model, 3),
        "raw": {k: [round(x, 3) for x in v] for k, v in results.items()},
    }


def peak_rss() -> int:
    """This process's peak resident memory in bytes (VmHWM: unlike ru_maxrss, not inherited over exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def memory_child(mode: str, data_dir: str, adapters: list[str], tokens: int, threads: int) -> None:
    """Run in a fresh process: print peak RSS above the post-import baseline, in bytes."""
    import peft  # noqa: F401 - part of the baseline for both modes
    import torch
    import transformers  # noqa: F401

    torch.set_num_threads(threads)
    baseline = peak_rss()
    from backend.model_pool import ModelPool
    from past.models import ModelRegistry
    from past.serving.decode import model_forward
    from past.serving.prompts import template_ids
    from past.serving.transformers_engine import served_forward
    from past.settings import Settings

    registry = ModelRegistry(Settings.load(data_dir))
    messages = [{"role": "user", "content": "Tell me about the history of the city of Paris."}]
    if mode == "one":
        loaded = registry.load("default")
        ids = template_ids(loaded.tokenizer, messages)
        timed_decode(model_forward(loaded.model), [ids], tokens, loaded.tokenizer.pad_token_id)
    else:
        pool = ModelPool(registry, budget_bytes=8 * 1024**3)
        with pool.acquire("default", [Path(a) for a in adapters]) as served:
            ids = template_ids(served.tokenizer, messages)
            rows = [str(Path(a).resolve()) for a in adapters]
            timed_decode(served_forward(served, rows), [ids, ids], tokens, served.tokenizer.pad_token_id)
    peak = peak_rss()
    print(json.dumps({"baseline": baseline, "peak": peak, "above": peak - baseline}))


def memory(args, adapters) -> dict:
    out = {}
    for mode in ("one", "pair"):
        cmd = [sys.executable, __file__, "--memory-child", mode, "--data-dir", str(args.data_dir)]
        cmd += ["--tokens", str(args.tokens), "--threads", str(args.threads), "--adapters", *map(str, adapters)]
        done = subprocess.run(cmd, capture_output=True, text=True, check=True, cwd=ROOT)
        out[mode] = json.loads(done.stdout.strip().splitlines()[-1])
    return {
        "rss_above_baseline_one_mib": round(out["one"]["above"] / 2**20),
        "rss_above_baseline_pair_mib": round(out["pair"]["above"] / 2**20),
        "rss_ratio": round(out["pair"]["above"] / out["one"]["above"], 3),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--tokens", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--memory-child", choices=["one", "pair"])
    parser.add_argument("--adapters", nargs="*", default=[])
    args = parser.parse_args()
    if args.memory_child:
        memory_child(args.memory_child, args.data_dir, args.adapters, args.tokens, args.threads)
        return 0

    import torch

    from past.models import ModelRegistry
    from past.settings import BUNDLED_MODEL_NAME, Settings

    torch.set_num_threads(args.threads)
    settings = Settings.load(args.data_dir).ensure()
    args.data_dir = settings.data_dir
    ModelRegistry(settings).ensure_default()
    model_dir = settings.models_dir / BUNDLED_MODEL_NAME
    work = Path(tempfile.gettempdir()) / "past-serving-bench"
    adapters = [make_adapter(model_dir, work / "adapter-a", 1), make_adapter(model_dir, work / "adapter-b", 2)]
    report = {"threads": args.threads, "tokens": args.tokens, "repeats": args.repeats}
    report.update(throughput_and_ttft(args, settings, adapters))
    report.update(memory(args, adapters))
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
