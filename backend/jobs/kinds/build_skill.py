"""``pipeline.build_skill``: PaST Stage I as a job — a thin wrapper over :func:`past.pipeline.build_skill`.

The collection's documents are split into K disjoint subsets (round-robin), each with the questions that
belong to its documents; the job's parameters become a :class:`~past.pipeline.SkillRecipe`. Round k: SFT
from the base on subset k, GRPO starting from v_{k−1}, v_k = θ_rl,k − θ_sft,k, and the orthogonality
analysis. The last v lands in the skill library with its recipe and analysis. Resumable: each finished
stage is skipped when the job is resumed.
"""

from __future__ import annotations

from dataclasses import dataclass

from backend.jobs.kind import JobContext, JobKind
from backend.jobs.params import param
from past.adapt_params import DEFAULT_PRESET, PRESETS, TOOL_PRESET, answer_format
from past.numbers import BETA, COUNT, GENERATIONS, LEARNING_RATE, SEED, STEPS, TOKENS
from past.paths import check_name

CUSTOM = "custom"  # sources fine-tuned for sft_steps steps, not as any Adapt preset
SOURCE_PRESETS = [name for name in PRESETS if name != TOOL_PRESET]  # text QA (tool-use skills: past.tools)


@dataclass
class BuildSkillParams:
    name: str = param(help="name of the new skill in the library")
    collection: str = param(
        "default", help="source documents with their questions (Documents screen)", ref="source_collection"
    )
    rounds: int = param(
        1, bounds=COUNT, help="rounds K over disjoint parts of the collection (more = more general skill)"
    )
    base: str = param("default", help="base model the skill is built on", ref="model")
    preset: str = param(
        DEFAULT_PRESET,
        choices=[*SOURCE_PRESETS, CUSTOM],
        help="the Adapt preset the skill is for: each round's source documents are fine-tuned exactly as Adapt "
        "fine-tunes targets with it (one recipe for both, as in the paper), and a preset that trains the "
        f"recall-then-answer format practises in it; '{CUSTOM}': sft_steps steps",
    )
    sft_steps: int = param(30, bounds=STEPS, help=f"fine-tuning steps per round (preset '{CUSTOM}' only)")
    grpo_steps: int = param(12, bounds=STEPS, help="reinforcement-learning (GRPO) steps per round")
    num_generations: int = param(4, bounds=GENERATIONS, help="answers sampled per question in GRPO (group size)")
    prompts_per_step: int = param(2, bounds=COUNT, help="questions per GRPO step")
    beta: float = param(0.0, bounds=BETA, help="KL penalty towards the fine-tuned model")
    learning_rate: float = param(1e-4, bounds=LEARNING_RATE, help="GRPO learning rate")
    max_completion_length: int = param(
        24, bounds=TOKENS, help="longest sampled answer (tokens; a recall-then-answer skill gets at least 96)"
    )
    default_lambda: float = param(1.0, help="recommended strength λ stored with the skill")
    seed: int = param(0, bounds=SEED, help="random seed")

    def validate(self) -> None:
        check_name(self.name, "skill")
        if not 1 <= self.rounds <= 8:
            raise ValueError("rounds must be between 1 and 8")
        if self.num_generations < 2:
            raise ValueError("num_generations must be at least 2 (GRPO compares answers within a group)")
        for field_name in ("sft_steps", "grpo_steps", "prompts_per_step", "max_completion_length"):
            if getattr(self, field_name) < 1:
                raise ValueError(f"{field_name} must be at least 1")


def round_sources(docs: list, qa_set, rounds: int) -> list:
    """Split a collection's documents round-robin into ``rounds`` disjoint parts, each with its questions."""
    from past.evaluation.qa_set import QASet
    from past.pipeline.sources import Sources

    if len(docs) < rounds:
        raise ValueError(f"{rounds} rounds need at least {rounds} documents; the collection has {len(docs)}")
    parts = [Sources() for _ in range(rounds)]
    owner: dict[str, int] = {}
    for i, doc in enumerate(docs):
        parts[i % rounds].documents.append(doc)
        owner[doc.doc_id] = i % rounds
    spill = 0
    for item in qa_set.items:
        k = owner.get(item.doc_id)
        if k is None:  # questions of no document of the collection: spread over the rounds
            k, spill = spill % rounds, spill + 1
        parts[k].qa.items.append(item)
    for k, part in enumerate(parts, start=1):
        if not part.qa.items:
            raise ValueError(f"round {k} has no questions: attach questions for its documents")
    return [Sources(p.documents, QASet(p.qa.items), {}) for p in parts]


def recipe_for(params: BuildSkillParams, collection: str):
    """The Stage I recipe of these parameters (sources come from the collection): sources fine-tuned as the
    preset fine-tunes targets; a preset read in the recall-then-answer format practises in it, rewarded on the
    answer line alone (the rule judge: reciting earns nothing), with room for a sentence and the answer."""
    from past.evaluation.prompts import ANSWER_TOKENS
    from past.pipeline.recipe import SkillRecipe

    recipe = {
        "name": params.name,
        "k": params.rounds,
        "description": f"Closed-book QA skill built in PaST Studio from the collection '{collection}'.",
        "base_model": params.base,
        "seed": params.seed,
        "sft": {"max_steps": params.sft_steps, "save_steps": 10},
        "grpo": {
            "max_steps": params.grpo_steps,
            "num_generations": params.num_generations,
            "prompts_per_step": params.prompts_per_step,
            "beta": params.beta,
            "learning_rate": params.learning_rate,
            "max_completion_length": params.max_completion_length,
            "save_steps": 3,
        },
        "default_lambda": params.default_lambda,
    }
    if params.preset != CUSTOM:
        recipe["preset"] = params.preset
        del recipe["sft"]  # the preset's own settings
    family = answer_format(params.preset)
    if family != "paper":
        room = max(params.max_completion_length, ANSWER_TOKENS[family])
        recipe["grpo"] |= {"prompts": [family], "max_completion_length": room}
        recipe["reward"] = {"kind": "rule"}
    return SkillRecipe.from_dict(recipe)


def run(params: BuildSkillParams, ctx: JobContext) -> dict:
    from backend.documents import DocumentService
    from backend.store import Store
    from past.pipeline.build_skill import build_skill

    documents = DocumentService(ctx.settings, Store(ctx.settings.db_path))
    docs = documents.documents(params.collection)
    rounds = round_sources(docs, documents.qa_pairs(params.collection), params.rounds)
    recipe = recipe_for(params, params.collection)
    ctx.write_json("recipe.json", recipe.to_dict())
    run_dir = ctx.checkpoint_dir or ctx.output_dir / "run"
    manifest = build_skill(recipe, ctx.settings, run_dir / "build", ctx.reporter, rounds=rounds)
    return {"skill": manifest.get("name", params.name), "rounds": params.rounds, "collection": params.collection}


KIND = JobKind(
    name="pipeline.build_skill",
    params=BuildSkillParams,
    run=run,
    description="Build a skill: K rounds of fine-tuning and reinforcement learning on source documents.",
    resumable=True,
    prefers_gpu=True,
)
