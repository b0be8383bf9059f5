"""``past tools``: closed-book tool use from the command line.

* ``past tools ingest FILE... --out apis.jsonl`` — API documents (StableToolBench, OpenAPI, JSON-Schema
  functions) into one APIs file; every malformed API is reported and the rest kept.
* ``past tools data APIS --out sft.jsonl`` — SFT records (schemas, descriptions, name ↔ usage QA, ReAct
  format alignment), written by a generator (local model or endpoint) or by templates (``--templates``).
* ``past tools run --apis APIS --query TEXT --model M [--model N]`` — the ReAct agent against the simulated
  APIs, every step printed; two models side by side (A/B) on the same query.
* ``past tools eval --model M ...`` — pass rate, valid-call rate ... on StableToolBench held-out categories.
* ``past tools build-skill --name N`` — a tool-use skill (SFT + multi-turn GRPO on source categories) into the
  library.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from past.cli.endpoint_args import add_endpoint_args, endpoint_from_args
from past.cli.train_args import run_dir as train_run_dir
from past.datasets import write_jsonl
from past.datasets.jsonl import loads_json
from past.errors import ConfigError
from past.generators import LocalGenerator, OpenAIChatGenerator, local_generator
from past.models import ModelRegistry
from past.numbers import COUNT, SEED, STEPS, TEMPERATURE, TOKENS
from past.paths import check_output, writing
from past.progress import ConsoleReporter
from past.settings import Settings
from past.tools import (
    AgentConfig,
    ApiSimulator,
    ApiSpec,
    CategorySplit,
    DocsDataConfig,
    RewardWeights,
    ToolQuery,
    Trajectory,
    docs_sft_records,
    evaluate_policy,
    evaluation_record,
    ingest_tool_files,
    load_stabletoolbench,
    sample_per_category,
    score_trajectory,
    summarise,
    synthetic_first_step_records,
)
from past.tools.react import HINT_MODES
from past.tools.simulator import answered_by

DEFAULT_SPLIT = Path(__file__).resolve().parents[2] / "assets" / "recipes" / "tool_use_split.json"


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("tools", help="closed-book tool use: API documents, SFT data, agent, evaluation")
    commands = parser.add_subparsers(dest="tools_command", metavar="ACTION")

    ingest = commands.add_parser("ingest", help="API documents -> one APIs JSONL (issues reported)")
    ingest.add_argument("files", nargs="+", help="JSON files: StableToolBench api_list/queries, OpenAPI, functions")
    ingest.add_argument("--out", required=True, help="APIs JSONL to write")
    ingest.set_defaults(func=run_ingest)

    data = commands.add_parser("data", help="SFT records from API documents")
    data.add_argument("apis", nargs="+", help="APIs JSONL from `past tools ingest`, or API document files")
    data.add_argument("--out", required=True, help="SFT records JSONL to write")
    data.add_argument("--questions", type=COUNT.flag, default=2, help="usage requests per API")
    data.add_argument("--no-format", action="store_true", help="leave out the ReAct format-alignment records")
    data.add_argument("--templates", action="store_true", help="write with templates only (no generator)")
    data.add_argument("--model", default="default", help="local generator model")
    data.add_argument("--seed", type=SEED.flag, default=0)
    add_endpoint_args(data, "", "generator")
    data.set_defaults(func=run_data)

    agent = commands.add_parser("run", help="run the ReAct agent on one query, every step shown")
    agent.add_argument("--apis", nargs="+", required=True, help="APIs JSONL or API document files")
    agent.add_argument("--query", required=True)
    agent.add_argument(
        "--model",
        action="append",
        dest="models",
        metavar="REF[+ADAPTER]",
        help="model (repeat for A/B); default: the default model",
    )
    _agent_args(agent)
    agent.add_argument("--json", help="write the trajectories to this JSON file")
    agent.set_defaults(func=run_agent)

    evaluate = commands.add_parser("eval", help="tool-use evaluation on StableToolBench held-out categories")
    evaluate.add_argument("--model", action="append", dest="models", metavar="[LABEL=]REF[+ADAPTER]")
    evaluate.add_argument("--data", default=str(Path("..") / "shared" / "data" / "stabletoolbench"))
    evaluate.add_argument("--split", default=str(DEFAULT_SPLIT), help="category split JSON")
    evaluate.add_argument("--side", choices=("target", "source"), default="target")
    evaluate.add_argument("--per-category", type=COUNT.flag, default=2)
    evaluate.add_argument("--seeds", type=lambda t: [SEED.flag(s) for s in t.split(",")], default=[0, 1, 2])
    _agent_args(evaluate)
    evaluate.add_argument("--out", required=True, help="results JSON to write")
    evaluate.set_defaults(func=run_eval)
    build = commands.add_parser("build-skill", help="build a tool-use skill on StableToolBench source categories")
    build.add_argument("--model", default="default", help="base model")
    build.add_argument("--name", default="tool-use-skill", help="skill name in the library")
    build.add_argument("--data", default=str(Path("..") / "shared" / "data" / "stabletoolbench"))
    build.add_argument("--split", default=str(DEFAULT_SPLIT), help="category split JSON (its source side is used)")
    build.add_argument("--per-category", type=COUNT.flag, default=1, help="source queries per category")
    build.add_argument("--sft-steps", type=STEPS.flag, default=48)
    build.add_argument("--rl-steps", type=STEPS.flag, default=6)
    build.add_argument("--rl-turns", type=COUNT.flag, default=2, help="1 = single-step action GRPO")
    build.add_argument(
        "--max-new-tokens", type=TOKENS.flag, default=96, help="per turn (96 fits 92 %% of the reference first steps)"
    )
    build.add_argument("--seed", type=SEED.flag, default=0)
    build.add_argument("--run-dir", help="where the stages are kept (default: <data-dir>/artifacts/tool-skill/NAME)")
    build.set_defaults(func=run_build)
    parser.set_defaults(func=lambda args, settings: parser.print_help() or 2)


def _agent_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--max-turns", type=COUNT.flag, default=4)
    parser.add_argument("--max-new-tokens", type=TOKENS.flag, default=128)
    parser.add_argument("--temperature", type=TEMPERATURE.flag, default=0.0)
    parser.add_argument("--hint", choices=HINT_MODES, default="none", help="none: closed book (default)")
    parser.add_argument("--cache", help="directory caching simulated responses (LLM simulator)")
    add_endpoint_args(parser, "simulator-", "API simulator (default: schema-based responses)")
    parser.add_argument(
        "--no-simulator-fallback",
        dest="simulator_fallback",
        action="store_false",
        help="an LLM simulator endpoint that is down is a simulator_error step (default: the schema simulator "
        "answers instead, and the step records why)",
    )


def load_apis(paths: list[str]) -> list[ApiSpec]:
    """APIs from APIs JSONL files (``past tools ingest``) or document files; issues go to stderr."""
    apis: list[ApiSpec] = []
    documents = []
    for raw in paths:
        path = Path(raw)
        if path.suffix == ".jsonl" and path.is_file():
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
                if line.strip():
                    try:
                        apis.append(ApiSpec.from_dict(loads_json(line)))
                    except (json.JSONDecodeError, KeyError, TypeError) as exc:
                        raise ConfigError(f"{path}:{number} is not an API record: {exc}") from exc
        else:
            documents.append(path)
    if documents:
        result = ingest_tool_files(documents)
        for issue in result.issues:
            print(f"warning: {issue}", file=sys.stderr)
        apis += result.apis
    if not apis:
        raise ConfigError("no usable APIs in " + ", ".join(paths))
    return apis


def run_ingest(args: argparse.Namespace, settings: Settings) -> int:
    out = check_output(args.out, settings, inputs=args.files, file=True)  # refused before anything is read
    result = ingest_tool_files(args.files)
    for issue in result.issues:
        print(f"warning: {issue}", file=sys.stderr)
    if not result.apis:
        print("error: no usable APIs in the given files", file=sys.stderr)
        return 2
    write_jsonl(out, (a.to_dict() for a in result.apis))
    tools = len({a.tool for a in result.apis})
    print(f"wrote {len(result.apis)} API(s) of {tools} tool(s) to {out}; {len(result.issues)} issue(s)")
    return 0


def run_data(args: argparse.Namespace, settings: Settings) -> int:
    out = check_output(args.out, settings, inputs=args.apis, file=True)
    apis = load_apis(args.apis)
    generator = None
    if not args.templates:
        endpoint = endpoint_from_args(args, "")
        if endpoint is not None:
            generator = OpenAIChatGenerator(endpoint)
        else:
            generator = local_generator(ModelRegistry(settings).load(args.model))
    config = DocsDataConfig(questions_per_api=args.questions, seed=args.seed)
    data = docs_sft_records(apis, config, generator, ConsoleReporter())
    records = data.records if args.no_format else data.records + synthetic_first_step_records(apis, data.texts)
    write_jsonl(out, records)
    kinds = ", ".join(f"{k} {v}" for k, v in data.counts.items())
    print(
        f"wrote {len(records)} record(s) to {out} ({kinds}; format {len(records) - len(data.records)}); "
        f"generator {generator.name if generator else 'templates'}"
    )
    return 0


def _policy(registry: ModelRegistry, spec: str) -> tuple[str, LocalGenerator]:
    label, _, ref = spec.rpartition("=") if "=" in spec else ("", "", spec)
    ref, _, adapter = ref.partition("+")
    from past.models.adapters import merge_adapter_for_generation

    loaded = registry.load(ref or "default")
    model = merge_adapter_for_generation(loaded.model, adapter) if adapter else loaded.model.eval()
    return label or spec, LocalGenerator(model, loaded.tokenizer, name=f"local:{spec}")


def _simulator(args: argparse.Namespace, apis: list[ApiSpec]) -> ApiSimulator:
    endpoint = endpoint_from_args(args, "simulator-")
    generator = OpenAIChatGenerator(endpoint) if endpoint is not None else None
    return ApiSimulator(apis, generator, cache_dir=args.cache, fallback=args.simulator_fallback)


def _check_cache(args: argparse.Namespace, settings: Settings) -> None:
    """The simulator's cache folder obeys the output policy too (it is written, and read back on later runs)."""
    if args.cache:
        check_output(args.cache, settings, flag="--cache")


def _agent_config(args: argparse.Namespace) -> AgentConfig:
    return AgentConfig(
        max_turns=args.max_turns, max_new_tokens=args.max_new_tokens, temperature=args.temperature, hint=args.hint
    )


def print_trajectory(label: str, trajectory: Trajectory) -> None:
    print(f"=== {label} ===")
    for step in trajectory.steps:
        print(f"--- turn {step.turn + 1}: {step.outcome}" + (f" ({step.message})" if step.message else ""))
        print(step.reply)
        if step.call is not None and step.call.get("source") != "none":
            print(f"[answered by {answered_by(step.call)}]")
        if step.observation:
            print(step.observation)
    reward = score_trajectory(trajectory)
    print(
        f"--- {trajectory.stop_reason}; reward {reward.total:.2f} (format {reward.format:.2f}, valid call "
        f"{reward.valid_call:.2f}, execution {reward.execution:.2f}, solved {reward.solved:.0f})"
    )


def run_agent(args: argparse.Namespace, settings: Settings) -> int:
    from past.tools import run_agents

    out = check_output(args.json, settings, inputs=args.apis, flag="--json", file=True) if args.json else None
    _check_cache(args, settings)
    apis = load_apis(args.apis)
    registry = ModelRegistry(settings)
    query = ToolQuery("cli", args.query, (), tuple(apis))
    simulator = _simulator(args, apis)
    results: dict[str, Any] = {}
    for spec in args.models or ["default"]:
        label, policy = _policy(registry, spec)
        (trajectory,) = run_agents(policy, [query], simulator, _agent_config(args))
        print_trajectory(label, trajectory)
        results[label] = trajectory.to_dict()
    if out is not None:
        from past.training.runs import write_json

        with writing(out, "--json"):
            write_json(out, results)
    return 0


def run_eval(args: argparse.Namespace, settings: Settings) -> int:
    out = check_output(args.out, settings, inputs=[args.split, args.data], file=True)
    _check_cache(args, settings)
    split = CategorySplit.load(args.split)
    source, target = split.partition(load_stabletoolbench(args.data).queries)
    queries = sample_per_category(target if args.side == "target" else source, args.per_category)
    apis = list({a.function: a for q in queries for a in q.apis}.values())
    simulator = _simulator(args, apis)
    agent = _agent_config(args)
    registry = ModelRegistry(settings)
    summaries, runs = [], []
    for spec in args.models or ["default"]:
        label, policy = _policy(registry, spec)
        model_runs = [
            evaluate_policy(policy, label, queries, simulator, agent, RewardWeights(), seed, ConsoleReporter())
            for seed in args.seeds
        ]
        runs += model_runs
        summary = summarise(label, model_runs)
        summaries.append(summary)
        m = summary.metrics
        print(
            f"{label:24} pass rate {m['pass_rate']}  valid-call rate {m['valid_call_rate']}  "
            f"format {m['format_rate']}  (seeds {summary.seeds}, {len(queries)} queries)"
        )
    record = evaluation_record(summaries, runs, agent, RewardWeights(), simulator, {"split": split.to_dict()})
    from past.training.runs import write_json

    with writing(out, "--out"):
        write_json(out, record)
    print(f"results in {out}")
    return 0


def run_build(args: argparse.Namespace, settings: Settings) -> int:
    from past.skills import SkillLibrary, validate_name
    from past.tools.skill_build import ToolSkillRecipe, build_tool_skill

    library = SkillLibrary(settings)
    validate_name(args.name)
    if library.exists(args.name):
        raise ConfigError(f"a skill named '{args.name}' already exists; pick another --name or remove it first")
    source, _ = CategorySplit.load(args.split).partition(load_stabletoolbench(args.data).queries)
    queries = sample_per_category(source, args.per_category)
    rl = {"max_steps": args.rl_steps, "max_turns": args.rl_turns, "max_new_tokens": args.max_new_tokens}
    recipe = ToolSkillRecipe(name=args.name, sft_steps=args.sft_steps, seed=args.seed, rl=rl)
    run_dir = train_run_dir(settings, "tool-skill", args.run_dir, "--run-dir", default=args.name)
    base = ModelRegistry(settings).resolve(args.model).path
    skill_dir = build_tool_skill(base, queries, recipe, run_dir, run_dir / "skill", ConsoleReporter())
    skill = library.add(skill_dir, args.name)
    print(f"skill {skill.manifest.name} ({skill.manifest.extra.get('kind')}) added to {library.root}")
    return 0
