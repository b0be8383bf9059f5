"""The contract between a screen module and the app: ``render(ctx)`` may return page-load hooks."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class OnLoad:
    """Run ``fn(*inputs) -> outputs`` when a page opens, so it shows what the store holds now."""

    fn: Callable[..., Any]
    inputs: list[Any] = field(default_factory=list)
    outputs: list[Any] = field(default_factory=list)
