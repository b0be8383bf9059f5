"""Updates that switch a button off while its action runs and on again afterwards (one pair for every screen).

Wire both with ``queue=False``: they are instant, and a queued one waits behind every other page's queued events
(timers, refreshes) in the default concurrency group — on a busy shared studio the button stayed grey for minutes
after the reply had ended."""

from __future__ import annotations

from typing import Any

import gradio as gr


def busy() -> dict[str, Any]:
    """The button greyed out (its click is being handled)."""
    return gr.update(interactive=False)


def ready() -> dict[str, Any]:
    """The button usable again."""
    return gr.update(interactive=True)
