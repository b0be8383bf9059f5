"""``evaluate``: closed-book QA evaluation of several models (and optionally a λ sweep) as a job.

On a tools collection with tool-use queries (StableToolBench query files on the Documents screen) it is the
tool-use evaluation instead: each model runs the ReAct agent against the simulated APIs, and the result holds
pass rate, valid-call rate and the other rates, overall and per category (``tool_results.json``).

The questions come from a document collection (its uploaded ``.qa.json`` files, see
:meth:`backend.documents.DocumentService.qa_pairs`) or a QA file path. Each model is a spec
``[LABEL=]REF[+ADAPTER_DIR][@SEED]`` (a registered model, optionally with a PEFT adapter). Progress is
reported per question batch, metric ``accuracy`` once per model (step = its index); the report
(``results.json``, ``questions.csv``, ``summary.csv``, ``chart.html``) lands in the job's artifact
directory, a λ sweep's in ``sweep/``.

``with_documents`` also evaluates every model "with documents": the collection's best-matching chunks
(BM25, :mod:`backend.retrieval`) in front of each question, labelled ``LABEL + documents``.
"""

from __future__ import annotations

import gc
import shutil
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from backend.jobs.kind import JobContext, JobKind
from backend.jobs.params import param
from past.numbers import COUNT, SEED, TEMPERATURE, TOKENS

# literal copies (this module is imported at worker start, so it stays light); a test keeps them equal to
# past.judges.JUDGE_KINDS and past.evaluation.prompts.PROMPTS
JUDGES = ["rule", "containment", "llm"]
PROMPT_STYLES = ["paper", "question", "recall"]
MAX_MODELS = 16
MAX_LAMBDAS = 21
REPORT_FILES = ("results.json", "questions.csv", "summary.csv", "chart.html")
TOOL_RESULTS = "tool_results.json"  # a tools collection's evaluation (past.tools.evaluation_record)
TOOL_MIN_TOKENS = 96  # an agent step (Thought, Action, Action Input) needs more room than a short answer


@dataclass
class EvaluateParams:
    models: list[str] = param(  # noqa: RUF009 (param() copies list defaults per instance)
        [],
        help="models to compare: [LABEL=]REF[+ADAPTER_DIR][@SEED] (same LABEL = replicates, mean ± sd)",
        ref="model_specs",
    )
    collection: str | None = param(
        None, help="document collection whose uploaded questions to ask", ref="qa_collection"
    )
    qa_path: str | None = param(
        None, help="or a QA file/folder (.qa.json, SQuAD-style JSON, JSONL, LooGLE .jsonl)", ref="qa_path"
    )
    split: str | None = param(None, help="only questions of this split (e.g. test)")
    limit: int | None = param(None, bounds=COUNT, help="at most this many questions")
    judge: str = param(
        "rule",
        help="rule: token F1 with the reference, correct at 0.5 (short answers); containment: the reference "
        "appears anywhere in the answer (lenient); llm: a yes/no grading model",
        choices=JUDGES,
    )
    judge_model: str = param("default", help="the local model that grades answers when judge=llm", ref="model")
    judge_endpoint: str | None = param(
        None,
        help="judge=llm on an OpenAI-compatible endpoint (base URL); the rule verdict is recorded beside it",
        ref="endpoint",
    )
    judge_endpoint_model: str | None = param(None, help="the model to request from judge_endpoint")
    max_new_tokens: int = param(32, bounds=TOKENS, help="longest answer, in tokens")
    temperature: float = param(0.0, bounds=TEMPERATURE, help="0 = greedy (one run per model); >0 samples once per seed")
    seeds: list[int] = param([0], bounds=SEED, help="decoding seeds (replicates) when temperature > 0")  # noqa: RUF009
    prompt: str = param(
        "paper",
        help="paper: 'answer directly and concisely'; question: the bare question; recall: write the remembered "
        "sentence, then 'Answer:' (only the answer is judged)",
        choices=PROMPT_STYLES,
    )
    batch_size: int = param(16, bounds=COUNT, help="questions answered at once")
    with_documents: bool = param(
        False, help="also answer with the collection's best-matching passages in the prompt (BM25 retrieval)"
    )
    retrieval_k: int = param(
        3, bounds=COUNT, help="passages put in front of each question when answering with documents"
    )
    sweep_lambdas: list[float] = param([], help="λ sweep: TARGET + λ·SKILL at each of these λ")  # noqa: RUF009
    sweep_skill: str | None = param(None, help="λ sweep: the skill (library name or folder)", ref="skill")
    sweep_target: str | None = param(None, help="λ sweep: the target model REF[+ADAPTER_DIR]", ref="model_spec")

    def validate(self) -> None:
        from past.errors import EvaluationError
        from past.evaluation.spec import ModelSpec
        from past.skills.lambdas import check_lambda

        if not self.models and not self.sweep_lambdas:
            raise ValueError("choose at least one model to evaluate (or a λ sweep)")
        if len(self.models) > MAX_MODELS:
            raise ValueError(f"at most {MAX_MODELS} models per evaluation, got {len(self.models)}")
        for text in self.models:
            try:
                spec = ModelSpec.parse(text)
            except EvaluationError as exc:
                raise ValueError(str(exc)) from None
            if spec.adapter and not (Path(spec.adapter) / "adapter_config.json").is_file():
                raise ValueError(f"{spec.adapter} is not an adapter folder (it has no adapter_config.json)")
        if bool(self.collection) == bool(self.qa_path):
            raise ValueError("give the questions either as a collection or as a QA file path (exactly one)")
        if self.qa_path and not Path(self.qa_path).exists():
            raise ValueError(f"the QA file {self.qa_path} does not exist")
        if bool(self.judge_endpoint) != bool(self.judge_endpoint_model):
            raise ValueError("judge_endpoint and judge_endpoint_model go together")
        check_answering(self)
        if not 0.0 <= self.temperature <= 2.0:
            raise ValueError("temperature must be between 0 and 2")
        if self.temperature > 0 and not self.seeds:
            raise ValueError("sampling (temperature > 0) needs at least one seed")
        if self.with_documents and not self.collection:
            raise ValueError("answering with documents needs a collection to retrieve from")
        if self.sweep_lambdas:
            if len(self.sweep_lambdas) > MAX_LAMBDAS:
                raise ValueError(f"at most {MAX_LAMBDAS} λ values per sweep")
            self.sweep_lambdas = [check_lambda(lam, "a λ of the sweep") for lam in self.sweep_lambdas]
            if not self.sweep_skill or not self.sweep_target:
                raise ValueError("a λ sweep needs a skill (sweep_skill) and a target model (sweep_target)")


ANSWERING_RANGES = {"max_new_tokens": (1, 1024), "batch_size": (1, 256), "retrieval_k": (1, 20)}


def check_answering(params: Any) -> None:
    """The checks of how questions are answered that the evaluation and the report card share: ``limit``
    and the :data:`ANSWERING_RANGES`."""
    if params.limit is not None and params.limit < 1:
        raise ValueError("limit must be at least 1")
    for name, (low, high) in ANSWERING_RANGES.items():
        if not low <= getattr(params, name) <= high:
            raise ValueError(f"{name} must be between {low} and {high}")


def _qa_set(params: EvaluateParams, ctx: JobContext):
    from backend.documents import DocumentService
    from backend.store import Store
    from past.errors import EvaluationError
    from past.evaluation import load_qa_set

    if params.collection:
        qa_set = DocumentService(ctx.settings, Store(ctx.settings.db_path)).qa_pairs(params.collection)
        source = f"collection {params.collection!r}"
    else:
        qa_set = load_qa_set(params.qa_path)
        source = str(params.qa_path)
    qa_set = qa_set.filter(split=params.split, limit=params.limit)
    if not len(qa_set):
        raise EvaluationError(f"no questions left in {source} after the split/limit filters")
    return qa_set, source


def _summaries(comparison) -> list[dict[str, Any]]:
    return [
        {
            "label": s.label,
            "runs": s.runs,
            "accuracy": round(s.accuracy_mean, 4),
            "accuracy_sd": round(s.accuracy_sd, 4),
            "f1": round(s.f1_mean, 4),
            "f1_sd": round(s.f1_sd, 4),
            **({"lambda": s.x} if s.x is not None else {}),
        }
        for s in comparison.summaries
    ]


def _sweep(params: EvaluateParams, ctx: JobContext, registry, qa_set, judge, config, reporter):
    """TARGET + λ·SKILL for each λ: injected (merged form) into a scratch dir, loaded, evaluated, removed."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from past.evaluation import lambda_sweep
    from past.evaluation.spec import ModelSpec
    from past.skills import SkillLibrary, inject

    target = ModelSpec.parse(params.sweep_target or "")
    base = registry.resolve(target.ref)
    weights = (base.path, Path(target.adapter)) if target.adapter else base.path
    skill = SkillLibrary(ctx.settings).resolve(params.sweep_skill or "")
    scratch = Path(tempfile.mkdtemp(prefix=".sweep-", dir=ctx.output_dir))
    tokenizer = AutoTokenizer.from_pretrained(base.path)

    def build(lam: float):
        out = scratch / f"lambda-{lam:g}"
        inject(weights, [(skill, lam)], out, output="merged", register=False, overwrite=True)
        model = AutoModelForCausalLM.from_pretrained(out, dtype="float32")
        model.eval()
        shutil.rmtree(out, ignore_errors=True)  # weights are in memory now
        return model, tokenizer

    try:
        return lambda_sweep(
            build,
            params.sweep_lambdas,
            qa_set,
            judge,
            config,
            label=skill.name,
            batch_size=params.batch_size,
            reporter=reporter,
        )
    finally:
        skill.close()
        shutil.rmtree(scratch, ignore_errors=True)
        gc.collect()


def _tool_queries(params: EvaluateParams, ctx: JobContext) -> list | None:
    """A tools collection's tool-use queries (at most ``limit``), or None when the collection holds questions."""
    from backend.store import Store
    from backend.tool_collections import ToolCollections

    tools = ToolCollections(ctx.settings, Store(ctx.settings.db_path))
    if not params.collection or not tools.is_tools(params.collection):
        return None
    return tools.queries(params.collection)[: params.limit or None]


def _tool_use(params: EvaluateParams, ctx: JobContext, queries: list) -> dict[str, Any]:
    """Tool use (``past tools eval``'s code): each model runs the ReAct agent on the queries against the simulated
    APIs (schema-based, deterministic); pass rate, valid-call rate and the rest, overall and per category."""
    from past.evaluation import ModelSpec
    from past.generators.local import LocalGenerator
    from past.models import ModelRegistry
    from past.progress import ScaledReporter
    from past.tools import AgentConfig, ApiSimulator, RewardWeights, evaluate_policy, evaluation_record, summarise
    from past.training.modeling import load_with_adapter

    if params.sweep_lambdas or params.with_documents:
        raise ValueError("a tool-use evaluation compares models only: no λ sweep, no answering with documents")
    registry = ModelRegistry(ctx.settings)
    simulator = ApiSimulator(list({a.function: a for q in queries for a in q.apis}.values()))
    agent = AgentConfig(max_new_tokens=max(params.max_new_tokens, TOOL_MIN_TOKENS), temperature=params.temperature)
    specs = [ModelSpec.parse(m) for m in params.models]
    ctx.reporter.log(f"tool use: {len(queries)} queries of '{params.collection}', {len(specs)} model(s)")
    summaries, runs = [], []
    for i, spec in enumerate(specs):
        model, tokenizer = load_with_adapter(registry.resolve(spec.ref).path, spec.adapter)
        policy = LocalGenerator(model, tokenizer, name=spec.name, batch_size=params.batch_size)
        sub = ScaledReporter(ctx.reporter, i / len(specs), (i + 1) / len(specs))
        seeds = params.seeds if params.temperature > 0 else params.seeds[:1] or [0]
        model_runs = [
            evaluate_policy(policy, spec.name, queries, simulator, agent, seed=s, reporter=sub) for s in seeds
        ]
        del model, policy
        gc.collect()
        summary = summarise(spec.name, model_runs)
        summaries.append(summary)
        runs += model_runs
        ctx.reporter.metric(i, "pass_rate", summary.metrics["pass_rate"].mean)
        ctx.reporter.log(
            f"{spec.name}: pass rate {summary.metrics['pass_rate'].mean:.3f}, "
            f"valid-call rate {summary.metrics['valid_call_rate'].mean:.3f}"
        )
    record = evaluation_record(summaries, runs, agent, RewardWeights(), simulator, {"collection": params.collection})
    ctx.write_json(TOOL_RESULTS, record)
    ctx.reporter.progress(1.0, f"evaluated {len(specs)} model(s) on {len(queries)} tool-use queries")
    return {
        "kind": "tool_use",
        "n_queries": len(queries),
        "source": f"tools collection '{params.collection}'",
        "models": [],
        "tool_use": [s.to_dict() for s in summaries],
        "files": {TOOL_RESULTS: TOOL_RESULTS},
    }


def run(params: EvaluateParams, ctx: JobContext) -> dict[str, Any]:
    from past.evaluation import EvalConfig, ModelSpec, evaluate_models, write_report
    from past.judges import make_judge
    from past.models import ModelRegistry
    from past.progress import ScaledReporter

    queries = _tool_queries(params, ctx)
    if queries is not None:
        return _tool_use(params, ctx, queries)
    reporter = ctx.reporter
    registry = ModelRegistry(ctx.settings)
    qa_set, source = _qa_set(params, ctx)
    reporter.log(f"{len(qa_set)} questions on {len(qa_set.doc_ids)} document(s) from {source}")
    from past.generators import EndpointConfig

    endpoint = (
        EndpointConfig(params.judge_endpoint, params.judge_endpoint_model)
        if params.judge_endpoint and params.judge_endpoint_model
        else None
    )
    judge = make_judge(
        params.judge, registry=registry, model_ref=params.judge_model, endpoint=endpoint, batch_size=params.batch_size
    )
    config = EvalConfig(
        max_new_tokens=params.max_new_tokens,
        temperature=params.temperature,
        prompt=params.prompt,
        retrieval_k=params.retrieval_k,
    )
    split_at = 1.0 if not params.sweep_lambdas else (0.5 if params.models else 0.0)
    result: dict[str, Any] = {
        "n_questions": len(qa_set),
        "n_docs": len(qa_set.doc_ids),
        "source": source,
        "judge": judge.name,
        "models": [],
        "files": {},
    }
    if params.models:
        specs = [ModelSpec.parse(m) for m in params.models]
        retriever = None
        if params.with_documents:
            from backend.retrieval import collection_index

            retriever = collection_index(ctx.settings, params.collection or "")
            reporter.log(f"answering with documents: {len(retriever)} passages indexed ({retriever.meta['chunking']})")
            specs += [replace(spec, retrieval=True, label=f"{spec.name} + documents") for spec in specs]
        comparison = evaluate_models(
            registry,
            specs,
            qa_set,
            judge,
            config,
            seeds=params.seeds,
            batch_size=params.batch_size,
            reporter=ScaledReporter(reporter, 0.0, split_at),
            retriever=retriever,
        )
        for i, summary in enumerate(comparison.summaries):
            reporter.metric(i, "accuracy", summary.accuracy_mean)
            reporter.log(
                f"{summary.label}: accuracy {summary.accuracy_mean:.3f} ± {summary.accuracy_sd:.3f}, "
                f"F1 {summary.f1_mean:.3f} ({summary.runs} run(s))"
            )
        paths = write_report(comparison, ctx.output_dir)
        result["models"] = _summaries(comparison)
        result["files"].update({name: name for name in REPORT_FILES if name in paths})
    if params.sweep_lambdas and not reporter.should_stop():
        sweep = _sweep(params, ctx, registry, qa_set, judge, config, ScaledReporter(reporter, split_at, 1.0))
        write_report(sweep, ctx.output_dir / "sweep", title="Closed-book QA accuracy against λ")
        result["sweep"] = _summaries(sweep)
        result["files"].update({f"sweep/{name}": f"sweep/{name}" for name in REPORT_FILES})
    reporter.progress(1.0, f"evaluated {len(result['models'])} model(s) on {len(qa_set)} questions")
    return result


KIND = JobKind(
    name="evaluate",
    params=EvaluateParams,
    run=run,
    description="Closed-book QA evaluation of models on a collection's questions (table, CSV, chart).",
    prefers_gpu=True,
)
