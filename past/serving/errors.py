"""User-facing errors of chat serving: bad prompts, adapters, memory budget, missing engines."""

from __future__ import annotations

from past.errors import ModelError, PastError


class ServingError(PastError):
    """Something about a chat request that the user can fix."""


class EmptyPromptError(ServingError):
    """The message to answer is empty."""


class NoChatTemplateError(ServingError):
    """The model's tokenizer has no chat template, so a conversation cannot be turned into a prompt."""


class PromptTooLongError(ServingError):
    """The prompt cannot be made to fit the model's context window."""


class AdapterError(ModelError):
    """A LoRA adapter directory is missing, malformed, or does not fit its base model."""


class MemoryBudgetError(ServingError):
    """Loading a model would exceed the model pool's memory budget."""


class EngineUnavailableError(ServingError):
    """The requested chat engine cannot run here (e.g. vLLM without a GPU)."""
