"""GRPO step time on the default model: TRL's trainer vs the shared-prefix trainer vs the floor, side by side.

The floor of a GRPO step is what it cannot avoid: sampling the completions in one batch and one forward and
backward pass over prompts + completions. Measured here, on the same prompts (SQuAD questions in the paper's
prompt, chat template included), interleaved round by round so machine noise hits every variant alike:

* ``trl``: ``trl.GRPOTrainer`` as configured by ``past.training.grpo`` (``shared_prefix=False``);
* ``shared``: the same with :mod:`past.training.grpo_shared_prefix` (the default);
* ``floor``: ``model.generate`` on the repeated prompts + one LoRA forward/backward of the full sequences;
* ``shared floor``: prefill once per prompt + the shared-prefix forward/backward.

    python bench/grpo_step.py [--prompts 8] [--generations 4] [--length 20] [--steps 3] [--rounds 2] [--threads 2]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SQUAD = ROOT.parent / "shared" / "data" / "squad" / "train_passages_with_implications.json"


def questions(n: int) -> list[dict]:
    if SQUAD.is_file():
        passages = json.loads(SQUAD.read_text())
        pairs = [{"question": q["question"], "answers": [q["answer"]]} for p in passages for q in p["questions"]]
    else:
        pairs = [{"question": f"What is item {i} of the list?", "answers": [str(i)]} for i in range(n)]
    return pairs[:n]


class StepClock:
    """A TrainerCallback recording each optimizer step's wall time."""

    def __init__(self) -> None:
        from transformers import TrainerCallback

        clock = self

        class _Callback(TrainerCallback):
            def on_step_begin(self, args, state, control, **kwargs):
                clock.started = time.perf_counter()

            def on_step_end(self, args, state, control, **kwargs):
                clock.times.append(time.perf_counter() - clock.started)

        self.times: list[float] = []
        self.started = 0.0
        self.callback = _Callback()


def trainer_steps(model_dir: Path, pairs: list[dict], args: argparse.Namespace, shared: bool) -> list[float]:
    import torch

    from past.judges import RuleQAJudge, judge_reward_fn
    from past.training.data import build_grpo_dataset
    from past.training.grpo import GRPOTrainConfig
    from past.training.grpo_shared_prefix import shared_prefix_trainer_class
    from past.training.modeling import load_model
    from past.training.sft import lora_config

    config = GRPOTrainConfig(
        max_steps=args.steps,
        prompts_per_step=args.prompts,
        num_generations=args.generations,
        max_completion_length=args.length,
        shared_prefix=shared,
    )
    torch.manual_seed(0)
    model, tokenizer = load_model(model_dir)
    tokenizer.padding_side = "left"
    trainer_class = shared_prefix_trainer_class() if shared else __import__("trl").GRPOTrainer
    clock = StepClock()
    with tempfile.TemporaryDirectory() as out:
        trainer = trainer_class(
            model=model,
            reward_funcs=judge_reward_fn(RuleQAJudge()),
            args=config.to_trl(Path(out), use_cpu=True),
            train_dataset=build_grpo_dataset(pairs, None, config.prompts),
            processing_class=tokenizer,
            peft_config=lora_config(8, 16, 0.0, "all-linear"),
            callbacks=[clock.callback],
        )
        trainer.train()
    return clock.times[1:] or clock.times  # the first step includes warm-up


def floor_step(model_dir: Path, pairs: list[dict], args: argparse.Namespace, shared: bool) -> float:
    import torch
    from peft import get_peft_model

    from past.evaluation.prompts import render_prompt
    from past.training.grpo_shared_prefix import grouped_logps, mask_positions, sample_groups
    from past.training.modeling import load_model
    from past.training.sft import lora_config

    model, tokenizer = load_model(model_dir)
    tokenizer.padding_side = "left"
    model = get_peft_model(model, lora_config(8, 16, 0.0, "all-linear"))
    texts = [
        tokenizer.apply_chat_template(
            [{"role": "user", "content": render_prompt(p["question"], "paper")}],
            tokenize=False,
            add_generation_prompt=True,
        )
        for p in pairs[: args.prompts]
        for _ in range(args.generations)
    ]
    enc = tokenizer(texts, return_tensors="pt", padding=True, add_special_tokens=False)
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-5)
    started = time.perf_counter()
    model.eval()
    if shared:
        done = sample_groups(
            model,
            enc["input_ids"],
            enc["attention_mask"],
            max_new_tokens=args.length,
            eos_token_ids=[],
            pad_token_id=tokenizer.pad_token_id,
        )
        completions = torch.tensor(done)
    else:
        with torch.no_grad():
            out = model.generate(
                **enc,
                max_new_tokens=args.length,
                min_new_tokens=args.length,
                do_sample=True,
                pad_token_id=tokenizer.pad_token_id,
            )
        completions = out[:, enc["input_ids"].size(1) :]
    model.train()
    completion_mask = torch.ones_like(completions)
    if shared:
        logps, _ = grouped_logps(model, enc["input_ids"], enc["attention_mask"], completions, completion_mask)
    else:
        ids = torch.cat([enc["input_ids"], completions], 1)
        mask = torch.cat([enc["attention_mask"], completion_mask], 1)
        logits = model(input_ids=ids, attention_mask=mask, position_ids=mask_positions(mask)).logits
        logits = logits[:, -completions.size(1) - 1 : -1]
        logps = torch.log_softmax(logits.float(), -1).gather(-1, completions.unsqueeze(-1)).squeeze(-1)
    (-logps.mean()).backward()
    optimizer.step()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--prompts", type=int, default=8)
    parser.add_argument("--generations", type=int, default=4)
    parser.add_argument("--length", type=int, default=20)
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--model", default="default")
    parser.add_argument("--json", help="write the results here")
    args = parser.parse_args()
    import torch

    from past.models import ModelRegistry
    from past.settings import Settings

    torch.set_num_threads(args.threads)
    model_dir = ModelRegistry(Settings.load().ensure()).resolve(args.model).path
    pairs = questions(args.prompts * args.steps)
    results: dict[str, list[float]] = {"trl": [], "shared": [], "floor": [], "shared floor": []}
    for round_ in range(args.rounds):
        results["floor"].append(floor_step(model_dir, pairs, args, shared=False))
        results["shared floor"].append(floor_step(model_dir, pairs, args, shared=True))
        results["trl"].extend(trainer_steps(model_dir, pairs, args, shared=False))
        results["shared"].extend(trainer_steps(model_dir, pairs, args, shared=True))
        print(f"round {round_ + 1}: " + ", ".join(f"{k} {v[-1]:.1f} s" for k, v in results.items()), flush=True)
    medians = {k: statistics.median(v) for k, v in results.items()}
    floor = medians["floor"]
    print(f"\n{args.prompts} prompts x {args.generations} completions, <= {args.length} tokens, {args.threads} threads")
    print("| variant | median s/step | steps measured | vs floor |\n|---|---|---|---|")
    for name, value in medians.items():
        print(f"| {name} | {value:.2f} | {len(results[name])} | {value / floor:.2f}x |")
    if args.json:
        Path(args.json).write_text(json.dumps({"args": vars(args), "results": results, "medians": medians}, indent=2))


if __name__ == "__main__":
    main()
