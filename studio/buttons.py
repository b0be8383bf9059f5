"""Updates that switch a button off while its action runs and on again afterwards (one pair for every screen).

Chain them with the action (``click(busy).then(action).then(ready)``): as separate events the grey-out could land
after a short action had ended on a loaded studio and leave the button grey. Both are instant (``queue=False``)."""

from __future__ import annotations

from typing import Any

import gradio as gr


def busy() -> dict[str, Any]:
    """The button greyed out (its click is being handled)."""
    return gr.update(interactive=False)


def ready() -> dict[str, Any]:
    """The button usable again."""
    return gr.update(interactive=True)
