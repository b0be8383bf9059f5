"""The Tools screen: an A/B agent run on a tools collection, every step of each side shown as it happens.

The user picks a tools collection (API schemas uploaded on the Documents screen), a model and an optional
adapter per side (for example the SFT-on-docs baseline against SFT + a tool-use skill), and types a task. Both
sides run the ReAct agent against the collection's simulated APIs (``backend.tool_agent``), through the same
chat engine and model pool as A/B chat; each Thought, Action, Action Input, Observation, Finish and each parse
error (broken JSON, unknown API, wrong arguments) appears under its side. Every run is saved as JSON under
``<artifacts>/tool-agent/``. Viewers may run agents; model and adapter paths go through the path policy.
"""

from __future__ import annotations

from collections.abc import Iterator

import gradio as gr

from backend.adapter_catalog import adapter_choices
from backend.tool_agent import RUNS_DIR, ABAgentRun
from backend.tool_collections import ToolCollections
from past.tools.agent import AgentConfig
from past.tools.react import HINT_MODES
from studio.ab_chat_tab import NO_ADAPTER_CHOICE, side_pickers, side_spec
from studio.context import GENERATE_CONCURRENCY, StudioContext
from studio.errors import user_errors
from studio.screen import OnLoad, StudioUI
from studio.tool_steps import side_markdown

INTRO = (
    "### Tools: A/B agent run\n"
    "Pick a **tools collection** (API schemas added on the Documents screen), a model for each side, for example "
    "the model fine-tuned on the API documents against the same with a tool-use skill, and type a task. Each side "
    "works as an agent: it writes a Thought, an Action (an API name) and an Action Input (JSON arguments); a "
    "simulated API answers with an Observation, until the side writes Finish or reaches the turn limit. Every "
    "step is shown, including replies that break the format (broken JSON, an unknown API, wrong arguments)."
)
HINTS = [
    ("Closed book: the agent is told nothing about the APIs", "none"),
    ("API names in the prompt", "names"),
    ("Full API documentation in the prompt", "docs"),
]
assert [value for _, value in HINTS] == list(HINT_MODES)


def render(ctx: StudioContext, ui: StudioUI | None = None) -> list[OnLoad]:
    tools = ToolCollections(ctx.settings, ctx.store)
    names = [r.name for r in ctx.registry.list()]
    default = ctx.settings.default_model if ctx.settings.default_model in names else (names[0] if names else None)
    adapters = [NO_ADAPTER_CHOICE, *adapter_choices(ctx.settings)]
    gr.Markdown(INTRO)
    collection = gr.Dropdown(
        tools.collections(), allow_custom_value=True, label="Tools collection", elem_id="tools-collection"
    )
    apis_md = gr.Markdown("", elem_id="tools-apis")
    panes = []
    with gr.Row(equal_height=False):
        for key in ("a", "b"):
            with gr.Column(min_width=320):
                model, adapter = side_pickers(key, names, default, adapters, "tools")
                steps = gr.Markdown("*No steps yet.*", elem_id=f"tools-steps-{key}")
                panes.append((model, adapter, steps))
    with gr.Row():
        task = gr.Textbox(placeholder="A task for both agents…", show_label=False, scale=6, elem_id="tools-task")
        run = gr.Button("Run agents", variant="primary", scale=1, elem_id="tools-run")
        stop = gr.Button("Stop", scale=1, elem_id="tools-stop")
    with gr.Accordion("Agent settings", open=False):
        max_turns = gr.Slider(1, 8, value=4, step=1, label="Turn limit", elem_id="tools-turns")
        max_tokens = gr.Slider(16, 512, value=128, step=16, label="Longest step (tokens)", elem_id="tools-tokens")
        hint = gr.Radio(HINTS, value="none", label="What the agents are told about the APIs", elem_id="tools-hint")
    record = gr.Markdown("", elem_id="tools-record")
    (model_a, adapter_a, steps_a), (model_b, adapter_b, steps_b) = panes

    @user_errors
    def describe(name: str | None) -> str:
        if not name:
            return "*No tools collection yet: add API schemas on the Documents screen (Tools).*"
        apis = tools.apis(name)
        shown = ", ".join(f"`{a.function}`" for a in apis[:12]) + (" …" if len(apis) > 12 else "")
        categories = sorted({a.category for a in apis})
        return f"**{len(apis)} API(s)** in {len(categories)} categor(ies) ({', '.join(categories)}): {shown}"

    @user_errors
    def run_agents(
        name: str | None, text: str, m_a: str, ad_a: str, m_b: str, ad_b: str, turns: float, tokens: float, mode: str
    ) -> Iterator[tuple[str, str, str]]:
        if not name:
            raise gr.Error("Choose a tools collection first (add API schemas on the Documents screen).")
        policy = ctx.guard.policy  # an exposed studio serves only models and adapters inside the data directory
        m_a, m_b = policy.model_ref(m_a, "side A model"), policy.model_ref(m_b, "side B model")
        ad_a, ad_b = policy.adapter(ad_a, "side A adapter"), policy.adapter(ad_b, "side B adapter")
        config = AgentConfig(max_turns=int(turns), max_new_tokens=int(tokens), hint=mode or "none")
        agent_run = ABAgentRun.start(text, tools.apis(name), [side_spec(m_a, ad_a), side_spec(m_b, ad_b)], config, name)
        for state in agent_run.run(ctx.engine, records=ctx.settings.artifacts_dir / RUNS_DIR):
            note = f"Turn {min(state.turn + 1, config.max_turns)} of {config.max_turns}…"
            if state.record_path is not None:
                note = f"Run saved: `{state.record_path}`"
            yield side_markdown(state.sides[0]), side_markdown(state.sides[1]), note

    run_agents = ctx.guard.generation(run_agents)  # the per-user cap on generations at once, as A/B chat
    inputs = [collection, task, model_a, adapter_a, model_b, adapter_b, max_turns, max_tokens, hint]
    events = [
        trigger(
            run_agents,
            inputs,
            [steps_a, steps_b, record],
            api_name=api_name,
            concurrency_id="generate",
            concurrency_limit=GENERATE_CONCURRENCY,
        )
        for trigger, api_name in ((run.click, "tools_agent"), (task.submit, False))
    ]
    stop.click(None, None, None, cancels=events, api_name=False)
    collection.change(describe, collection, apis_md, api_name=False)

    def refresh(current: str | None):
        found = tools.collections()
        value = current if current in found else (found[0] if found else None)
        choices = [NO_ADAPTER_CHOICE, *adapter_choices(ctx.settings)]
        return (
            gr.update(choices=found, value=value),
            describe(value),
            gr.update(choices=choices),
            gr.update(choices=choices),
        )

    return [OnLoad(refresh, [collection], [collection, apis_md, adapter_a, adapter_b], on_show=True)]
