"""User-facing errors of the skill-vector engine (all :class:`past.errors.PastError` subclasses)."""

from __future__ import annotations

from past.errors import OutputPathError as BaseOutputPathError
from past.errors import PastError


class SkillError(PastError):
    """Something is wrong with a skill vector or a skill operation."""


class SkillNotFoundError(SkillError):
    """No skill of that name in the library, or no skill at that path."""


class SkillNameError(SkillError):
    """A skill name that cannot be a directory name in the library (path separators, dots, ...)."""


class SkillExistsError(SkillError):
    """A skill of that name already exists (nothing is overwritten silently)."""


class SkillFormatError(SkillError):
    """A skill or checkpoint file is not what it claims: truncated, not safetensors, pickled, bad JSON."""


class SkillIntegrityError(SkillError):
    """The files of a skill do not match the content hash recorded in its manifest."""


class NonFiniteDeltaError(SkillError):
    """A delta (or a weight it is computed from) holds NaN or Inf values."""


class SkillCompatibilityError(SkillError):
    """A skill does not fit a model: architecture, shapes, keys or base fingerprint differ."""


class OutputPathError(SkillError, BaseOutputPathError):
    """The output location cannot be written (exists, unwritable, or inside an input)."""


class SkillHubError(SkillError):
    """Pushing to or pulling from a hub repository failed (offline, missing repo, no permission)."""
