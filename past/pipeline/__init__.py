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

if TYPE_CHECKING:  # the public names, each imported on first use (past/lazy.py)
    from past.adapt_params import (
        DEFAULT_PRESET as DEFAULT_PRESET,
    )
    from past.adapt_params import (
        MODES as MODES,
    )
    from past.adapt_params import (
        PRESETS as PRESETS,
    )
    from past.adapt_params import (
        AdaptParams as AdaptParams,
    )
    from past.pipeline.adapt import (
        AdaptConfig as AdaptConfig,
    )
    from past.pipeline.adapt import (
        AdaptResult as AdaptResult,
    )
    from past.pipeline.adapt import (
        AdaptStage as AdaptStage,
    )
    from past.pipeline.adapt import (
        StoppedError as StoppedError,
    )
    from past.pipeline.data_recipe import DataRecipe as DataRecipe
    from past.pipeline.recipe import EvaluationSpec as EvaluationSpec
    from past.pipeline.recipe import SkillRecipe as SkillRecipe
    from past.pipeline.sources import Sources as Sources
    from past.pipeline.sources import load_sources as load_sources
    from past.pipeline.state import RunState as RunState

__getattr__, __dir__, __all__ = lazy_exports(__name__, globals())
