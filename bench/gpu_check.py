"""GPU self-check: the project's training and serving code on random-weight models of real shapes.

Needs no network and nothing outside this repository: the models are Qwen2.5-0.5B, 1.5B and 7B
*configurations* (defined below) built in memory with random weights, the tokenizer is a word-level one
built here, and the data is synthetic. Device, dtype and trainer precision come from ``past.device``,
exactly as in the studio's jobs. Measured, within ``--budget-s`` (8 minutes by default; what does not fit
is reported as skipped):

- device-memory bandwidth (a large tensor copy, read + write);
- SFT step time through the project's ``SFTTrainConfig`` + lean TRL trainer, LoRA and full fine-tuning,
  against a raw forward+backward of the same batch on the same model;
- one GRPO step (``GRPOTrainConfig`` + TRL's GRPOTrainer) with batched rollouts (prompts × group size
  sampled in one generate call) and the project's rule judge as reward;
- A/B decode tokens/s: one base with two LoRA adapters decoded in one batch (the studio's A/B chat path:
  ``served_forward`` + ``StackedLora``) against the same two replies decoded one after the other;
- skill injection θ += λ·v in memory (the per-tensor ``add_`` of ``past.skills.ops.inject``) in GB/s of weights read and
  written, against the copy bandwidth.

Writes ``gpu_check.json`` and ``gpu_check.md`` (a table for bench/README.md) into ``--out``, the JSON
after every measurement, so a run cut short still leaves what it measured. ``--dry-run`` runs the same
code with tiny shapes on the CPU in seconds (CI runs it so that this script cannot rot).

    bench/gpu_check.sh [--dry-run] [--out DIR] [--budget-s 480] [--sizes 0.5b,1.5b,7b]
"""

from __future__ import annotations

import argparse
import gc
import json
import platform
import statistics
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # the project, from this checkout

# Qwen2.5 base-model configurations (config.json of the released checkpoints), random weights only.
QWEN25 = {
    "0.5b": {"hidden_size": 896, "intermediate_size": 4864, "num_hidden_layers": 24, "num_attention_heads": 14,
             "num_key_value_heads": 2, "vocab_size": 151936, "tie_word_embeddings": True},
    "1.5b": {"hidden_size": 1536, "intermediate_size": 8960, "num_hidden_layers": 28, "num_attention_heads": 12,
             "num_key_value_heads": 2, "vocab_size": 151936, "tie_word_embeddings": True},
    "7b": {"hidden_size": 3584, "intermediate_size": 18944, "num_hidden_layers": 28, "num_attention_heads": 28,
           "num_key_value_heads": 4, "vocab_size": 152064, "tie_word_embeddings": False},
}  # fmt: skip
COMMON = {"max_position_embeddings": 32768, "rope_theta": 1_000_000.0, "rms_norm_eps": 1e-6, "use_cache": True}
TINY = {"tiny": {"hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2, "num_attention_heads": 4,
                 "num_key_value_heads": 2, "vocab_size": 2048, "tie_word_embeddings": True}}  # fmt: skip
CHAT_TEMPLATE = (
    "{% for m in messages %}<|{{ m['role'] }}|> {{ m['content'] }} {% endfor %}"
    "{% if add_generation_prompt %}<|assistant|> {% endif %}"
)
FULL_FT_LIMIT = 2e9  # parameters: fp32 weights + AdamW + grads of a 7B model do not fit next to activations


class Shapes:
    """How big the work of one measurement is."""

    def __init__(self, dry: bool) -> None:
        self.batch, self.seq = (2, 16) if dry else (4, 512)
        self.sft_steps = 3 if dry else 6
        self.prompt, self.decode = (8, 8) if dry else (128, 128)
        self.grpo_prompts, self.grpo_group, self.grpo_tokens, self.grpo_steps = (2, 2, 4, 2) if dry else (4, 4, 64, 3)
        self.copy_bytes = (16 if dry else 2048) * 1024**2


class Budget:
    def __init__(self, seconds: float) -> None:
        self.deadline = time.monotonic() + seconds

    def left(self) -> float:
        return self.deadline - time.monotonic()


# --- environment ------------------------------------------------------------------------------------
def versions() -> dict[str, Any]:
    import importlib.metadata as md

    import torch

    found: dict[str, Any] = {"python": platform.python_version()}
    for name in ("torch", "transformers", "peft", "trl", "accelerate", "datasets", "safetensors", "vllm"):
        try:
            found[name] = md.version(name)
        except md.PackageNotFoundError:
            found[name] = None
    found["cuda"] = torch.version.cuda
    found["cudnn"] = torch.backends.cudnn.version() if torch.cuda.is_available() else None
    return found


def make_tokenizer(words: int = 2000) -> Any:
    """A word-level tokenizer over ``w0 … wN`` with a chat template (no files, no downloads)."""
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    specials = ["<pad>", "<eos>", "<unk>", "<|user|>", "<|assistant|>", "<|system|>"]
    vocab = {tok: i for i, tok in enumerate([*specials, *(f"w{i}" for i in range(words))])}
    backend = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    backend.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=backend, pad_token="<pad>", eos_token="<eos>", unk_token="<unk>"
    )
    tokenizer.chat_template = CHAT_TEMPLATE
    return tokenizer


def words(n: int, seed: int) -> str:
    import random

    rng = random.Random(seed)
    return " ".join(f"w{rng.randrange(2000)}" for _ in range(n))


def sync(device: Any) -> None:
    import torch

    if device.is_cuda:
        torch.cuda.synchronize()


def free(device: Any) -> None:
    import torch

    gc.collect()
    if device.is_cuda:
        torch.cuda.empty_cache()


def build_model(config: dict[str, Any], dtype: Any, device: Any, seed: int = 0) -> Any:
    """A random-weight Qwen2 causal LM built directly on ``device`` in ``dtype``."""
    import torch
    from transformers import AutoModelForCausalLM, Qwen2Config

    torch.manual_seed(seed)
    with torch.device(device.torch_device):
        model = AutoModelForCausalLM.from_config(Qwen2Config(**COMMON, **config), dtype=dtype)
    model.generation_config.pad_token_id = 0
    return model


# --- measurements -----------------------------------------------------------------------------------
def copy_bandwidth(device: Any, nbytes: int) -> dict[str, Any]:
    """GB/s of a device-to-device copy, counting the bytes read and written."""
    import torch

    src = torch.empty(nbytes // 2, dtype=torch.bfloat16, device=device.torch_device).normal_()
    dst = torch.empty_like(src)
    times = []
    for _ in range(6):
        sync(device)
        started = time.perf_counter()
        dst.copy_(src)
        sync(device)
        times.append(time.perf_counter() - started)
    seconds = statistics.median(times[1:])
    return {"bytes": nbytes, "copy_gbs": round(2 * nbytes / seconds / 1e9, 1)}


def injection(config: dict[str, Any], device: Any, bandwidth_gbs: float) -> dict[str, Any]:
    """θ += λ·v over every 2-D weight, in place (the injection engine's per-tensor add), in GB/s read + written."""
    import torch

    def add_deltas(model: Any, deltas: dict[str, Any], lam: float) -> None:
        with torch.no_grad():
            for name, param in model.named_parameters():
                if name in deltas:
                    param.add_(deltas[name], alpha=lam)

    model = build_model(config, device.torch_dtype, device)
    deltas = {n: torch.randn_like(p).mul_(1e-3) for n, p in model.named_parameters() if p.dim() == 2}
    moved = 3 * sum(d.numel() * d.element_size() for d in deltas.values())  # read θ, read v, write θ
    times = []
    for _ in range(4):
        sync(device)
        started = time.perf_counter()
        add_deltas(model, deltas, 0.8)
        sync(device)
        times.append(time.perf_counter() - started)
    seconds = statistics.median(times[1:])
    gbs = moved / seconds / 1e9
    return {
        "weights_gb": round(moved / 3 / 1e9, 2),
        "seconds": round(seconds, 4),
        "gbs": round(gbs, 1),
        "of_copy_bandwidth": round(gbs / bandwidth_gbs, 2),
    }


def ab_decode(config: dict[str, Any], device: Any, tokenizer: Any, shapes: Shapes) -> dict[str, Any]:
    """Tokens/s of two adapter replies decoded together (one batch, shared base) vs one after the other."""
    import torch
    from peft import LoraConfig, get_peft_model

    from past.serving.decode import decode_rows
    from past.serving.engine import ServedModel
    from past.serving.generation import GenerationParams
    from past.serving.lora_batch import StackedLora, unsupported_reason
    from past.serving.transformers_engine import served_forward

    model = build_model(config, device.torch_dtype, device)
    lora = LoraConfig(r=16, lora_alpha=32, target_modules="all-linear", init_lora_weights=False)
    torch.manual_seed(1)
    peft = get_peft_model(model, lora, adapter_name="a")
    peft.add_adapter("b", lora)
    peft.eval()
    served = ServedModel("bench", "bench", "-", peft, tokenizer, is_peft=True, adapter_names={"A": "a", "B": "b"})
    if unsupported_reason(peft) is None:
        served.stacked = StackedLora(peft)
    prompt = tokenizer(words(shapes.prompt, 7), add_special_tokens=False)["input_ids"]
    params = GenerationParams(shapes.decode, temperature=0.0)

    def decode(adapters: list[str]) -> float:
        forward = served_forward(served, adapters)
        rows = [prompt] * len(adapters)
        sync(device)
        started = time.perf_counter()
        for _ in decode_rows(forward, rows, [shapes.decode] * len(rows), params, set(), 0):
            pass
        sync(device)
        return time.perf_counter() - started

    decode(["A", "B"])  # warm-up
    pair, sequential = [], []
    for _ in range(3):
        pair.append(2 * shapes.decode / decode(["A", "B"]))
        sequential.append(2 * shapes.decode / (decode(["A"]) + decode(["B"])))
    together, apart = statistics.median(pair), statistics.median(sequential)
    return {
        "prompt_tokens": len(prompt),
        "new_tokens_per_side": shapes.decode,
        "stacked_lora": served.stacked is not None,
        "pair_tokens_per_s": round(together, 1),
        "sequential_tokens_per_s": round(apart, 1),
        "pair_vs_sequential": round(together / apart, 2),
    }


class StepTimer:
    """A trainer callback timing each step and, after it, one raw forward+backward of the same batch."""

    def __init__(self, device: Any, batch: dict[str, Any] | None, autocast: Any) -> None:
        self.device, self.batch, self.autocast = device, batch, autocast
        self.steps: list[float] = []
        self.raw: list[float] = []

    def callback(self) -> Any:
        from transformers import TrainerCallback

        timer = self

        class _Callback(TrainerCallback):
            def on_step_begin(self, args, state, control, **kwargs):
                sync(timer.device)
                timer._t = time.perf_counter()

            def on_step_end(self, args, state, control, model=None, **kwargs):
                sync(timer.device)
                timer.steps.append(time.perf_counter() - timer._t)
                if timer.batch is not None:
                    timer.raw.append(timer.raw_step(model))

        return _Callback()

    def raw_step(self, model: Any) -> float:
        sync(self.device)
        started = time.perf_counter()
        with self.autocast():
            out = model(**self.batch, labels=self.batch["input_ids"])
        out.loss.backward()
        sync(self.device)
        seconds = time.perf_counter() - started
        model.zero_grad(set_to_none=True)
        return seconds


def autocast_for(device: Any, precision: Any) -> Callable[[], Any]:
    import contextlib

    import torch

    if precision.bf16 or precision.fp16:
        dtype = torch.bfloat16 if precision.bf16 else torch.float16
        return lambda: torch.autocast(device.torch_device, dtype=dtype)
    return contextlib.nullcontext


def sft_step(config: dict[str, Any], method: str, device: Any, tokenizer: Any, shapes: Shapes) -> dict[str, Any]:
    """The project's SFT trainer step against a raw forward+backward of the same batch (median after warm-up)."""
    from datasets import Dataset
    from transformers.trainer_callback import PrinterCallback

    from past.device import training_dtype, training_precision
    from past.training.sft import SFTTrainConfig, lean_sft_trainer_class, lora_config

    cfg = SFTTrainConfig(method=method, max_steps=shapes.sft_steps, batch_size=shapes.batch, max_length=shapes.seq)
    model = build_model(config, training_dtype(method, device), device)
    model.config.use_cache = False
    texts = [words(shapes.seq - 1, seed=i) for i in range(shapes.batch * shapes.sft_steps)]  # + EOS = seq
    batch = tokenizer(texts[: shapes.batch], return_tensors="pt", padding=True)
    batch = {k: v.to(device.torch_device) for k, v in batch.items()}
    precision = training_precision(device)
    timer = StepTimer(device, batch, autocast_for(device, precision))
    peft_config = lora_config(cfg.lora_r, cfg.lora_alpha, 0.0, cfg.target_modules) if method == "lora" else None
    with tempfile.TemporaryDirectory() as out:
        trainer = lean_sft_trainer_class()(
            model=model,
            args=cfg.to_trl(Path(out)),
            train_dataset=Dataset.from_dict({"text": texts}),
            processing_class=tokenizer,
            peft_config=peft_config,
            callbacks=[timer.callback()],
        )
        trainer.remove_callback(PrinterCallback)
        trainer.train()
    step, raw = statistics.median(timer.steps[1:]), statistics.median(timer.raw[1:])
    tokens = shapes.batch * shapes.seq
    return {
        "batch": [shapes.batch, shapes.seq],
        "bf16_autocast": precision.bf16,
        "weights": str(training_dtype(method, device)).removeprefix("torch."),
        "trainer_step_s": round(step, 4),
        "raw_fwd_bwd_s": round(raw, 4),
        "ratio_vs_raw": round(step / raw, 2),
        "tokens_per_s": round(tokens / step, 1),
    }


def grpo_step(config: dict[str, Any], device: Any, tokenizer: Any, shapes: Shapes) -> dict[str, Any]:
    """One GRPO step of the project's config: prompts × group rollouts sampled in one batch, rule-judged."""
    from transformers.trainer_callback import PrinterCallback
    from trl import GRPOTrainer

    from past.device import training_dtype
    from past.judges import RuleQAJudge
    from past.training.data import build_grpo_dataset
    from past.training.grpo import GRPOTrainConfig, judge_reward
    from past.training.sft import lora_config

    cfg = GRPOTrainConfig(
        max_steps=shapes.grpo_steps,
        prompts_per_step=shapes.grpo_prompts,
        num_generations=shapes.grpo_group,
        max_completion_length=shapes.grpo_tokens,
        use_vllm=False,  # an in-memory model: vLLM loads checkpoints from disk
    )
    model = build_model(config, training_dtype("lora", device), device)
    qa = [{"question": words(24, seed=i), "answers": [words(2, seed=100 + i)]} for i in range(16)]
    timer = StepTimer(device, None, lambda: None)
    with tempfile.TemporaryDirectory() as out:
        tokenizer.padding_side = "left"
        trainer = GRPOTrainer(
            model=model,
            reward_funcs=judge_reward(RuleQAJudge()),
            args=cfg.to_trl(Path(out)),
            train_dataset=build_grpo_dataset(qa, None),
            processing_class=tokenizer,
            peft_config=lora_config(cfg.lora_r, cfg.lora_alpha, 0.0, cfg.target_modules),
            callbacks=[timer.callback()],
        )
        trainer.remove_callback(PrinterCallback)
        trainer.train()
        tokenizer.padding_side = "right"
    step = statistics.median(timer.steps[1:])
    rollouts = shapes.grpo_prompts * shapes.grpo_group
    return {
        "rollouts_per_step": rollouts,
        "completion_tokens": shapes.grpo_tokens,
        "step_s": round(step, 3),
        "rollout_tokens_per_s": round(rollouts * shapes.grpo_tokens / step, 1),
    }


# --- the run ----------------------------------------------------------------------------------------
def measure(results: dict, key: str, budget: Budget, need_s: float | None, fn: Callable[[], dict], device: Any) -> None:
    """Run one measurement if the budget allows it (``need_s`` None: always); record its numbers, or why
    there are none."""
    if need_s is not None and budget.left() < need_s:
        results[key] = {"skipped": f"time budget ({budget.left():.0f} s left, about {need_s:.0f} s needed)"}
        return
    started = time.monotonic()
    try:
        results[key] = fn()
    except Exception as exc:  # e.g. out of memory: the other measurements still run
        traceback.print_exc()
        results[key] = {"error": f"{type(exc).__name__}: {exc}"[:500]}
    finally:
        free(device)
    results[key]["wall_s"] = round(time.monotonic() - started, 1)
    print(f"{key}: {json.dumps(results[key])}", flush=True)


def _cell(entry: dict | None, fmt: Callable[[dict], str]) -> str:
    if not entry:
        return "–"
    if "skipped" in entry or "error" in entry:
        return "skipped" if "skipped" in entry else "error"
    return fmt(entry)


def _sft(e: dict) -> str:
    return f"{e['trainer_step_s']:.3f} s / {e['raw_fwd_bwd_s']:.3f} s (×{e['ratio_vs_raw']})"


def _grpo(e: dict) -> str:
    return f"{e['step_s']:.2f} s ({e['rollouts_per_step']} × {e['completion_tokens']} tok)"


def _ab(e: dict) -> str:
    return f"{e['pair_tokens_per_s']:.0f} / {e['sequential_tokens_per_s']:.0f} (×{e['pair_vs_sequential']})"


def _inject(e: dict) -> str:
    return f"{e['gbs']:.0f} ({e['of_copy_bandwidth']:.0%})"


def table(report: dict[str, Any]) -> str:
    """The Markdown table for bench/README.md."""
    rows = [
        "| model | params | SFT LoRA step: trainer / raw | SFT full step: trainer / raw | GRPO step (rollouts) "
        "| A/B decode tok/s: pair / sequential | injection GB/s (of copy) |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name, m in report["models"].items():
        cells = [
            _cell(m.get("sft_lora"), _sft),
            _cell(m.get("sft_full"), _sft),
            _cell(m.get("grpo"), _grpo),
            _cell(m.get("ab_decode"), _ab),
            _cell(m.get("injection"), _inject),
        ]
        rows.append(f"| {name} | {m['params_b']:.2f} B | " + " | ".join(cells) + " |")
    v = report["versions"]
    header = (
        f"{report['device']['describe']} · copy bandwidth {report['bandwidth'].get('copy_gbs', '?')} GB/s · "
        f"torch {v['torch']}, transformers {v['transformers']}, peft {v['peft']}, trl {v['trl']} · "
        f"{report['elapsed_s']:.0f} s"
    )
    return header + "\n\n" + "\n".join(rows) + "\n"


def param_count(config: dict[str, Any]) -> float:
    h, i, layers, v = (
        config["hidden_size"],
        config["intermediate_size"],
        config["num_hidden_layers"],
        config["vocab_size"],
    )
    kv = h // config["num_attention_heads"] * config["num_key_value_heads"]
    per_layer = h * h * 2 + h * kv * 2 + 3 * h * i + (h + 2 * kv) + 2 * h  # q,o + k,v + mlp + qkv bias + norms
    embeddings = v * h * (1 if config["tie_word_embeddings"] else 2)
    return (layers * per_layer + embeddings + h) / 1e9


def quiet_libraries() -> None:
    """No progress bars and warnings from the libraries between the measurement lines."""
    import warnings

    import datasets
    import transformers

    datasets.disable_progress_bars()
    transformers.logging.set_verbosity_error()
    warnings.filterwarnings("ignore")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dry-run", action="store_true", help="tiny shapes on the CPU (seconds; for CI)")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "gpu-check-results")
    parser.add_argument("--budget-s", type=float, default=480.0, help="stop starting measurements after this")
    parser.add_argument("--sizes", default="0.5b,1.5b,7b", help="Qwen2.5 shapes to build, of 0.5b, 1.5b, 7b")
    args = parser.parse_args(argv)

    started = time.monotonic()
    budget = Budget(args.budget_s)
    from past.device import CPU, configure_torch, detect

    device = CPU if args.dry_run else detect()
    if not device.is_cuda and not args.dry_run:
        print("error: no CUDA GPU is visible; use --dry-run to check the script on the CPU", file=sys.stderr)
        return 2
    configure_torch(device)
    quiet_libraries()
    configs = TINY if args.dry_run else {k: QWEN25[k] for k in args.sizes.split(",") if k}
    shapes = Shapes(args.dry_run)
    tokenizer = make_tokenizer()
    args.out.mkdir(parents=True, exist_ok=True)
    report: dict[str, Any] = {
        "dry_run": args.dry_run,
        "device": {
            "describe": device.describe(),
            "name": device.name,
            "memory_bytes": device.memory_bytes,
            "count": device.count,
        },
        "versions": versions(),
        "shapes": vars(shapes),
        "bandwidth": {},
        "models": {},
        "elapsed_s": 0.0,
    }

    def save() -> None:
        report["elapsed_s"] = round(time.monotonic() - started, 1)
        (args.out / "gpu_check.json").write_text(json.dumps(report, indent=2) + "\n")

    report["bandwidth"] = copy_bandwidth(device, shapes.copy_bytes)
    save()
    gbs = report["bandwidth"]["copy_gbs"]
    scale = {"tiny": 1, "0.5b": 15, "1.5b": 25, "7b": 60}  # rough seconds per measurement, for the budget
    for name, config in configs.items():
        entry: dict[str, Any] = {"params_b": round(param_count(config), 3)}
        report["models"][name] = entry
        need = None if args.dry_run else scale[name]
        measure(entry, "injection", budget, need, lambda c=config: injection(c, device, gbs), device)
        measure(entry, "ab_decode", budget, need, lambda c=config: ab_decode(c, device, tokenizer, shapes), device)
        save()
        measure(
            entry, "sft_lora", budget, need, lambda c=config: sft_step(c, "lora", device, tokenizer, shapes), device
        )
        save()
        if entry["params_b"] * 1e9 <= FULL_FT_LIMIT:
            run_full = lambda c=config: sft_step(c, "full", device, tokenizer, shapes)  # noqa: E731
            measure(entry, "sft_full", budget, need, run_full, device)
        else:
            entry["sft_full"] = {"skipped": "fp32 master weights + AdamW of this size do not fit next to activations"}
        save()
        if name in ("tiny", "0.5b", "1.5b"):
            run_grpo = lambda c=config: grpo_step(c, device, tokenizer, shapes)  # noqa: E731
            measure(entry, "grpo", budget, need and need * 2, run_grpo, device)
        save()
    save()
    (args.out / "gpu_check.md").write_text(table(report))
    print(table(report))
    print(f"wrote {args.out / 'gpu_check.json'} and {args.out / 'gpu_check.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
