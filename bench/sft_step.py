"""SFT step time: TRL's SFTTrainer (library defaults and PaST's config) against a raw forward+backward.

Every variant trains the same LoRA (r=32, α=64, all linear projections) on the default model with the
same batch: 4 sequences of exactly ``--tokens`` tokens (no padding). Timings are medians of the steps
after the first (warm-up); raw forward+backward runs are interleaved with the trainer variants so that
load from other processes on this shared machine hits both alike. The ratio is what the target is about.

    python bench/sft_step.py --model /tmp/pdata/models/smollm2-135m-instruct [--steps 6] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

import torch
from datasets import Dataset
from peft import get_peft_model
from transformers import AutoModelForCausalLM, AutoTokenizer, TrainerCallback
from transformers.trainer_callback import PrinterCallback
from trl import SFTConfig, SFTTrainer

from past.training.sft import SFTTrainConfig, lora_config

TEXT = (
    "The Saffron Rail is a narrow-gauge railway that runs for sixty-three kilometres between the mountain town "
    "of Velloc and the coastal city of Marrowgate. It opened in 1879 and was designed by Cassia Dunleavy. "
)


class StepTimer(TrainerCallback):
    def __init__(self) -> None:
        self.times: list[float] = []
        self._t = 0.0

    def on_step_begin(self, args, state, control, **kwargs):
        self._t = time.perf_counter()

    def on_step_end(self, args, state, control, **kwargs):
        self.times.append(time.perf_counter() - self._t)


def make_texts(tokenizer, tokens: int, n: int) -> list[str]:
    ids = tokenizer(TEXT * 8)["input_ids"]
    # the trainer appends EOS; leave room so the sequence is exactly `tokens` long
    return [tokenizer.decode(ids[i : i + tokens - 1]) for i in range(n)]


def load(model_path: str):
    model = AutoModelForCausalLM.from_pretrained(model_path, dtype=torch.float32)
    tok = AutoTokenizer.from_pretrained(model_path)
    tok.pad_token = tok.pad_token or tok.eos_token
    return model, tok


def raw_step_times(model_path: str, batch: dict, steps: int, optimizer_step: bool) -> list[float]:
    model, _ = load(model_path)
    model = get_peft_model(model, lora_config(32, 64, 0.0, "all-linear"))
    model.train()
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-3)
    times = []
    for _ in range(steps):
        t = time.perf_counter()
        out = model(**batch, labels=batch["input_ids"])
        out.loss.backward()
        if optimizer_step:
            opt.step()
        opt.zero_grad(set_to_none=True)
        times.append(time.perf_counter() - t)
    return times[1:]


def trainer_step_times(model_path: str, texts: list[str], steps: int, args_kwargs: dict) -> tuple[list[float], dict]:
    model, tok = load(model_path)
    timer = StepTimer()
    with tempfile.TemporaryDirectory() as out:
        args = SFTConfig(
            output_dir=out,
            max_steps=steps,
            per_device_train_batch_size=len(texts),
            report_to="none",
            save_strategy="no",
            use_cpu=True,
            disable_tqdm=True,
            **args_kwargs,
        )
        trainer = SFTTrainer(
            model=model,
            args=args,
            train_dataset=Dataset.from_dict({"text": texts}),
            processing_class=tok,
            peft_config=lora_config(32, 64, 0.0, "all-linear"),
            callbacks=[timer],
        )
        trainer.remove_callback(PrinterCallback)
        first = trainer.get_train_dataloader()
        shapes = {k: list(v.shape) for k, v in next(iter(first)).items() if hasattr(v, "shape")}
        trainer.train()
    return timer.times[1:], {
        "batch_shapes": shapes,
        "bf16": args.bf16,
        "gradient_checkpointing": args.gradient_checkpointing,
        "logging_steps": args.logging_steps,
    }


def ours() -> dict:
    cfg = SFTTrainConfig(batch_size=4, max_length=256)
    args = cfg.to_trl(Path(tempfile.gettempdir()) / "unused", use_cpu=True)
    return {
        "bf16": args.bf16,
        "gradient_checkpointing": args.gradient_checkpointing,
        "logging_steps": args.logging_steps,
        "max_length": args.max_length,
        "learning_rate": args.learning_rate,
        "dataloader_num_workers": args.dataloader_num_workers,
    }


VARIANTS = {
    "trl_defaults": {},
    "trl_defaults_fp32": {"bf16": False},
    "trl_defaults_no_gc": {"gradient_checkpointing": False},
    "past_config": "ours",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default="/tmp/pdata/models/smollm2-135m-instruct")
    parser.add_argument("--steps", type=int, default=6)
    parser.add_argument("--tokens", type=int, default=64)
    parser.add_argument("--variants", nargs="*", default=list(VARIANTS))
    parser.add_argument("--threads", type=int, help="torch threads (default: torch's own choice)")
    parser.add_argument("--json")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    _, tok = load(args.model)
    texts = make_texts(tok, args.tokens, 4)
    enc = tok([t + tok.eos_token for t in texts], return_tensors="pt", padding=True, add_special_tokens=False)
    batch = {"input_ids": enc["input_ids"], "attention_mask": enc["attention_mask"]}
    results = {"threads": torch.get_num_threads(), "batch": list(batch["input_ids"].shape), "variants": {}}
    raw_all: list[float] = []
    for name in args.variants:
        raw = raw_step_times(args.model, batch, args.steps, optimizer_step=False)
        raw_opt = raw_step_times(args.model, batch, args.steps, optimizer_step=True)
        kwargs = VARIANTS[name]
        if kwargs == "ours":
            kwargs = {k: v for k, v in ours().items() if k not in ("max_length", "learning_rate")}
            kwargs["max_length"] = 256
        times, info = trainer_step_times(args.model, texts, args.steps, kwargs)
        raw_med, raw_opt_med, med = statistics.median(raw), statistics.median(raw_opt), statistics.median(times)
        raw_all += raw
        results["variants"][name] = {
            **info,
            "trainer_step_s": round(med, 3),
            "raw_fwd_bwd_s": round(raw_med, 3),
            "raw_fwd_bwd_adamw_s": round(raw_opt_med, 3),
            "ratio_vs_raw": round(med / raw_med, 2),
            "ratio_vs_raw_with_optimizer": round(med / raw_opt_med, 2),
        }
        print(name, json.dumps(results["variants"][name]), flush=True)
    results["raw_fwd_bwd_median_s"] = round(statistics.median(raw_all), 3)
    print(json.dumps(results, indent=2))
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
