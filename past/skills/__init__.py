"""The skill-vector engine: format, library and operations on weight deltas (PaST's core arithmetic).

Public API (import from here):

* :class:`SkillManifest`, :class:`SkillVector`, :func:`skill_from_adapter` — the format.
* :class:`SkillLibrary` — the on-disk library under ``settings.skills_dir``.
* :func:`extract`, :func:`inject`, :func:`compose`, :func:`merge_adapter`, :func:`compress`,
  :func:`check`, :func:`analyze` — the operations; :class:`LambdaSpec` for λ per module/layer.

The error classes are imported with the package (they are light); the other names on first use (``from
past.skills import inject``), so importing a light submodule such as :mod:`past.skills.lambdas` does not load torch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from past.lazy import lazy_exports
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

_WHERE = {  # public name -> the module that defines it, imported on first use
    "LambdaSpec": "lambdas",
    "SkillLibrary": "library",
    "validate_name": "library",
    "SkillManifest": "manifest",
    "AnalysisTable": "ops.analysis_report",
    "analyze": "ops.analyze",
    "heatmap_figure": "ops.analysis_report",
    "CompatibilityReport": "ops.check",
    "check": "ops.check",
    "CompressResult": "ops.compress",
    "compress": "ops.compress",
    "extract": "ops.extract",
    "InjectResult": "ops.inject",
    "compose": "ops.inject",
    "inject": "ops.inject",
    "merge_adapter": "ops.inject",
    "open_weights": "tensors.source",
    "SkillVector": "vector",
    "skill_from_adapter": "vector",
}
__all__ = [
    "AnalysisTable",
    "CompatibilityReport",
    "CompressResult",
    "InjectResult",
    "LambdaSpec",
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


__getattr__, __dir__ = lazy_exports(__name__, _WHERE, globals())


if TYPE_CHECKING:
    from past.skills.lambdas import LambdaSpec
    from past.skills.library import SkillLibrary, validate_name
    from past.skills.manifest import SkillManifest
    from past.skills.ops.analysis_report import AnalysisTable, heatmap_figure
    from past.skills.ops.analyze import analyze
    from past.skills.ops.check import CompatibilityReport, check
    from past.skills.ops.compress import CompressResult, compress
    from past.skills.ops.extract import extract
    from past.skills.ops.inject import InjectResult, compose, inject, merge_adapter
    from past.skills.tensors.source import open_weights
    from past.skills.vector import SkillVector, skill_from_adapter
