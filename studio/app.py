"""Assembles the studio's screens into one Gradio app."""

from __future__ import annotations

from types import ModuleType

import gradio as gr

from studio import (
    ab_chat_tab,
    adapt_tab,
    analyze_tab,
    arena_tab,
    build_tab,
    chat_tab,
    documents_tab,
    evaluate_tab,
    jobs_tab,
    skills_tab,
    tools_tab,
)
from studio.access import describe as describe_access
from studio.context import GENERATE_CONCURRENCY, StudioContext
from studio.screen import OnLoad, StudioUI, tab_id

TITLE = "PaST Studio"
# (tab label, screen module), in the order a newcomer uses them.
SCREENS: list[tuple[str, ModuleType]] = [
    ("Chat", chat_tab),
    ("Documents", documents_tab),
    ("Skill library", skills_tab),
    ("Adapt", adapt_tab),
    ("Build a skill", build_tab),
    ("Jobs", jobs_tab),
    ("A/B chat", ab_chat_tab),
    ("Tools", tools_tab),
    ("Arena", arena_tab),
    ("Evaluate", evaluate_tab),
    ("Analyse", analyze_tab),
]
# Screens a viewer login does not see (their actions are refused for viewers on the server too).
EDITOR_SCREENS = {"Documents", "Adapt", "Build a skill", "Jobs"}


def build_app(ctx: StudioContext) -> gr.Blocks:
    hooks: list[tuple[gr.Tab, OnLoad]] = []
    ctx.guard.editor_components.clear()  # this app's components only
    with gr.Blocks(title=TITLE) as app:
        data_dir = ctx.guard.policy.hide_paths(f"`{ctx.settings.data_dir}`")  # an exposed studio names no paths
        gr.Markdown(
            f"# {TITLE}\nTeach a language model new documents and give it skills learned elsewhere. "
            f"Data lives in {data_dir}."
        )
        access = gr.Markdown(describe_access(ctx.access), elem_id="studio-access")
        serving = gr.Markdown(ctx.serving_line(), elem_id="studio-serving")
        with gr.Tabs() as tabs:
            ui = StudioUI(tabs)
            for label, screen in SCREENS:
                with gr.Tab(label, id=tab_id(label)) as tab:
                    hooks.extend((tab, hook) for hook in screen.render(ctx, ui) or [])
                if label in EDITOR_SCREENS:
                    ctx.guard.editor_only(tab)
        app.load(_access_line(ctx), None, access, api_name=False)
        app.load(ctx.serving_line, None, serving, api_name=False)  # vLLM starts (or fails) on first use
        app.load(ctx.guard.visibility, None, ctx.guard.editor_components, api_name=False)
        for tab, hook in hooks:
            app.load(hook.fn, hook.inputs, hook.outputs, api_name=False)
            if hook.on_show:
                tab.select(hook.fn, hook.inputs, hook.outputs, api_name=False)
    app.queue(default_concurrency_limit=GENERATE_CONCURRENCY)
    return app


def _access_line(ctx: StudioContext):
    """The header's access line for this page's login: an editor reads "editor", a viewer "viewer"."""

    def line(request: gr.Request) -> str:
        return describe_access(ctx.access, ctx.guard.user_of(request), ctx.guard.role_of(request))

    return line
