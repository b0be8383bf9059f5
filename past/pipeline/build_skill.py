"""Stage I: build a skill vector with K-round iterative refinement and write it into the skill library.

Round k: SFT from the base on source subset k (LoRA) and merge -> θ_sft,k; GRPO on closed-book QA of
subset k with a LoRA on θ_sft,k that starts from v_{k−1} (zero in round 1), so that the trained adapter is
exactly v_k = θ_rl,k − θ_sft,k = v_{k−1} + (RL update of round k), in LoRA form at a fixed rank. The final
v_K goes into the library (``past.skills`` LoRA form: PEFT adapter, bf16) with its ``skill.json``: recipe,
seeds, rounds, source documents (sha256), metrics, where and how long it ran. Every stage is resumable
through the run directory's state.
"""

from __future__ import annotations

import hashlib
import shutil
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import torch

from past.errors import PastError
from past.models import ModelRegistry
from past.pipeline.corpus import Corpus, chunk_text, load_corpus
from past.pipeline.environment import run_environment
from past.pipeline.lora_delta import add_deltas, copy_adapter, lora_deltas
from past.pipeline.recipe import SkillRecipe
from past.pipeline.state import RunState
from past.progress import NullReporter, Reporter, ScaledReporter
from past.settings import Settings
from past.skills import SkillExistsError, SkillLibrary, SkillManifest
from past.training.data import build_sft_dataset
from past.training.grpo import train_grpo
from past.training.modeling import load_model, merge_lora, save_model
from past.training.sft import train_sft


def sft_dataset_for(corpus: Corpus, tokenizer: Any, chunk_tokens: int):
    chunks = [c for doc in corpus.documents for c in chunk_text(doc.text, tokenizer, chunk_tokens)]
    return build_sft_dataset(tokenizer, texts=chunks)


def file_digest(path: str | Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16]


def source_files(paths: list[str]) -> list[dict[str, str]]:
    files = []
    for raw in paths:
        path = Path(raw)
        for file in sorted(path.iterdir()) if path.is_dir() else [path]:
            if file.is_file():
                files.append({"path": file.name, "sha256": file_digest(file)})
    return files


def build_skill(
    recipe: SkillRecipe,
    settings: Settings,
    run_dir: str | Path,
    reporter: Reporter | None = None,
    judge: Any = None,
    overwrite: bool = False,
) -> dict[str, Any]:
    """Run (or resume) every stage of ``recipe``; returns the skill's manifest."""
    reporter = reporter or NullReporter()
    run_dir = Path(run_dir)
    state = RunState(run_dir, "build-skill", recipe.to_dict())
    registry = ModelRegistry(settings)
    base = registry.resolve(recipe.base_model).path
    base_fingerprint = registry.fingerprint(recipe.base_model)
    library = SkillLibrary(settings)
    target = library.path_for(recipe.name)
    if target.exists() and not overwrite and not state.done("publish"):
        raise SkillExistsError(f"a skill named {recipe.name!r} is already in the library; choose another name")
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(base)
    started = time.monotonic()
    rounds = len(recipe.rounds)
    has_eval = recipe.evaluation_spec() is not None
    span = 0.85 if has_eval else 0.97
    prev_adapter: str | None = None
    round_info = []
    for k, sources in enumerate(recipe.rounds, start=1):
        lo, hi = span * (k - 1) / rounds, span * k / rounds
        rdir = run_dir / f"round-{k}"
        corpus = load_corpus(sources)
        if not corpus.documents:
            raise PastError(f"round {k} has no source documents (.md/.txt) among {sources}")
        if not corpus.qa:
            raise PastError(f"round {k} has no closed-book QA pairs (*.qa.json or .jsonl) among {sources}")
        sft_cfg, grpo_cfg = recipe.sft_config(), recipe.grpo_config()
        sft_cfg.seed = grpo_cfg.seed = recipe.seed + k - 1
        reporter.log(f"round {k}/{rounds}: {len(corpus.documents)} documents, {len(corpus.qa)} questions")

        def sft_stage(corpus=corpus, rdir=rdir, sft_cfg=sft_cfg, lo=lo, hi=hi, k=k) -> dict[str, Any]:
            dataset = sft_dataset_for(corpus, tokenizer, recipe.chunk_tokens)
            sub = ScaledReporter(reporter, lo, lo + 0.2 * (hi - lo))
            result = train_sft(base, dataset, sft_cfg, rdir / "sft", _Prefixed(sub, f"round {k} "))
            _stop_if_requested(reporter, result.stopped, "SFT")
            return {
                "adapter_dir": result.adapter_dir,
                "steps": result.steps,
                "seconds": result.seconds,
                "first_loss": result.first_loss,
                "last_loss": result.last_loss,
                "seed": result.seed,
                "examples": len(dataset),
            }

        sft_out = state.run(f"round{k}.sft", sft_stage, reporter)
        theta_sft = rdir / "theta_sft"
        state.run(
            f"round{k}.merge",
            lambda s=sft_out, t=theta_sft: {"model_dir": str(merge_lora(base, s["adapter_dir"], t))},
            reporter,
        )

        def grpo_stage(corpus=corpus, rdir=rdir, grpo_cfg=grpo_cfg, lo=lo, hi=hi, k=k, prev=prev_adapter, t=theta_sft):
            sub = ScaledReporter(reporter, lo + 0.25 * (hi - lo), hi)
            result = train_grpo(t, corpus.qa, grpo_cfg, rdir / "grpo", _Prefixed(sub, f"round {k} "), judge, prev)
            _stop_if_requested(reporter, result.stopped, "GRPO")
            return {
                "adapter_dir": result.adapter_dir,
                "steps": result.steps,
                "seconds": result.seconds,
                "rewards": result.rewards,
                "kls": result.kls,
                "seed": result.seed,
            }

        grpo_out = state.run(f"round{k}.grpo", grpo_stage, reporter)
        if k == rounds and recipe.keep_source_model:
            state.run(
                f"round{k}.source_model",
                lambda t=theta_sft, g=grpo_out, r=rdir: {
                    "model_dir": str(_inject_into(t, g["adapter_dir"], 1.0, r / "theta_rl"))
                },
                reporter,
            )
        if theta_sft.exists():
            shutil.rmtree(theta_sft)  # large and no longer needed once GRPO of this round is done
        prev_adapter = grpo_out["adapter_dir"]
        round_info.append(
            {
                "round": k,
                "sources": source_files(sources),
                "documents": [d.doc_id for d in corpus.documents],
                "questions": len(corpus.qa),
                "sft": sft_out,
                "grpo": grpo_out,
            }
        )

    assert prev_adapter is not None
    environment = run_environment()

    def publish() -> dict[str, Any]:
        import json

        from past.skills import skill_from_adapter

        bf16 = copy_adapter(prev_adapter, run_dir / "skill-adapter", getattr(torch, recipe.skill_dtype))
        config = json.loads((Path(base) / "config.json").read_text())
        seconds = state.stage_seconds()
        skill_from_adapter(
            bf16,
            library.new_path(recipe.name, overwrite=True),
            name=recipe.name,
            base_fingerprint=base_fingerprint,
            base_ref=recipe.base_model,
            architecture=(config.get("architectures") or [""])[0],
            model_type=config.get("model_type", ""),
            overwrite=True,
            description=recipe.description,
            source_domain="closed-book QA on fictional documents",
            source_documents=sorted({f["path"] for r in round_info for f in r["sources"]}),
            rounds=rounds,
            recipe={**recipe.to_dict(), "seeds": [recipe.seed + k for k in range(rounds)]},
            metrics={
                "grpo_reward_first_last": [[r["grpo"]["rewards"][:1], r["grpo"]["rewards"][-1:]] for r in round_info],
                "sft_loss_first_last": [[r["sft"]["first_loss"], r["sft"]["last_loss"]] for r in round_info],
            },
            default_lambda=1.0,
            extra={
                "round_details": round_info,
                "environment": environment,
                "timing": {
                    "created_at": state.data["created_at"],
                    "finished_at": _now(),
                    "total_stage_seconds": round(sum(seconds.values()), 1),
                    "stage_seconds": seconds,
                },
            },
        )
        shutil.rmtree(bf16, ignore_errors=True)
        return {"skill_dir": str(target)}

    skill = state.run("publish", publish, reporter)
    spec = recipe.evaluation_spec()
    if spec is not None:
        from past.pipeline.compare import compare_modes

        def evaluate() -> dict[str, Any]:
            source_model = (
                state.outputs(f"round{rounds}.source_model")["model_dir"]
                if state.done(f"round{rounds}.source_model")
                else None
            )
            return compare_modes(
                base,
                skill["skill_dir"],
                spec,
                run_dir / "evaluation",
                ScaledReporter(reporter, span, 0.99),
                judge,
                source_model=source_model,
                seed=recipe.seed,
                chunk_tokens=recipe.chunk_tokens,
            )

        evaluation = state.run("evaluate", evaluate, reporter)
        manifest = SkillManifest.read(target)
        manifest.metrics["evaluation"] = {k: v for k, v in evaluation.items() if k != "details"}
        manifest.extra["timing"]["stage_seconds"] = state.stage_seconds()
        manifest.extra["timing"]["total_stage_seconds"] = round(sum(state.stage_seconds().values()), 1)
        manifest.write(target)
    reporter.progress(1.0, f"skill {recipe.name} ready ({time.monotonic() - started:.0f} s this session)")
    return SkillManifest.read(target).to_dict()


def _inject_into(model_dir: str | Path, adapter_dir: str | Path, lam: float, out: Path) -> Path:
    model, tokenizer = load_model(model_dir)
    add_deltas(model, lora_deltas(adapter_dir), lam)
    return save_model(model, tokenizer, out)


def _stop_if_requested(reporter: Reporter, stopped: bool, what: str) -> None:
    if stopped or reporter.should_stop():
        raise StoppedError(f"{what} stopped on request; rerun the same command to resume")


class StoppedError(PastError):
    """The user asked to stop; the run directory keeps what was done."""


class _Prefixed(ScaledReporter):
    """Forwards everything, prefixing progress messages (e.g. ``round 2``)."""

    def __init__(self, parent: Reporter, prefix: str) -> None:
        super().__init__(parent, 0.0, 1.0)
        self.prefix = prefix

    def progress(self, fraction: float, message: str) -> None:
        super().progress(fraction, self.prefix + message)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
