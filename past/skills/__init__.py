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
from past.skills.errors import (  # light: imported with the package
    NonFiniteDeltaError as NonFiniteDeltaError,
)
from past.skills.errors import (
    OutputPathError as OutputPathError,
)
from past.skills.errors import (
    SkillCompatibilityError as SkillCompatibilityError,
)
from past.skills.errors import (
    SkillError as SkillError,
)
from past.skills.errors import (
    SkillExistsError as SkillExistsError,
)
from past.skills.errors import (
    SkillFormatError as SkillFormatError,
)
from past.skills.errors import (
    SkillHubError as SkillHubError,
)
from past.skills.errors import (
    SkillIntegrityError as SkillIntegrityError,
)
from past.skills.errors import (
    SkillNameError as SkillNameError,
)
from past.skills.errors import (
    SkillNotFoundError as SkillNotFoundError,
)

if TYPE_CHECKING:  # the public names, each imported on first use (past/lazy.py)
    from past.skills.lambdas import LambdaSpec as LambdaSpec
    from past.skills.library import SkillLibrary as SkillLibrary
    from past.skills.library import validate_name as validate_name
    from past.skills.manifest import SkillManifest as SkillManifest
    from past.skills.ops.analysis_report import AnalysisTable as AnalysisTable
    from past.skills.ops.analysis_report import heatmap_figure as heatmap_figure
    from past.skills.ops.analyze import analyze as analyze
    from past.skills.ops.check import CompatibilityReport as CompatibilityReport
    from past.skills.ops.check import check as check
    from past.skills.ops.compress import CompressResult as CompressResult
    from past.skills.ops.compress import compress as compress
    from past.skills.ops.extract import extract as extract
    from past.skills.ops.inject import (
        InjectResult as InjectResult,
    )
    from past.skills.ops.inject import (
        compose as compose,
    )
    from past.skills.ops.inject import (
        inject as inject,
    )
    from past.skills.ops.inject import (
        merge_adapter as merge_adapter,
    )
    from past.skills.tensors.source import open_weights as open_weights
    from past.skills.vector import SkillVector as SkillVector
    from past.skills.vector import skill_from_adapter as skill_from_adapter

__getattr__, __dir__, __all__ = lazy_exports(__name__, globals())
