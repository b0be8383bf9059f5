"""Build a tool-use skill vector on source-category queries: SFT on their API documents and first ReAct steps
(merged → θ_S^sft), then multi-turn GRPO with the composite reward → v = θ_rl − θ_S^sft in LoRA form, written as
a skill directory (``past.skills``) whose manifest says ``extra.kind = "tool_use"``.

Every stage keeps its output under ``run_dir`` and is skipped when that output exists (rerun to resume). Used by
``past tools build-skill`` and ``bench/tool_use.py``; the one-pipeline Stage I can call it as its tool-use
recipe.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from past.progress import NullReporter, Reporter, ScaledReporter
from past.tools.docs_data import DocsDataConfig, docs_sft_records
from past.tools.format_data import TOOL_SFT_MAX_LENGTH, first_step_records
from past.tools.queries import ToolQuery
from past.tools.rl import ToolGRPOConfig, train_tool_grpo
from past.tools.schema import ApiSpec
from past.tools.simulator import ApiSimulator

TOOL_USE_KIND = "tool_use"


@dataclass
class ToolSkillRecipe:
    name: str = "tool-use-skill"
    sft_steps: int = 48
    sft_batch_size: int = 4
    sft_max_length: int = TOOL_SFT_MAX_LENGTH
    questions_per_api: int = 1
    seed: int = 0
    rl: dict[str, Any] = field(default_factory=dict)  # ToolGRPOConfig settings

    def rl_config(self) -> ToolGRPOConfig:
        return ToolGRPOConfig.from_dict({"seed": self.seed, "save_steps": 2, **self.rl})


def unique_apis(queries: Sequence[ToolQuery]) -> list[ApiSpec]:
    """Every API the queries may call, once, in first-seen order."""
    seen: dict[str, ApiSpec] = {}
    for query in queries:
        for api in query.apis:
            seen.setdefault(api.function, api)
    return list(seen.values())


def sft_on_records(
    model: str | Path,
    records: list[dict[str, Any]],
    out: Path,
    steps: int,
    seed: int = 0,
    batch_size: int = 4,
    max_length: int = TOOL_SFT_MAX_LENGTH,
    reporter: Reporter | None = None,
) -> Path:
    """LoRA SFT on records (shuffled with the seed); returns the adapter directory (kept: skipped on a rerun)."""
    from past.training import SFTTrainConfig, build_sft_dataset, train_sft
    from past.training.modeling import load_model

    adapter = out / "adapter"
    if (adapter / "adapter_model.safetensors").is_file():
        return adapter
    _, tokenizer = load_model(model)
    dataset = build_sft_dataset(tokenizer, records=records).shuffle(seed=seed)
    config = SFTTrainConfig(max_steps=steps, batch_size=batch_size, max_length=max_length, seed=seed, save_steps=20)
    train_sft(model, dataset, config, out, reporter)
    return adapter


def build_tool_skill(
    base: str | Path,
    source: Sequence[ToolQuery],
    recipe: ToolSkillRecipe,
    run_dir: str | Path,
    out_dir: str | Path,
    reporter: Reporter | None = None,
    format_queries: Sequence[ToolQuery] | None = None,
) -> Path:
    """Stage I for tool use; returns the skill directory ``out_dir``.

    The format-alignment records are the first steps of ``format_queries`` (more queries of the same source
    categories: the format is cheap to learn from many) or, when not given, of the RL queries ``source``.
    """
    from past.models.fingerprint import fingerprint_checkpoint
    from past.skills import merge_adapter, skill_from_adapter

    reporter = reporter or NullReporter()
    base, run_dir, out_dir = Path(base), Path(run_dir), Path(out_dir)
    if (out_dir / "skill.json").is_file():
        return out_dir
    apis = unique_apis(source)
    docs = docs_sft_records(apis, DocsDataConfig(questions_per_api=recipe.questions_per_api, seed=recipe.seed))
    format_records = first_step_records(format_queries if format_queries is not None else source)
    records = docs.records + format_records
    reporter.log(
        f"tool skill: {len(source)} source queries, {len(apis)} APIs, {len(records)} SFT records "
        f"({len(format_records)} first steps)"
    )
    started = time.monotonic()
    adapter = sft_on_records(
        base,
        records,
        run_dir / "source-sft",
        recipe.sft_steps,
        recipe.seed,
        recipe.sft_batch_size,
        recipe.sft_max_length,
        ScaledReporter(reporter, 0.0, 0.3),
    )
    merged = run_dir / "source-sft-merged"
    if not (merged / "config.json").is_file():
        merge_adapter(base, adapter, merged, register=False)
    config = recipe.rl_config()
    result = train_tool_grpo(
        merged, source, ApiSimulator(apis), config, run_dir / "rl", ScaledReporter(reporter, 0.35, 0.95)
    )
    base_config = _read_config(base)
    skill_from_adapter(
        result.adapter_dir,
        out_dir,
        name=recipe.name,
        base_fingerprint=fingerprint_checkpoint(base),
        base_ref=str(base),
        architecture=(base_config.get("architectures") or [""])[0],
        model_type=base_config.get("model_type", ""),
        description="Tool-use skill: multi-turn GRPO with the composite reward on source API categories",
        source_domain="closed-book tool use",
        source_documents=sorted({q.query_id for q in source}),
        recipe={**asdict(recipe), "rl": asdict(config)},
        metrics={
            "rl_rewards": result.rewards,
            "rl_components": result.components,
            "seconds": round(time.monotonic() - started, 1),
        },
        extra={"kind": TOOL_USE_KIND, "categories": sorted({c for q in source for c in q.categories})},
    )
    reporter.progress(1.0, f"tool skill {recipe.name} written")
    return out_dir


def _read_config(path: Path) -> dict[str, Any]:
    import json

    try:
        return json.loads((path / "config.json").read_text())
    except (OSError, ValueError):
        return {}
