"""Adapted models in the data directory: Stage II run for a named result, analysed and published.

:func:`adapt_and_publish` is what ``past adapt`` and the studio's Adapt job both do, so the same inputs give
the same adapters: resolve the base model and the skill (fingerprint-checked), run :func:`past.pipeline.adapt`,
measure how independent the fine-tune and the skill are (layer-wise cosine, the reason the sum works) and
publish under ``<data>/adapters/<name>/``:

* ``baseline/`` — the target fine-tune alone (a PEFT adapter over the base),
* ``injected/`` — fine-tune + λ·skill as one exact adapter (modes that inject),
* ``orthogonality.json`` — the analysis, ``adapted.json`` — what was done (base, skill, λ, config, documents).

A publish replaces the folder whole (staging folder + rename); nothing else in the data directory is touched.
The record's reader is :func:`past.pipeline.records.read_adapted` (light: no training stack).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from past.adapt_params import NEEDS_SKILL
from past.documents.ingest import Document
from past.errors import ConfigError
from past.generators.base import ChatGenerator
from past.pipeline.adapt import AdaptConfig, AdaptResult, adapt
from past.pipeline.records import ANALYSIS_FILE, RECORD_FILE, check_adapted_name, published_paths
from past.progress import NullReporter, Reporter, ScaledReporter
from past.settings import Settings


def adapt_and_publish(
    settings: Settings,
    *,
    name: str,
    base_ref: str,
    documents: Sequence[Document],
    config: AdaptConfig,
    run_dir: str | Path,
    skill_name: str | None = None,
    generator: ChatGenerator | None = None,
    source_model: str | Path | None = None,
    reporter: Reporter | None = None,
    collection: str = "",
) -> dict[str, Any]:
    """Run Stage II for ``documents`` and publish the result as ``name``; returns the published record."""
    from past.models import ModelRegistry
    from past.skills import SkillLibrary, check

    check_adapted_name(name)
    reporter = reporter or NullReporter()
    registry = ModelRegistry(settings)
    base = registry.resolve(base_ref)
    skill = None
    if config.mode in NEEDS_SKILL:
        if not skill_name:
            raise ConfigError(f"mode {config.mode!r} injects a skill: choose one")
        skill = SkillLibrary(settings).load(skill_name)
    try:
        if skill is not None:
            check(skill, base.path)  # the skill must belong to this base (raises with the reason)
        result = adapt(
            base.path,
            documents,
            config,
            run_dir,
            skill=skill,
            generator=generator,
            source_model=source_model,
            reporter=ScaledReporter(reporter, 0.0, 0.95),
        )
        analysis = _orthogonality(result, skill, skill_name) if skill is not None else None
    finally:
        if skill is not None:
            skill.close()
    record = {
        "name": name,
        "base": base_ref,
        "base_label": base.label,
        "skill": skill_name if config.mode in NEEDS_SKILL else None,
        "lam": result.lam,
        "mode": config.mode,
        "preset": config.preset,
        "config": config.to_dict(),
        "collection": collection,
        "documents": [{"name": d.name, "sha256": d.sha256[:16], "chars": len(d.text)} for d in documents],
        "stages": result.stages,
        "stage_seconds": result.stage_seconds,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    path = publish(settings.adapters_dir / name, result, record, analysis)
    reporter.progress(1.0, f"'{name}' is ready to chat with")
    return {**record, "path": str(path), **published_paths(path)}


def _orthogonality(result: AdaptResult, skill: Any, skill_name: str | None) -> list[dict[str, Any]] | None:
    """The target fine-tune against the skill, layer by layer."""
    from past.skills import analyze
    from past.skills.forms.lora import LoraDelta

    tuned = result.baseline_adapter or (result.stages[-1]["adapter_dir"] if result.stages else None)
    if not tuned:
        return None
    delta = LoraDelta(Path(tuned))
    try:
        return [analyze(delta, skill, label=f"your fine-tune vs skill '{skill_name}'").to_dict()]
    finally:
        delta.close()


def publish(target: Path, result: AdaptResult, record: dict[str, Any], analysis: list[dict[str, Any]] | None) -> Path:
    """Copy the adapters and records under ``target`` (replaced whole, via a staging folder)."""
    staging = target.with_name(f".{target.name}.staging")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    if result.baseline_adapter:
        shutil.copytree(result.baseline_adapter, staging / "baseline")
    if result.adapter and record["mode"] != "sft":
        shutil.copytree(result.adapter, staging / "injected")
    if result.model_dir:
        shutil.copytree(result.model_dir, staging / "model")
    if analysis is not None:
        (staging / ANALYSIS_FILE).write_text(json.dumps(analysis, indent=1))
    (staging / RECORD_FILE).write_text(json.dumps({**record, "base_dir": result.base}, indent=2, default=str))
    if target.exists():
        shutil.rmtree(target)
    staging.rename(target)
    return target
