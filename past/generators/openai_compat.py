"""Client for any OpenAI-compatible ``/chat/completions`` endpoint (vLLM, llama.cpp, hosted APIs), via httpx.

The API key is read from an environment variable named by the user, never stored. Requests run
concurrently up to ``concurrency``; transient failures (connection errors, 429, 5xx) are retried.
"""

from __future__ import annotations

import os
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from past.errors import ConfigError, EndpointError
from past.generators.base import Conversation
from past.serving.generation import GenerationParams

DEFAULT_API_KEY_ENV = "OPENAI_API_KEY"


@dataclass
class EndpointConfig:
    base_url: str
    model: str
    api_key_env: str | None = DEFAULT_API_KEY_ENV
    timeout_s: float = 120.0
    concurrency: int = 4
    max_retries: int = 2

    def __post_init__(self) -> None:
        if not self.base_url.startswith(("http://", "https://")):
            raise ConfigError(f"endpoint URL must start with http:// or https://, got '{self.base_url}'")
        if not self.model:
            raise ConfigError("an endpoint needs a model name (the 'model' field of the request)")

    def api_key(self) -> str | None:
        return os.environ.get(self.api_key_env) if self.api_key_env else None


class OpenAIChatGenerator:
    """A :class:`~past.generators.base.ChatGenerator` over an OpenAI-compatible chat endpoint."""

    def __init__(self, config: EndpointConfig) -> None:
        self.config = config
        self.name = f"openai:{config.model}@{config.base_url}"
        self.batch_size = max(1, config.concurrency) * 4
        self.url = config.base_url.rstrip("/") + "/chat/completions"

    def _headers(self) -> dict[str, str]:
        key = self.config.api_key()
        return {"Authorization": f"Bearer {key}"} if key else {}

    def _payload(self, conversation: Conversation, params: GenerationParams, seed: int | None) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "model": self.config.model,
            "messages": conversation,
            "max_tokens": params.max_new_tokens,
            "temperature": max(params.temperature, 0.0),
        }
        if params.temperature > 0:
            payload["top_p"] = params.top_p
        if seed is not None:
            payload["seed"] = seed
        return payload

    def _one(self, client: Any, payload: dict[str, Any]) -> str:
        import httpx

        last = ""
        for attempt in range(self.config.max_retries + 1):
            try:
                response = client.post(self.url, json=payload, headers=self._headers())
            except httpx.HTTPError as exc:
                last = f"cannot reach {self.url}: {exc}"
            else:
                if response.status_code == 200:
                    return _reply_text(response, self.url)
                last = f"{self.url} answered HTTP {response.status_code}: {response.text[:300]}"
                if response.status_code in (400, 401, 403, 404, 422):
                    break
            if attempt < self.config.max_retries:
                time.sleep(0.5 * 2**attempt)
        raise EndpointError(last)

    def generate(
        self, conversations: list[Conversation], params: GenerationParams, seed: int | None = None
    ) -> list[str]:
        import httpx

        payloads = [self._payload(c, params, None if seed is None else seed + i) for i, c in enumerate(conversations)]
        with (
            httpx.Client(timeout=self.config.timeout_s) as client,
            ThreadPoolExecutor(max_workers=max(1, self.config.concurrency)) as pool,
        ):
            return list(pool.map(lambda p: self._one(client, p), payloads))


def _reply_text(response: Any, url: str) -> str:
    try:
        return (response.json()["choices"][0]["message"]["content"] or "").strip()
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        raise EndpointError(f"{url} answered with an unexpected body: {response.text[:300]}") from exc
