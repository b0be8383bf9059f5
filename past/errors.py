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


class MalformedModelError(ModelError):
    """The model exists but its files are missing, corrupt or of a refused format."""
