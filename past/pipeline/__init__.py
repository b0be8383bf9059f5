"""The PaST pipeline: Stage I (K-round skill building) and Stage II (adaptation + injection), one of each.

Both take typed configs and are used alike by the CLI (``past build-skill``, ``past adapt``), the studio's
job kinds (thin wrappers) and the benchmarks. Sources are read by :mod:`past.pipeline.sources`; the data a
fine-tune trains on is a :class:`~past.pipeline.data_recipe.DataRecipe`; evaluation is :mod:`past.evaluation`.

The public names are imported on first use (:mod:`past.lazy`): the light modules
(:mod:`~past.pipeline.records`, :mod:`~past.pipeline.cost`) load without the training stack.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from past.lazy import lazy_exports

_WHERE = {  # public name -> the module that defines it, imported on first use
    "DEFAULT_PRESET": "past.adapt_params",
    "MODES": "past.adapt_params",
    "PRESETS": "past.adapt_params",
    "AdaptParams": "past.adapt_params",
    "AdaptConfig": "adapt",
    "AdaptResult": "adapt",
    "AdaptStage": "adapt",
    "StoppedError": "adapt",
    "DataRecipe": "data_recipe",
    "EvaluationSpec": "recipe",
    "SkillRecipe": "recipe",
    "Sources": "sources",
    "load_sources": "sources",
    "RunState": "state",
}
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
    "load_sources",
]

__getattr__, __dir__ = lazy_exports(__name__, _WHERE, globals())

if TYPE_CHECKING:
    from past.adapt_params import DEFAULT_PRESET, MODES, PRESETS, AdaptParams
    from past.pipeline.adapt import (
        AdaptConfig,
        AdaptResult,
        AdaptStage,
        StoppedError,
    )
    from past.pipeline.data_recipe import DataRecipe
    from past.pipeline.recipe import EvaluationSpec, SkillRecipe
    from past.pipeline.sources import Sources, load_sources
    from past.pipeline.state import RunState
