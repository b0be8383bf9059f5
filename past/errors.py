"""User-facing error types shared by the library, the CLI and the studio.

A :class:`PastError` carries a message written for the person who caused it: the CLI prints it
without a traceback and the studio shows it in the page.
"""

from __future__ import annotations


class PastError(Exception):
    """An error whose message is meant for the user, not a developer."""


class ConfigError(PastError):
    """Bad settings, flags or environment variables."""


class ModelError(PastError):
    """A model reference could not be resolved or loaded."""


class ModelNotFoundError(ModelError):
    """The model reference points at nothing that exists."""


class ModelExistsError(ModelError):
    """A model of that name is already in the model store (stored models are never overwritten)."""


class MalformedModelError(ModelError):
    """The model exists but its files are missing, corrupt or of a refused format."""


class DocumentError(PastError):
    """A document could not be ingested; the message names the file and the reason."""

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(f"{name}: {reason}")
        self.name, self.reason = name, reason


class SynthesisError(PastError):
    """Synthetic data could not be generated (bad settings, unreachable endpoint, unusable input)."""


class EvaluationError(PastError):
    """An evaluation could not run (bad QA set, model spec or settings)."""


class EndpointError(PastError):
    """An OpenAI-compatible endpoint could not be reached or answered with an error."""


class OutputPathError(PastError):
    """An output cannot be written there: it exists, is unwritable, or would write over stored data or an input."""
