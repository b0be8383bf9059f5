"""SFT step time: TRL's SFTTrainer (library defaults and PaST's config) against a raw forward+backward.

Every variant trains the same LoRA (r=32, α=64, all linear projections) on the default model with the
same batch: 4 sequences of exactly ``--tokens`` tokens (no padding). After every trainer step, the same
model runs one raw forward+backward of the same batch (train mode, fp32, no checkpointing), so trainer and raw
timings alternate step by step and load from other processes on this shared machine hits both alike.
Timings are medians of the steps after the first (warm-up), as wall time and as CPU time of the process
(the latter does not count time stolen by other processes, so it is the steadier measure on a shared
machine; with ``--threads 1`` it is the work done). The ratio is what the target is about.

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
from transformers import AutoModelForCausalLM, AutoTokenizer, TrainerCallback
from transformers.trainer_callback import PrinterCallback
from trl import SFTConfig, SFTTrainer

from past.training.sft import SFTTrainConfig, lean_sft_trainer_class, lora_config

TEXT = (
    "The Saffron Rail is a narrow-gauge railway that runs for sixty-three kilometres between the mountain town "
    "of Velloc and the coastal city of Marrowgate. It opened in 1879 and was designed by Cassia Dunleavy. "
)


class InterleavedTimer(TrainerCallback):
    """Times each trainer step, then one raw forward+backward of the same batch on the same model.

    HF's loop zeroes the gradients before ``on_step_end``; the raw pass's gradients are zeroed again here,
    so the next trainer step starts clean. Trainer and raw timings thus alternate step by step.
    """

    def __init__(self, batch: dict) -> None:
        self.batch = batch
        self.trainer_times: list[float] = []
        self.raw_times: list[float] = []
        self.trainer_cpu: list[float] = []
        self.raw_cpu: list[float] = []
        self.model = None
        self._t = 0.0

    def on_step_begin(self, args, state, control, model=None, **kwargs):
        self._t, self._c = time.perf_counter(), time.process_time()

    def on_step_end(self, args, state, control, model=None, **kwargs):
        self.trainer_times.append(time.perf_counter() - self._t)
        self.trainer_cpu.append(time.process_time() - self._c)
        inner = model.get_base_model()
        checkpointing = inner.is_gradient_checkpointing
        if checkpointing:  # the raw baseline never recomputes activations
            inner.gradient_checkpointing_disable()
        t, c = time.perf_counter(), time.process_time()
        out = model(**self.batch, labels=self.batch["input_ids"])
        out.loss.backward()
        self.raw_times.append(time.perf_counter() - t)
        self.raw_cpu.append(time.process_time() - c)
        model.zero_grad(set_to_none=True)
        if checkpointing:
            inner.gradient_checkpointing_enable(gradient_checkpointing_kwargs=args.gradient_checkpointing_kwargs)


def make_texts(tokenizer, tokens: int, n: int) -> list[str]:
    ids = tokenizer(TEXT * 8)["input_ids"]
    # the trainer appends EOS; leave room so the sequence is exactly `tokens` long
    return [tokenizer.decode(ids[i : i + tokens - 1]) for i in range(n)]


def load(model_path: str):
    model = AutoModelForCausalLM.from_pretrained(model_path, dtype=torch.float32)
    tok = AutoTokenizer.from_pretrained(model_path)
    tok.pad_token = tok.pad_token or tok.eos_token
    return model, tok


def trainer_step_times(
    model_path: str, texts: list[str], batch: dict, steps: int, args_kwargs: dict, lean: bool = False
) -> dict:
    model, tok = load(model_path)
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
        timer = InterleavedTimer(batch)
        trainer = (lean_sft_trainer_class() if lean else SFTTrainer)(
            model=model,
            args=args,
            train_dataset=Dataset.from_dict({"text": texts}),
            processing_class=tok,
            peft_config=lora_config(32, 64, 0.0, "all-linear"),
            callbacks=[timer],
        )
        trainer.remove_callback(PrinterCallback)
        shapes = {
            k: list(v.shape) for k, v in next(iter(trainer.get_train_dataloader())).items() if hasattr(v, "shape")
        }
        trainer.train()
    trainer_s, raw_s = statistics.median(timer.trainer_times[1:]), statistics.median(timer.raw_times[1:])
    trainer_c, raw_c = statistics.median(timer.trainer_cpu[1:]), statistics.median(timer.raw_cpu[1:])
    return {
        "batch_shapes": shapes,
        "bf16": args.bf16,
        "gradient_checkpointing": args.gradient_checkpointing,
        "logging_steps": args.logging_steps,
        "trl_fused_lm_head_metrics": not lean,
        "trainer_step_s": round(trainer_s, 3),
        "raw_fwd_bwd_s": round(raw_s, 3),
        "ratio_vs_raw": round(trainer_s / raw_s, 2),
        "trainer_step_cpu_s": round(trainer_c, 3),
        "raw_fwd_bwd_cpu_s": round(raw_c, 3),
        "cpu_ratio_vs_raw": round(trainer_c / raw_c, 2),
        "trainer_steps_s": [round(t, 2) for t in timer.trainer_times],
        "raw_steps_s": [round(t, 2) for t in timer.raw_times],
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
    "trl_fp32_no_gc": {"bf16": False, "gradient_checkpointing": False},
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
    for name in args.variants:
        kwargs = VARIANTS[name]
        if kwargs == "ours":
            kwargs = {k: v for k, v in ours().items() if k not in ("max_length", "learning_rate")}
            kwargs["max_length"] = 256
        lean = name == "past_config"
        results["variants"][name] = trainer_step_times(args.model, texts, batch, args.steps, kwargs, lean)
        print(name, json.dumps(results["variants"][name]), flush=True)
    print(json.dumps(results, indent=2))
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
