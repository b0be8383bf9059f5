"""Skill recipes: the JSON that reproduces a skill (sources per round, SFT and GRPO settings, seeds).

Relative paths in a recipe file are resolved against the recipe file's own directory, so a recipe in
``assets/recipes/`` can name ``../corpora/...``. Recipes are JSON only (never pickles).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from past.errors import ConfigError
from past.training.grpo import GRPOTrainConfig
from past.training.runs import config_from_dict
from past.training.sft import SFTTrainConfig


@dataclass
class EvaluationSpec:
    """How a built skill is measured: target documents + held-out questions, λ, which modes."""

    targets: list[str] = field(default_factory=list)
    lam: float = 1.0
    modes: list[str] = field(default_factory=lambda: ["past"])
    split: str | None = None  # None: every question of the target QA files
    sft: dict[str, Any] = field(default_factory=dict)
    max_new_tokens: int = 32


@dataclass
class SkillRecipe:
    name: str
    rounds: list[list[str]]
    description: str = ""
    base_model: str = "default"
    seed: int = 0
    chunk_tokens: int = 192
    sft: dict[str, Any] = field(default_factory=dict)
    grpo: dict[str, Any] = field(default_factory=dict)
    skill_dtype: str = "bfloat16"
    keep_source_model: bool = True  # keep θ_S^rl of the last round in the run dir (for sequential FT)
    evaluation: dict[str, Any] | None = None

    def sft_config(self) -> SFTTrainConfig:
        return SFTTrainConfig.from_dict({"seed": self.seed, **self.sft})

    def grpo_config(self) -> GRPOTrainConfig:
        return GRPOTrainConfig.from_dict({"seed": self.seed, **self.grpo})

    def evaluation_spec(self) -> EvaluationSpec | None:
        return config_from_dict(EvaluationSpec, self.evaluation) if self.evaluation else None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SkillRecipe:
        recipe = config_from_dict(cls, data)
        if not recipe.name or not recipe.name.replace("-", "").replace("_", "").isalnum():
            raise ConfigError(f"a skill name uses letters, digits, '-' and '_' only, got {recipe.name!r}")
        if not recipe.rounds or not all(recipe.rounds):
            raise ConfigError("a recipe needs at least one round, each with source documents")
        recipe.sft_config(), recipe.grpo_config(), recipe.evaluation_spec()  # validate early
        return recipe

    @classmethod
    def load(cls, path: str | Path) -> SkillRecipe:
        path = Path(path)
        if not path.is_file():
            raise ConfigError(f"recipe not found: {path}")
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise ConfigError(f"recipe {path} is not valid JSON: {exc}") from exc
        base = path.resolve().parent
        data["rounds"] = [[_resolve(base, p) for p in round_] for round_ in data.get("rounds", [])]
        if data.get("evaluation"):
            data["evaluation"]["targets"] = [_resolve(base, p) for p in data["evaluation"].get("targets", [])]
        return cls.from_dict(data)


def _resolve(base: Path, raw: str) -> str:
    path = Path(raw)
    return str(path if path.is_absolute() else (base / path).resolve())
