"""Closed-book tool use on StableToolBench: base vs SFT-on-docs vs PaST (SFT-on-docs + λ·v_tool), ≥ 3 seeds.

Stage I (once, seed 0), on source categories: LoRA SFT on the source queries' API documents (schema,
description, name ↔ usage QA; templates) and their first ReAct steps, merged → θ_S^sft; multi-turn GRPO with
the composite reward against the schema simulator → the RL LoRA is the tool-use skill v (stored as a skill,
tagged ``kind: tool_use``). Stage II per seed, on the held-out target categories: LoRA SFT on the target
queries' API documents plus format alignment written from the documents (no target query is trained on) →
"SFT"; the same adapter with λ·v concatenated (``past.skills.inject``, adapter output) → "PaST". Evaluation:
the ReAct agent, closed book (no documents in the prompt), against the schema simulator, sampling with the
seed; pass rate, valid-call rate and the rest, mean and 95 % CI over seeds, per category.

Every stage writes its result under ``--out`` and is skipped when it is there (rerun to resume).

    python bench/tool_use.py --model /tmp/pd/models/smollm2-135m-instruct --out /tmp/tool-bench
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from past.progress import ConsoleReporter  # noqa: E402
from past.tools import (  # noqa: E402
    AgentConfig,
    ApiSimulator,
    CategorySplit,
    DocsDataConfig,
    RewardWeights,
    ToolEvalRun,
    docs_sft_records,
    evaluate_policy,
    load_stabletoolbench,
    sample_per_category,
    summarise,
    synthetic_first_step_records,
)
from past.tools.evaluation import QueryScore, metric_means  # noqa: E402
from past.tools.skill_build import ToolSkillRecipe, build_tool_skill, sft_on_records, unique_apis  # noqa: E402

SYSTEMS = ("base", "sft", "past")


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def build_skill(args, base: Path, source, out: Path) -> Path:
    rl = {
        "max_steps": args.rl_steps,
        "max_turns": args.rl_turns,
        "max_new_tokens": args.max_new_tokens,
        "prompts_per_step": 2,
        "num_generations": 4,
    }
    recipe = ToolSkillRecipe(name="tool-use-smollm2-135m", sft_steps=args.sft_steps, rl=rl)
    return build_tool_skill(base, source, recipe, out, out / "skill", ConsoleReporter())


def load_policy(base: Path, adapter: Path | None):
    from past.generators import LocalGenerator
    from past.training.modeling import load_with_adapter

    model, tokenizer = load_with_adapter(base, adapter)
    return LocalGenerator(model, tokenizer, batch_size=8)


def run_from_json(data: dict) -> ToolEvalRun:
    from past.tools import Trajectory

    return ToolEvalRun(
        data["label"],
        data["seed"],
        [QueryScore(**s) for s in data["scores"]],
        [Trajectory.from_dict(t) for t in data["trajectories"]],
        data["metrics"],
        data["per_category"],
    )


def evaluate(args, label: str, seed: int, base: Path, adapter: Path | None, target, out: Path) -> ToolEvalRun:
    path = out / "runs" / f"{label}-seed{seed}.json"
    if path.is_file():
        return run_from_json(json.loads(path.read_text()))
    started = time.monotonic()
    agent = AgentConfig(max_turns=args.eval_turns, max_new_tokens=args.max_new_tokens, temperature=0.7, top_p=0.95)
    run = evaluate_policy(
        load_policy(base, adapter), label, target, ApiSimulator(unique_apis(target)), agent, RewardWeights(), seed=seed
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(run.to_dict(), ensure_ascii=False) + "\n")
    log(
        f"eval {label} seed {seed}: {time.monotonic() - started:.0f} s, "
        + ", ".join(f"{k} {v:.3f}" for k, v in run.metrics.items())
    )
    return run


def table(summaries) -> str:
    rows = [
        "| system | pass rate (solved) | valid-call rate | execution rate | format rate | relevant-API recall | "
        "reward |",
        "|---|---|---|---|---|---|---|",
    ]
    for s in summaries:
        m = s.metrics
        rows.append(
            f"| {s.label} | {m['pass_rate']} | {m['valid_call_rate']} | {m['execution_rate']} | "
            f"{m['format_rate']} | {m['relevant_recall']} | {m['reward']} |"
        )
    return "\n".join(rows)


def category_table(summaries) -> str:
    categories = sorted({c for s in summaries for c in s.per_category})
    head = (
        "| category | "
        + " | ".join(f"{s.label} valid-call" for s in summaries)
        + " | "
        + " | ".join(f"{s.label} pass" for s in summaries)
        + " |"
    )
    rows = [head, "|---" * (1 + 2 * len(summaries)) + "|"]
    for c in categories:
        cells = [f"{s.per_category[c]['valid_call_rate'].mean:.2f}" for s in summaries]
        cells += [f"{s.per_category[c]['pass_rate'].mean:.2f}" for s in summaries]
        rows.append(f"| {c} | " + " | ".join(cells) + " |")
    return "\n".join(rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", required=True, type=Path, help="base checkpoint directory")
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "stabletoolbench")
    parser.add_argument("--split", type=Path, default=ROOT / "assets" / "recipes" / "tool_use_split.json")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--per-category", type=int, default=2, help="target queries per held-out category")
    parser.add_argument("--source-per-category", type=int, default=2, help="source queries per category (Stage I)")
    parser.add_argument("--max-queries", type=int, default=0, help="cap on source and target queries (smoke runs)")
    parser.add_argument("--sft-steps", type=int, default=60)
    parser.add_argument("--rl-steps", type=int, default=8)
    parser.add_argument("--rl-turns", type=int, default=2)
    parser.add_argument("--eval-turns", type=int, default=3)
    parser.add_argument("--max-new-tokens", type=int, default=80)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()

    import torch

    torch.set_num_threads(args.threads)
    if not args.data.is_dir():
        print(f"error: no StableToolBench data at {args.data}", file=sys.stderr)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    split = CategorySplit.load(args.split)
    source_all, target_all = split.partition(load_stabletoolbench(args.data).queries)
    source = sample_per_category(source_all, args.source_per_category)
    target = sample_per_category(target_all, args.per_category)
    if args.max_queries:
        source, target = source[: args.max_queries], target[: args.max_queries]
    log(
        f"split {split.name}: {len(source)} source queries (of {len(source_all)}), {len(target)} target queries "
        f"(of {len(target_all)}) in {len({q.category for q in target})} categories"
    )
    skill = build_skill(args, args.model, source, args.out)

    target_apis = unique_apis(target)
    docs = docs_sft_records(target_apis, DocsDataConfig(questions_per_api=1))
    records = docs.records + synthetic_first_step_records(target_apis, docs.texts)
    log(f"stage II data: {len(target_apis)} target APIs, {len(records)} records {docs.counts}")
    runs: dict[str, list[ToolEvalRun]] = {s: [] for s in SYSTEMS}
    for seed in args.seeds:
        runs["base"].append(evaluate(args, "base", seed, args.model, None, target, args.out))
        adapter = sft_on_records(args.model, records, args.out / f"target-sft-{seed}", args.sft_steps, seed)
        runs["sft"].append(evaluate(args, "sft", seed, args.model, adapter, target, args.out))
        past_adapter = args.out / f"past-{seed}"
        if not (past_adapter / "adapter_model.safetensors").is_file():
            from past.skills import SkillVector, inject

            with SkillVector.open(skill) as vector:
                inject((args.model, adapter), [(vector, 1.0)], past_adapter, output="adapter", register=False)
        runs["past"].append(evaluate(args, "past", seed, args.model, past_adapter, target, args.out))

    summaries = [summarise(label, runs[label]) for label in SYSTEMS]
    record = {
        "split": split.to_dict(),
        "source_queries": [q.query_id for q in source],
        "target_queries": [q.query_id for q in target],
        "reward_weights": RewardWeights().to_dict(),
        "args": {k: str(v) for k, v in vars(args).items()},
        "summaries": [s.to_dict() for s in summaries],
        "seconds": round(time.monotonic() - started, 1),
        "skill": json.loads((skill / "skill.json").read_text()).get("metrics"),
    }
    (args.out / "results.json").write_text(json.dumps(record, indent=2) + "\n")
    for label in SYSTEMS:
        overall = metric_means([s for r in runs[label] for s in r.scores])
        log(f"{label}: pooled over seeds " + ", ".join(f"{k} {v:.3f}" for k, v in overall.items()))
    print(table(summaries))
    print()
    print(category_table(summaries))
    log(f"done in {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
