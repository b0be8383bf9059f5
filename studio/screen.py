"""The contract between a screen module and the app.

``render(ctx, ui)`` builds a screen inside the current Blocks context and may return hooks:
:class:`OnLoad` runs when a page opens (so it shows what the store holds now) and, with
``on_show``, whenever the screen's tab is opened. ``ui`` lets a screen send the user to another tab.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import gradio as gr


@dataclass
class OnLoad:
    """Run ``fn(*inputs) -> outputs`` when a page opens (and when the screen's tab is shown)."""

    fn: Callable[..., Any]
    inputs: list[Any] = field(default_factory=list)
    outputs: list[Any] = field(default_factory=list)
    on_show: bool = False


@dataclass
class StudioUI:
    """App-level components a screen may use: the tab bar, to move the user to another screen."""

    tabs: gr.Tabs

    def go_to(self, tab_id: str) -> gr.Tabs:
        """An update for ``tabs`` that opens the tab ``tab_id``."""
        return gr.Tabs(selected=tab_id)


def tab_id(label: str) -> str:
    return label.lower().replace("/", "").replace(" ", "-")
