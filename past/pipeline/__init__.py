"""The PaST pipeline: Stage I (K-round skill building) and Stage II (adaptation + injection), one of each.

Both take typed configs and are used alike by the CLI (``past build-skill``, ``past adapt``), the studio's
job kinds (thin wrappers) and the benchmarks. Sources are read by :mod:`past.pipeline.sources`; the data a
fine-tune trains on is a :class:`~past.pipeline.data_recipe.DataRecipe`; evaluation is :mod:`past.evaluation`.
"""

from past.adapt_params import DEFAULT_PRESET, MODES, PRESETS, AdaptParams
from past.pipeline.adapt import (
    AdaptConfig,
    AdaptResult,
    AdaptStage,
    StoppedError,
    adapt,
)
from past.pipeline.build_skill import build_skill
from past.pipeline.data_recipe import DataRecipe
from past.pipeline.recipe import EvaluationSpec, SkillRecipe
from past.pipeline.sources import Sources, load_sources
from past.pipeline.state import RunState

__all__ = [
    "DEFAULT_PRESET",
    "MODES",
    "PRESETS",
    "AdaptConfig",
    "AdaptParams",
    "AdaptResult",
    "AdaptStage",
    "DataRecipe",
    "EvaluationSpec",
    "RunState",
    "SkillRecipe",
    "Sources",
    "StoppedError",
    "adapt",
    "build_skill",
    "load_sources",
]
