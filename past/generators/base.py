"""The one interface every text generator implements: a batch of chat conversations in, replies out."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from past.serving.generation import GenerationParams

Message = dict[str, str]
Conversation = list[Message]


@runtime_checkable
class ChatGenerator(Protocol):
    """Generates one reply per conversation. ``name`` is recorded as provenance; ``batch_size`` is a hint."""

    name: str
    batch_size: int

    def generate(
        self, conversations: list[Conversation], params: GenerationParams, seed: int | None = None
    ) -> list[str]: ...


def user(content: str, system: str | None = None) -> Conversation:
    """A one-turn conversation, with an optional system message."""
    messages: Conversation = [{"role": "system", "content": system}] if system else []
    return [*messages, {"role": "user", "content": content}]
