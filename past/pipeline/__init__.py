"""The PaST pipeline: Stage I (K-round skill building), Stage II (adaptation + injection), evaluation."""

from past.pipeline.adapt import MODES, AdaptConfig, adapt, register_adapted
from past.pipeline.build_skill import StoppedError, build_skill
from past.pipeline.closed_book import evaluate_closed_book
from past.pipeline.corpus import Corpus, load_corpus
from past.pipeline.recipe import EvaluationSpec, SkillRecipe
from past.pipeline.state import RunState

__all__ = [
    "MODES",
    "AdaptConfig",
    "Corpus",
    "EvaluationSpec",
    "RunState",
    "SkillRecipe",
    "StoppedError",
    "adapt",
    "build_skill",
    "evaluate_closed_book",
    "load_corpus",
    "register_adapted",
]
