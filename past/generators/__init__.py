"""Text generators behind one interface: the local model (batched) or an OpenAI-compatible endpoint."""

from past.generators.base import ChatGenerator, Conversation, user
from past.generators.local import LocalGenerator, local_generator
from past.generators.openai_compat import DEFAULT_API_KEY_ENV, EndpointConfig, OpenAIChatGenerator

__all__ = [
    "DEFAULT_API_KEY_ENV",
    "ChatGenerator",
    "Conversation",
    "EndpointConfig",
    "LocalGenerator",
    "OpenAIChatGenerator",
    "local_generator",
    "user",
]
