"""``pipeline.build_skill``: PaST Stage I as one job — K rounds of SFT + GRPO on a source collection.

The collection's documents are split into K disjoint subsets (round-robin), each with the questions
that belong to its documents. Round k: SFT from the base on subset k, add v_{k−1}, GRPO with a fresh
LoRA, v_k = θ_rl,k − θ_sft,k. The last v lands in the skill library with its recipe. Resumable: each
finished stage is skipped when the job is resumed.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from backend.jobs.kind import JobContext, JobKind
from backend.jobs.params import param


@dataclass
class BuildSkillParams:
    name: str = param(help="name of the new skill in the library")
    collection: str = param("default", help="source documents with their questions (Documents screen)")
    rounds: int = param(1, help="rounds K over disjoint parts of the collection (more = more general skill)")
    base: str = param("default", help="base model the skill is built on")
    sft_steps: int = param(30, help="fine-tuning steps per round")
    grpo_steps: int = param(12, help="reinforcement-learning (GRPO) steps per round")
    num_generations: int = param(4, help="answers sampled per question in GRPO (group size)")
    prompts_per_step: int = param(2, help="questions per GRPO step")
    beta: float = param(0.0, help="KL penalty towards the fine-tuned model")
    learning_rate: float = param(1e-4, help="GRPO learning rate")
    max_completion_length: int = param(24, help="longest sampled answer (tokens)")
    default_lambda: float = param(1.0, help="recommended strength λ stored with the skill")
    seed: int = param(0, help="random seed")

    def validate(self) -> None:
        if not re.fullmatch(r"[A-Za-z0-9][\w.-]{0,63}", self.name or ""):
            raise ValueError("name may hold letters, digits, '.', '_' and '-' (64 at most)")
        if not 1 <= self.rounds <= 8:
            raise ValueError("rounds must be between 1 and 8")
        if self.num_generations < 2:
            raise ValueError("num_generations must be at least 2 (GRPO compares answers within a group)")
        for field_name in ("sft_steps", "grpo_steps", "prompts_per_step", "max_completion_length"):
            if getattr(self, field_name) < 1:
                raise ValueError(f"{field_name} must be at least 1")


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def write_rounds(docs: list, qa_items: list, rounds: int, root: Path) -> list[list[str]]:
    """Split documents round-robin into ``rounds`` folders, each with its questions as JSONL."""
    if len(docs) < rounds:
        raise ValueError(f"{rounds} rounds need at least {rounds} documents; the collection has {len(docs)}")
    folders = [root / f"round-{k + 1}" for k in range(rounds)]
    owner: dict[str, int] = {}
    for i, doc in enumerate(docs):
        k = i % rounds
        folders[k].mkdir(parents=True, exist_ok=True)
        stem = slug(Path(doc.name).stem) or f"doc-{i}"
        (folders[k] / f"{stem}.txt").write_text(doc.text, encoding="utf-8")
        owner[stem] = k
    per_round: list[list[dict]] = [[] for _ in range(rounds)]
    spill = 0
    for item in qa_items:
        k = owner.get(slug(item.doc_id))
        if k is None:
            k, spill = spill % rounds, spill + 1
        per_round[k].append({"question": item.question, "answers": list(item.answers), "doc_id": item.doc_id})
    for k, items in enumerate(per_round):
        if not items:
            raise ValueError(f"round {k + 1} has no questions: attach questions for its documents")
        with open(folders[k] / "questions.jsonl", "w", encoding="utf-8") as handle:
            handle.writelines(json.dumps(item) + "\n" for item in items)
    return [[str(folder)] for folder in folders]


def run(params: BuildSkillParams, ctx: JobContext) -> dict:
    from backend.documents import DocumentService
    from backend.store import Store
    from past.pipeline.build_skill import build_skill
    from past.pipeline.recipe import SkillRecipe

    documents = DocumentService(ctx.settings, Store(ctx.settings.db_path))
    docs = documents.documents(params.collection)
    qa = documents.qa_pairs(params.collection)
    run_dir = ctx.checkpoint_dir or ctx.output_dir / "run"
    rounds = write_rounds(docs, qa.items, params.rounds, run_dir / "sources")
    recipe = SkillRecipe(
        name=params.name,
        rounds=rounds,
        description=f"Closed-book QA skill built in PaST Studio from the collection '{params.collection}'.",
        base_model=params.base,
        seed=params.seed,
        sft={"max_steps": params.sft_steps, "save_steps": 10},
        grpo={
            "max_steps": params.grpo_steps,
            "num_generations": params.num_generations,
            "prompts_per_step": params.prompts_per_step,
            "beta": params.beta,
            "learning_rate": params.learning_rate,
            "max_completion_length": params.max_completion_length,
            "save_steps": 3,
        },
        keep_source_model=False,
    )
    ctx.write_json("recipe.json", recipe.to_dict())
    manifest = build_skill(ctx.settings, recipe, run_dir / "build", reporter=ctx.reporter)
    skill_name = manifest.get("name", params.name) if isinstance(manifest, dict) else params.name
    if params.default_lambda != 1.0:
        from past.skills import SkillLibrary

        library = SkillLibrary(ctx.settings)
        info = library.info(skill_name)
        info.default_lambda = params.default_lambda
        info.write(library.path_for(skill_name))
    return {"skill": skill_name, "rounds": params.rounds, "collection": params.collection}


KIND = JobKind(
    name="pipeline.build_skill",
    params=BuildSkillParams,
    run=run,
    description="Build a skill: K rounds of fine-tuning and reinforcement learning on source documents.",
    resumable=True,
    prefers_gpu=True,
)
