"""Assembles the studio's screens into one Gradio app."""

from __future__ import annotations

from types import ModuleType

import gradio as gr

from studio import ab_chat_tab, chat_tab
from studio.context import GENERATE_CONCURRENCY, StudioContext

TITLE = "PaST Studio"
# (tab label, screen module). Screens from later work are added here as they land.
SCREENS: list[tuple[str, ModuleType]] = [("Chat", chat_tab), ("A/B chat", ab_chat_tab)]


def build_app(ctx: StudioContext) -> gr.Blocks:
    with gr.Blocks(title=TITLE) as app:
        gr.Markdown(
            f"# {TITLE}\nTeach a language model new documents and give it skills learned elsewhere. "
            f"Data lives in `{ctx.settings.data_dir}`."
        )
        with gr.Tabs():
            for label, screen in SCREENS:
                with gr.Tab(label):
                    screen.render(ctx)
    app.queue(default_concurrency_limit=GENERATE_CONCURRENCY)
    return app
