"""Skill recipes: the JSON that reproduces a skill (sources per round, data recipe, SFT and GRPO settings, seeds).

Sources are given either per round (``rounds``: a list of lists of paths) or as one pool split into ``k``
disjoint, equal, consecutive parts (``sources`` + ``k``, with ``per_round`` documents each). Relative paths in a
recipe file are resolved against the recipe file's own directory, so a recipe in ``assets/recipes/`` can name
``../corpora/...`` or ``../../../shared/data/...``. Recipes are JSON only (never pickles).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from past.adapt_params import PRESETS
from past.datasets.jsonl import read_json_object
from past.errors import ConfigError
from past.evaluation.prompts import check_prompt
from past.judges import JUDGE_KINDS
from past.judges.factory import REWARD_KINDS
from past.paths import check_name
from past.pipeline.data_recipe import DataRecipe
from past.pipeline.sources import Sources, load_sources
from past.training.grpo import GRPOTrainConfig
from past.training.runs import config_from_dict
from past.training.sft import SFTTrainConfig

# Source SFT of a recipe that names no preset: the target recipe's LoRA settings, fewer epochs over the larger
# source set. A recipe that names its Stage II ``preset`` trains its sources exactly as that preset trains targets
# (the paper: one SFT recipe for Source Skill Distillation and Target Adaptation).
SOURCE_SFT: dict[str, Any] = {"max_steps": 0, "num_train_epochs": 3, "batch_size": 4, "save_steps": 25}
PRESET_DATA_KEYS = ("provided",)  # what a preset-bound recipe may add to the preset's data recipe


@dataclass
class EvaluationSpec:
    """How Stage I measures the skill it built: Stage II on ``targets`` (one fine-tune on all of them), then
    closed-book QA of base, target SFT and PaST with the one evaluator."""

    targets: list[str] = field(default_factory=list)
    lam: float | None = None
    preset: str = "short-notes"
    split: str | None = None
    max_new_tokens: int = 32
    prompt: str = "paper"
    judge: str = "rule"


@dataclass
class SkillRecipe:
    name: str
    rounds: list[list[str]] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    k: int = 1
    per_round: int | None = None
    description: str = ""
    source_domain: str = "closed-book QA"
    base_model: str = "default"
    seed: int = 0
    data: dict[str, Any] = field(default_factory=dict)
    sft: dict[str, Any] = field(default_factory=dict)
    grpo: dict[str, Any] = field(default_factory=dict)
    reward: dict[str, Any] = field(default_factory=lambda: {"kind": "short-answer"})
    skill_dtype: str = "bfloat16"
    default_lambda: float = 1.0
    keep_source_model: bool = False  # keep θ_S^rl of the last round in the run dir (for sequential FT)
    evaluation: dict[str, Any] | None = None
    preset: str | None = None  # the Stage II preset the skill is built for: its sources train with its settings
    before_rl_questions: int = 64  # questions of each round asked closed book before RL (0: skip)

    def source_stages(self) -> list[dict[str, Any]]:
        """The source SFT curriculum: the preset's stages (their data recipe + ``provided`` of this recipe, their
        SFT settings), or one stage of this recipe's own ``data`` and ``sft`` when no preset is named."""
        if self.preset is None:
            return [{"name": "sources", "data": dict(self.data), "sft": self.sft_settings()}]
        stages = [dict(s, data=dict(s["data"]), sft=dict(s["sft"])) for s in PRESETS[self.preset]["stages"]]
        stages[0]["data"].update({k: v for k, v in self.data.items() if k in PRESET_DATA_KEYS})
        return stages

    def data_recipe(self) -> DataRecipe:
        return DataRecipe.from_dict(self.source_stages()[0]["data"])

    def sft_settings(self) -> dict[str, Any]:
        if self.preset is not None:
            return dict(PRESETS[self.preset]["stages"][0]["sft"])
        return {**SOURCE_SFT, **self.sft}

    def sft_config(self, round_: int = 1) -> SFTTrainConfig:
        return SFTTrainConfig.from_dict({**self.sft_settings(), "seed": self.seed + round_ - 1})

    def grpo_config(self, round_: int = 1) -> GRPOTrainConfig:
        return GRPOTrainConfig.from_dict({**self.grpo, "seed": self.seed + round_ - 1})

    def evaluation_spec(self) -> EvaluationSpec | None:
        return config_from_dict(EvaluationSpec, self.evaluation) if self.evaluation else None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SkillRecipe:
        recipe = config_from_dict(cls, data)
        recipe.validate()
        return recipe

    def validate(self) -> None:
        check_name(self.name, "skill")
        if self.preset is not None:
            if self.preset not in PRESETS:
                raise ConfigError(f"unknown preset {self.preset!r}: choose from {', '.join(PRESETS)}")
            extra = sorted(k for k in self.data if k not in PRESET_DATA_KEYS)
            if extra or self.sft:
                raise ConfigError(
                    f"a skill built for the preset {self.preset!r} trains its sources with that preset's data and "
                    f"SFT settings: leave 'sft' out and give 'data' only {', '.join(PRESET_DATA_KEYS)} "
                    f"(found {', '.join(extra + sorted(self.sft)) or 'none'})"
                )
        if self.rounds and self.sources:
            raise ConfigError("give the source documents either per round ('rounds') or as one pool ('sources' + 'k')")
        if self.rounds and not all(self.rounds):
            raise ConfigError("every round needs source documents")
        if not 1 <= self.k <= 16:
            raise ConfigError(f"k (rounds over the pool) must lie between 1 and 16, got {self.k}")
        if self.per_round is not None and self.per_round < 1:
            raise ConfigError("per_round must be at least 1")
        kinds = sorted({*REWARD_KINDS, *JUDGE_KINDS} - {"llm"})
        if not isinstance(self.reward, dict) or self.reward.get("kind") not in kinds:
            raise ConfigError(f"the reward needs a 'kind' among {', '.join(kinds)} (the LLM judge: pass it in code)")
        self.data_recipe(), self.sft_config(), self.evaluation_spec()
        for style in self.grpo_config().prompts:
            check_prompt(style)
        if not isinstance(self.before_rl_questions, int) or not 0 <= self.before_rl_questions <= 10_000:
            raise ConfigError("before_rl_questions must be a whole number from 0 to 10000")
        if self.sft_config().method != "lora":
            raise ConfigError("Stage I fine-tunes LoRA adapters: sft.method must be 'lora'")

    @property
    def n_rounds(self) -> int:
        return len(self.rounds) if self.rounds else self.k

    def round_sources(self) -> list[Sources]:
        """The source documents and questions of each round (disjoint)."""
        if self.rounds:
            return [load_sources(paths) for paths in self.rounds]
        if not self.sources:
            raise ConfigError("the recipe names no source documents ('rounds', or 'sources' + 'k')")
        pool = load_sources(self.sources)
        return split_sources(pool, self.k, self.per_round)

    @classmethod
    def load(cls, path: str | Path) -> SkillRecipe:
        path = Path(path)
        if not path.is_file():
            raise ConfigError(f"recipe not found: {path}")
        data = read_json_object(path, ConfigError, f"recipe {path}")
        base = path.resolve().parent
        if isinstance(data.get("rounds"), list):
            data["rounds"] = [[_resolve(base, p) for p in round_] for round_ in data["rounds"]]
        if isinstance(data.get("sources"), list):
            data["sources"] = [_resolve(base, p) for p in data["sources"]]
        if isinstance(data.get("evaluation"), dict):
            data["evaluation"]["targets"] = [_resolve(base, p) for p in data["evaluation"].get("targets", [])]
        return cls.from_dict(data)


def split_sources(pool: Sources, k: int, per_round: int | None = None) -> list[Sources]:
    """``k`` disjoint consecutive parts of the pool's documents (``per_round`` each, or as equal as possible)."""
    docs = [d.doc_id for d in pool.documents]
    size = per_round or -(-len(docs) // k)
    if size * (k - 1) >= len(docs):
        raise ConfigError(f"{len(docs)} source documents cannot make {k} non-empty rounds of {size}")
    return [pool.subset(docs[i * size : (i + 1) * size]) for i in range(k)]


def _resolve(base: Path, raw: str) -> str:
    path = Path(raw)
    return str(path if path.is_absolute() else (base / path).resolve())
