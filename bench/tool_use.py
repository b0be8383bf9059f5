"""Closed-book tool use on StableToolBench: base vs SFT-on-docs vs PaST (SFT-on-docs + λ·v_tool), ≥ 3 seeds.

Stage I (once, seed 0), on source categories: LoRA SFT on the source queries' API documents (schema,
description, name ↔ usage QA; templates) and the first ReAct steps of more source queries
(``--format-per-category``), merged → θ_S^sft; multi-turn GRPO with
the composite reward against the schema simulator → the RL LoRA is the tool-use skill v (stored as a skill,
tagged ``kind: tool_use``). Stage II per seed, on the held-out target categories: LoRA SFT on the target
queries' API documents plus format alignment written from the documents (no target query is trained on) →
"SFT"; the same adapter with λ·v concatenated (``past.skills.inject``, adapter output) → "PaST". Evaluation:
the ReAct agent, closed book (no documents in the prompt), against the schema simulator, sampling with the
seed; pass rate, valid-call rate and the rest, mean and 95 % CI over seeds, per category, and paired differences
per query and seed (PaST − SFT, SFT − base). ``--hints names`` adds the evaluation with the API names given.

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
sys.path.insert(0, str(ROOT / "bench"))

from records import write_record  # noqa: E402  (a sibling module)

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


def build_skill(args, base: Path, source, format_queries, out: Path) -> Path:
    rl = {
        "max_steps": args.rl_steps,
        "max_turns": args.rl_turns,
        "max_new_tokens": args.max_new_tokens,
        "prompts_per_step": 2,
        "num_generations": 4,
    }
    recipe = ToolSkillRecipe(
        name="tool-use-smollm2-135m", sft_steps=args.sft_steps, sft_max_length=args.sft_max_length, rl=rl
    )
    return build_tool_skill(base, source, recipe, out, out / "skill", ConsoleReporter(), format_queries)


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


def evaluate(
    args, label: str, seed: int, base: Path, adapter: Path | None, target, out: Path, hint: str = "none"
) -> ToolEvalRun:
    """One system on the target queries; ``hint`` "names" puts the query's API names in the prompt (labels
    ``<system>+names``): the closed-book setting with the names' recall taken out."""
    label = label if hint == "none" else f"{label}+{hint}"
    path = out / "runs" / f"{label}-seed{seed}.json"
    if path.is_file():
        return run_from_json(json.loads(path.read_text()))
    started = time.monotonic()
    agent = AgentConfig(
        max_turns=args.eval_turns, max_new_tokens=args.max_new_tokens, temperature=0.7, top_p=0.95, hint=hint
    )
    run = evaluate_policy(
        load_policy(base, adapter), label, target, ApiSimulator(unique_apis(target)), agent, RewardWeights(), seed=seed
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    write_record(path, run.to_dict(), path.parent.parent, indent=None, ensure_ascii=False)
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


PAIRED_METRICS = ("solved", "valid_call", "execution", "format", "reward")


def paired(runs_a: list[ToolEvalRun], runs_b: list[ToolEvalRun]) -> dict[str, dict]:
    """``a − b`` per query and seed (same seed, same query), 95 % bootstrap CI over queries (all seeds pooled)."""
    from past.evaluation.stats import paired_difference

    out = {}
    for metric in PAIRED_METRICS:
        a = {f"{s.query_id}@{r.seed}": getattr(s, metric) for r in runs_a for s in r.scores}
        b = {f"{s.query_id}@{r.seed}": getattr(s, metric) for r in runs_b for s in r.scores}
        clusters = {key: key.rsplit("@", 1)[0] for key in a}
        out[metric] = paired_difference(a, b, clusters).to_dict()
    return out


def paired_lines(name: str, diffs: dict[str, dict]) -> list[str]:
    lines = []
    for metric, d in diffs.items():
        e = d["difference"]
        lines.append(
            f"| {name} | {metric} | {e['mean']:+.3f} [{e['low']:+.3f}, {e['high']:+.3f}] | "
            f"{d['a_better']} / {d['b_better']} / {d['ties']} |"
        )
    return lines


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
    parser.add_argument("--sft-max-length", type=int, default=512, help="tokens per SFT text (the tool-docs preset's)")
    parser.add_argument(
        "--format-per-category",
        type=int,
        default=8,
        help="source queries per category whose first ReAct steps are Stage I's format alignment (0: the RL queries)",
    )
    parser.add_argument("--rl-steps", type=int, default=8)
    parser.add_argument("--rl-turns", type=int, default=2)
    parser.add_argument("--eval-turns", type=int, default=3)
    parser.add_argument("--max-new-tokens", type=int, default=80)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument(
        "--hints",
        nargs="+",
        default=["none"],
        choices=["none", "names"],
        help="prompt settings evaluated: none = closed book (the table); names = the query's API names given",
    )
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
    format_queries = sample_per_category(source_all, args.format_per_category) if args.format_per_category else None
    skill = build_skill(args, args.model, source, format_queries, args.out)

    target_apis = unique_apis(target)
    docs = docs_sft_records(target_apis, DocsDataConfig(questions_per_api=1))
    records = docs.records + synthetic_first_step_records(target_apis, docs.texts)
    log(f"stage II data: {len(target_apis)} target APIs, {len(records)} records {docs.counts}")
    labels = [s if h == "none" else f"{s}+{h}" for h in args.hints for s in SYSTEMS]
    runs: dict[str, list[ToolEvalRun]] = {label: [] for label in labels}

    def evaluate_all(system: str, seed: int, adapter: Path | None) -> None:
        for hint in args.hints:
            run = evaluate(args, system, seed, args.model, adapter, target, args.out, hint)
            runs[run.label].append(run)

    for seed in args.seeds:
        evaluate_all("base", seed, None)
        adapter = sft_on_records(
            args.model,
            records,
            args.out / f"target-sft-{seed}",
            args.sft_steps,
            seed,
            max_length=args.sft_max_length,
        )
        evaluate_all("sft", seed, adapter)
        past_adapter = args.out / f"past-{seed}"
        if not (past_adapter / "adapter_model.safetensors").is_file():
            from past.skills import SkillVector, inject

            with SkillVector.open(skill) as vector:
                inject((args.model, adapter), [(vector, 1.0)], past_adapter, output="adapter", register=False)
        evaluate_all("past", seed, past_adapter)

    summaries = [summarise(label, runs[label]) for label in labels]
    comparisons = {}
    for hint in args.hints:
        suffix = "" if hint == "none" else f"+{hint}"
        for a, b in (("past", "sft"), ("sft", "base")):
            comparisons[f"{a}{suffix} − {b}{suffix}"] = paired(runs[a + suffix], runs[b + suffix])
    record = {
        "split": split.to_dict(),
        "source_queries": [q.query_id for q in source],
        "target_queries": [q.query_id for q in target],
        "format_queries": [q.query_id for q in format_queries or source],
        "reward_weights": RewardWeights().to_dict(),
        "args": {k: str(v) for k, v in vars(args).items()},
        "summaries": [s.to_dict() for s in summaries],
        "paired": comparisons,
        "seconds": round(time.monotonic() - started, 1),
        "skill": json.loads((skill / "skill.json").read_text()).get("metrics"),
    }
    write_record(args.out / "results.json", record, args.out)
    for label in labels:
        overall = metric_means([s for r in runs[label] for s in r.scores])
        log(f"{label}: pooled over seeds " + ", ".join(f"{k} {v:.3f}" for k, v in overall.items()))
    print(table(summaries))
    print()
    print("| comparison | metric | mean difference [95 % CI] | queries×seeds a better / b better / ties |")
    print("|---|---|---|---|")
    for name, diffs in comparisons.items():
        print("\n".join(paired_lines(name, diffs)))
    print()
    print(category_table(summaries))
    log(f"done in {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
