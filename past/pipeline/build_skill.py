"""Stage I: build a skill vector with K-round iterative refinement and write it into the skill library.

Round k over its disjoint source subset: (1) SFT from the base on the subset's documents — a Stage II run in
mode ``sft`` with the recipe's data recipe, so source and target fine-tunes are made the same way; (2) merge it
into θ_sft,k; (3) GRPO on the subset's closed-book questions (prompt family of the evaluation, the judge as
reward) with a LoRA on θ_sft,k that starts from v_{k−1} (zero in round 1), so the trained adapter is exactly
v_k = θ_rl,k − θ_sft,k; (4) the orthogonality analysis: layer-wise cosine of the SFT update against v_k, next to
an SFT-vs-SFT control (two fine-tunes on disjoint subsets: rounds k and k−1). The final v_K goes into the
library (LoRA form, ``skill_dtype``) with the analysis (``orthogonality.json``, shown by the studio), the
recipe, seeds, source documents (sha256), reward curves, where and how long it ran. Every stage is resumable
through the run directory's ``state.json``. All weight arithmetic goes through :mod:`past.skills`.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from past.errors import ConfigError
from past.models import ModelRegistry
from past.pipeline.adapt import AdaptConfig, AdaptStage, adapt, trained_outputs
from past.pipeline.environment import run_environment
from past.pipeline.recipe import SkillRecipe
from past.pipeline.records import ANALYSIS_FILE
from past.pipeline.sources import Sources
from past.pipeline.state import RunState
from past.progress import NullReporter, Reporter, ScaledReporter
from past.settings import Settings
from past.skills import SkillExistsError, SkillLibrary, SkillManifest

GRPO_OUTPUTS = ("adapter_dir", "steps", "seconds", "rewards", "kls", "seed", "correct_groups", "correct_rollouts")


def build_skill(
    recipe: SkillRecipe,
    settings: Settings,
    run_dir: str | Path,
    reporter: Reporter | None = None,
    *,
    rounds: Sequence[Sources] | None = None,
    judge: Any = None,
    overwrite: bool = False,
) -> dict[str, Any]:
    """Run (or resume) every stage of ``recipe``; returns the skill's manifest.

    ``rounds``: the sources of each round when the caller has them (the studio, from a collection);
    otherwise they are read from the recipe's paths.
    """
    from past.judges.factory import make_reward
    from past.skills.ops.analyze import analyze

    reporter = reporter or NullReporter()
    run_dir = Path(run_dir)
    state = RunState(run_dir, "build-skill", recipe.to_dict())
    registry = ModelRegistry(settings)
    base = registry.resolve(recipe.base_model).path
    library = SkillLibrary(settings)
    if library.path_for(recipe.name).exists() and not overwrite and not state.done("publish"):
        raise SkillExistsError(f"a skill named {recipe.name!r} is already in the library; choose another name")
    sources = list(rounds) if rounds is not None else recipe.round_sources()
    for k, part in enumerate(sources, start=1):
        if not part.documents:
            raise ConfigError(f"round {k} has no source documents")
        if not part.qa.items:
            raise ConfigError(f"round {k} has no closed-book questions for GRPO: attach questions to its documents")
    judge = judge or make_reward(**recipe.reward)
    started = time.monotonic()
    span = 0.97
    previous: dict[str, Any] | None = None
    round_info: list[dict[str, Any]] = []
    analyses: list[dict[str, Any]] = []
    for k, part in enumerate(sources, start=1):
        lo, hi = span * (k - 1) / len(sources), span * k / len(sources)
        rdir = run_dir / f"round-{k}"
        reporter.log(f"round {k}/{len(sources)}: {len(part.documents)} documents, {len(part.qa)} questions")
        sft = _source_sft(state, recipe, k, base, part, rdir, ScaledReporter(reporter, lo, lo + 0.3 * (hi - lo)))
        theta_sft = rdir / "theta_sft"

        def merge(sft=sft, theta_sft=theta_sft) -> dict[str, Any]:
            from past.skills import merge_adapter

            return {"model_dir": str(merge_adapter(base, sft["adapter"], theta_sft, overwrite=True).path)}

        state.run(f"round{k}.merge", merge, reporter)
        before = state.run(
            f"round{k}.before_rl", lambda part=part, theta_sft=theta_sft: _before_rl(recipe, theta_sft, part), reporter
        )

        def rl(k=k, part=part, rdir=rdir, theta_sft=theta_sft, init=previous, lo=lo, hi=hi) -> dict[str, Any]:
            from past.training.grpo import train_grpo

            sub = _Prefixed(ScaledReporter(reporter, lo + 0.35 * (hi - lo), hi), f"round {k} ")
            pairs = [{"question": q.question, "answers": list(q.answers), "doc_id": q.doc_id} for q in part.qa.items]
            init_adapter = init["adapter_dir"] if init else None
            result = train_grpo(theta_sft, pairs, recipe.grpo_config(k), rdir / "grpo", sub, judge, init_adapter)
            return trained_outputs(
                result, reporter, "GRPO stopped on request; rerun the same command to resume", GRPO_OUTPUTS
            )

        grpo = state.run(f"round{k}.grpo", rl, reporter)
        if k == len(sources) and recipe.keep_source_model:

            def source_model(theta_sft=theta_sft, grpo=grpo, rdir=rdir) -> dict[str, Any]:
                from past.skills import merge_adapter

                path = merge_adapter(theta_sft, grpo["adapter_dir"], rdir / "theta_rl", overwrite=True).path
                return {"model_dir": str(path)}

            state.run(f"round{k}.source_model", source_model, reporter)
        shutil.rmtree(theta_sft, ignore_errors=True)  # large, and no longer needed once this round's GRPO is done

        def analysis(k=k, sft=sft, grpo=grpo, prev_sft=round_info[-1]["sft"] if round_info else None):
            tables = [_analysis(analyze, sft["adapter"], grpo["adapter_dir"], f"SFT (round {k}) vs RL skill v{k}")]
            if prev_sft is not None:
                label = f"control: SFT (round {k}) vs SFT (round {k - 1}), disjoint documents"
                tables.append(_analysis(analyze, sft["adapter"], prev_sft["adapter"], label))
            return {"tables": tables}

        analyses.extend(state.run(f"round{k}.analysis", analysis, reporter)["tables"])
        previous = grpo
        round_info.append(
            {
                "round": k,
                "documents": [{"doc_id": d.doc_id, "sha256": d.sha256[:16]} for d in part.documents],
                "questions": len(part.qa),
                "sft": sft,
                "before_rl": before,
                "grpo": grpo,
            }
        )
    assert previous is not None
    manifest = state.run(
        "publish",
        lambda: _publish(recipe, settings, base, previous["adapter_dir"], round_info, analyses, state, judge),
        reporter,
    )
    spec = recipe.evaluation_spec()
    if spec is not None:
        from past.pipeline.skill_evaluation import evaluate_skill

        evaluation = state.run(
            "evaluate",
            lambda: evaluate_skill(
                base, library.path_for(recipe.name), spec, run_dir / "evaluation", ScaledReporter(reporter, span, 1.0)
            ),
            reporter,
        )
        stored = SkillManifest.read(library.path_for(recipe.name))
        stored.metrics["evaluation"] = evaluation
        stored.write(library.path_for(recipe.name))
    reporter.progress(1.0, f"skill {recipe.name} ready ({time.monotonic() - started:.0f} s this session)")
    return SkillManifest.read(library.path_for(recipe.name)).to_dict() if manifest else {}


def source_adapt_config(recipe: SkillRecipe, k: int) -> AdaptConfig:
    """Round k's source fine-tune as a Stage II config (mode ``sft``): the recipe's preset's stages when it names
    one — the same data recipe, exposures and batch as that preset's target fine-tunes — seeded per round."""
    seed = recipe.sft_config(k).seed
    stages = [AdaptStage.from_dict({**s, "sft": {**s["sft"], "seed": seed}}) for s in recipe.source_stages()]
    return AdaptConfig(mode="sft", output="adapter", seed=seed, preset=recipe.preset or "custom", stages=stages)


def _source_sft(
    state: RunState, recipe: SkillRecipe, k: int, base: Path, part: Sources, rdir: Path, reporter: Reporter
) -> dict[str, Any]:
    """Round k's fine-tune: Stage II in mode ``sft`` on the round's documents (the recipe's preset's stages)."""

    def run() -> dict[str, Any]:
        config = source_adapt_config(recipe, k)
        result = adapt(base, part.documents, config, rdir / "sft", provided=part.provided, reporter=reporter)
        trained = result.stages[-1]
        return {
            "adapter": result.adapter,
            "steps": trained["steps"],
            "seconds": trained["seconds"],
            "first_loss": trained["first_loss"],
            "last_loss": trained["last_loss"],
            "seed": trained["seed"],
            "texts": trained["texts"],
        }

    return state.run(f"round{k}.sft", run, reporter)


def _before_rl(recipe: SkillRecipe, theta_sft: Path, part: Sources) -> dict[str, Any]:
    """The source model's closed-book accuracy on (up to ``before_rl_questions`` of) its round's questions, in the
    GRPO's first prompt style, before RL: how often RL can find a correct answer to reinforce."""
    if recipe.before_rl_questions == 0 or not (theta_sft / "config.json").is_file():
        return {}  # not asked for, or a run resumed from before this measurement existed (θ_sft already removed)
    from past.evaluation import EvalConfig, evaluate_loaded
    from past.judges import RuleQAJudge
    from past.training.modeling import load_with_adapter

    style = recipe.grpo_config().prompts[0]
    qa = part.qa.filter(limit=recipe.before_rl_questions)
    model, tokenizer = load_with_adapter(theta_sft, None)
    result = evaluate_loaded(model, tokenizer, qa, RuleQAJudge(), EvalConfig(prompt=style), label="source SFT")
    return {
        "accuracy": round(result.accuracy, 4),
        "mean_f1": round(result.mean_f1, 4),
        "containment": round(result.containment, 4),
        "n_questions": len(result.questions),
        "prompt": style,
        "judge": "rule: token F1 of the answer >= 0.5",
    }


def _analysis(analyze: Any, left: str, right: str, label: str) -> dict[str, Any]:
    from past.skills.forms.lora import LoraDelta

    a, b = LoraDelta(Path(left)), LoraDelta(Path(right))
    try:
        return analyze(a, b, label=label).to_dict()
    finally:
        a.close()
        b.close()


def _publish(
    recipe: SkillRecipe,
    settings: Settings,
    base: Path,
    adapter_dir: str,
    round_info: list[dict[str, Any]],
    analyses: list[dict[str, Any]],
    state: RunState,
    judge: Any,
) -> dict[str, Any]:
    import torch

    from past.skills import skill_from_adapter

    registry = ModelRegistry(settings)
    library = SkillLibrary(settings)
    config = json.loads((base / "config.json").read_text())
    seconds = state.stage_seconds()
    target = library.new_path(recipe.name, overwrite=True)
    skill = skill_from_adapter(
        adapter_dir,
        target,
        name=recipe.name,
        base_fingerprint=registry.fingerprint(recipe.base_model),
        base_ref=recipe.base_model,
        architecture=(config.get("architectures") or [""])[0],
        model_type=config.get("model_type", ""),
        overwrite=True,
        dtype=getattr(torch, recipe.skill_dtype),
        description=recipe.description,
        source_domain=recipe.source_domain,
        source_documents=[d["doc_id"] for r in round_info for d in r["documents"]],
        rounds=len(round_info),
        recipe={**recipe.to_dict(), "seeds": [r["grpo"]["seed"] for r in round_info]},
        metrics={
            "grpo_reward_curve": [r["grpo"]["rewards"] for r in round_info],
            "grpo_reward_first_last": [_first_last(r["grpo"]["rewards"]) for r in round_info],
            "sft_loss_first_last": [[r["sft"]["first_loss"], r["sft"]["last_loss"]] for r in round_info],
            "source_accuracy_before_rl": [r.get("before_rl") or {} for r in round_info],
            "grpo_correct_group_curve": [r["grpo"].get("correct_groups", []) for r in round_info],
            "reward": {**recipe.reward, "name": getattr(judge, "name", str(judge))},
            "orthogonality": {a["label"]: a["summary"] for a in analyses},
        },
        default_lambda=recipe.default_lambda,
        extra={
            "round_details": round_info,
            "environment": run_environment(),
            "timing": {
                "created_at": state.data["created_at"],
                "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "total_stage_seconds": round(sum(seconds.values()), 1),
                "stage_seconds": seconds,
            },
        },
    )
    skill.close()
    (target / ANALYSIS_FILE).write_text(json.dumps(analyses, indent=1))
    return {"skill_dir": str(target)}


def _first_last(values: list[float]) -> list[float]:
    return [values[0], values[-1]] if values else []


class _Prefixed(ScaledReporter):
    """Forwards everything, prefixing progress messages (e.g. ``round 2``)."""

    def __init__(self, parent: Reporter, prefix: str) -> None:
        super().__init__(parent, 0.0, 1.0)
        self.prefix = prefix

    def progress(self, fraction: float, message: str) -> None:
        super().progress(fraction, self.prefix + message)
