"""The skill-vector engine: format, library and operations on weight deltas (PaST's core arithmetic).

Public API (import from here):

* :class:`SkillManifest`, :class:`SkillVector`, :func:`skill_from_adapter` — the format.
* :class:`SkillLibrary` — the on-disk library under ``settings.skills_dir``.
* :func:`extract`, :func:`inject`, :func:`compose`, :func:`merge_adapter`, :func:`compress`,
  :func:`check`, :func:`analyze` — the operations; :class:`LambdaSchedule` for λ per module/layer.
"""

from past.skills.errors import (
    NonFiniteDeltaError,
    OutputPathError,
    SkillCompatibilityError,
    SkillError,
    SkillExistsError,
    SkillFormatError,
    SkillHubError,
    SkillIntegrityError,
    SkillNameError,
    SkillNotFoundError,
)
from past.skills.lambdas import LambdaSchedule
from past.skills.library import SkillLibrary, validate_name
from past.skills.manifest import SkillManifest
from past.skills.ops.analyze import AnalysisTable, analyze, heatmap_figure
from past.skills.ops.check import CompatibilityReport, check
from past.skills.ops.compress import CompressResult, compress
from past.skills.ops.extract import extract
from past.skills.ops.inject import InjectResult, compose, inject, merge_adapter
from past.skills.tensors.source import open_weights
from past.skills.vector import SkillVector, skill_from_adapter

__all__ = [
    "AnalysisTable",
    "CompatibilityReport",
    "CompressResult",
    "InjectResult",
    "LambdaSchedule",
    "NonFiniteDeltaError",
    "OutputPathError",
    "SkillCompatibilityError",
    "SkillError",
    "SkillExistsError",
    "SkillFormatError",
    "SkillHubError",
    "SkillIntegrityError",
    "SkillLibrary",
    "SkillManifest",
    "SkillNameError",
    "SkillNotFoundError",
    "SkillVector",
    "analyze",
    "check",
    "compose",
    "compress",
    "extract",
    "heatmap_figure",
    "inject",
    "merge_adapter",
    "open_weights",
    "skill_from_adapter",
    "validate_name",
]
