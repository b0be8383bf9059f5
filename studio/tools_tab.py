"""The Tools screen: an A/B agent run on a tools collection, every step of each side shown as it happens.

The user picks a tools collection (API schemas uploaded on the Documents screen), a model and an optional
adapter per side (for example the SFT-on-docs baseline against SFT + a tool-use skill), and types a task. Both
sides run the ReAct agent against the collection's simulated APIs (``backend.tool_agent``), through the same
chat engine and model pool as A/B chat; each Thought, Action, Action Input, Observation, Finish and each parse
error (broken JSON, unknown API, wrong arguments) appears under its side. Every run is saved as JSON under
``<artifacts>/tool-agent/``. Viewers may run agents; model and adapter paths go through the path policy.

A collection uploaded from StableToolBench query files offers its stored queries as ready-made tasks. The APIs
are simulated from their schemas, or by an OpenAI-compatible LLM endpoint that only an editor may set (the
server calls it: an exposed studio must not fetch URLs for viewers), with the schema simulator as the fallback
when it is down; each step shows which one answered.

Handlers are module-level functions of the studio's context and the components' values (bound with
``functools.partial``); ``render`` only lays the screen out and wires them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import gradio as gr

from backend.adapter_catalog import adapter_choices
from backend.tool_agent import RUNS_DIR, ABAgentRun
from backend.tool_collections import ToolCollections
from past.generators import DEFAULT_API_KEY_ENV, EndpointConfig
from past.tools.agent import AgentConfig
from past.tools.react import HINT_MODES
from studio.ab_chat_tab import NO_ADAPTER_CHOICE, side_pickers, side_spec
from studio.bind import bind
from studio.context import GENERATE_CONCURRENCY, StudioContext
from studio.errors import user_errors
from studio.screen import OnLoad, StudioUI
from studio.tool_steps import side_markdown
from studio.tool_tasks import task_choices, tasks_note

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
SIMULATOR_INTRO = (
    "The APIs are simulated. By default a **schema simulator** answers each valid call with a response shaped "
    "like the API's documented example (the same call, the same response). An editor may set an "
    "**OpenAI-compatible LLM endpoint** that writes realistic responses instead; when it is down or answers "
    "something unusable, the schema simulator answers and the step says so."
)
SCHEMA_ONLY = "**Simulator:** the schema simulator (no LLM endpoint set)."
SIMULATOR_TIMEOUT_S = 30.0


def simulator_status(state: dict | None) -> str:
    if not state:
        return SCHEMA_ONLY
    return (
        f"**Simulator:** the LLM `{state['model']}` at `{state['base_url']}`, with the schema simulator as the "
        "fallback when it is down."
    )


def tool_collections(ctx: StudioContext) -> ToolCollections:
    return ToolCollections(ctx.settings, ctx.store)


@user_errors
def describe(ctx: StudioContext, name: str | None) -> str:
    """The collection's APIs in one line (the first dozen named)."""
    if not name:
        return "*No tools collection yet: add API schemas on the Documents screen (Tools).*"
    apis = tool_collections(ctx).apis(name)
    shown = ", ".join(f"`{a.function}`" for a in apis[:12]) + (" …" if len(apis) > 12 else "")
    categories = sorted({a.category for a in apis})
    return f"**{len(apis)} API(s)** in {len(categories)} categor(ies) ({', '.join(categories)}): {shown}"


@user_errors
def tasks_for(ctx: StudioContext, name: str | None) -> tuple[dict[str, Any], str]:
    """The collection's stored queries as ready-made tasks, and a note on them."""
    tools = tool_collections(ctx)
    queries = tools.stored_queries(name) if name and tools.is_tools(name) else []
    return gr.update(choices=task_choices(queries), value=None), tasks_note(name, queries)


@user_errors
def set_simulator(ctx: StudioContext, url: str, model: str) -> tuple[dict[str, str], str]:
    """Check and keep an LLM simulator endpoint (editor only: the server calls it); both empty = none."""
    url = ctx.guard.policy.endpoint(url, "LLM simulator endpoint")
    model = (model or "").strip()
    if not url and not model:
        return {}, SCHEMA_ONLY
    if not (url and model):
        raise gr.Error("Give both the endpoint URL and the model name to request from it (or clear both).")
    EndpointConfig(url, model)  # the endpoint's own checks
    state = {"base_url": url, "model": model}
    return state, simulator_status(state)


def endpoint_of(ctx: StudioContext, state: dict | None) -> EndpointConfig | None:
    if not state:
        return None
    key_env = None if ctx.guard.policy.exposed else DEFAULT_API_KEY_ENV  # never send our key elsewhere
    return EndpointConfig(
        state["base_url"], state["model"], api_key_env=key_env, timeout_s=SIMULATOR_TIMEOUT_S, max_retries=0
    )


@user_errors
def run_agents(
    ctx: StudioContext,
    name: str | None,
    text: str,
    m_a: str,
    ad_a: str,
    m_b: str,
    ad_b: str,
    turns: float,
    tokens: float,
    mode: str,
    simulator: dict | None,
) -> Iterator[tuple[str, str, str]]:
    """Both agents on the task, step by step: (side A's steps, side B's steps, a note on the run)."""
    if not name:
        raise gr.Error("Choose a tools collection first (add API schemas on the Documents screen).")
    policy = ctx.guard.policy  # an exposed studio serves only models and adapters inside the data directory
    m_a, m_b = policy.model_ref(m_a, "side A model"), policy.model_ref(m_b, "side B model")
    ad_a, ad_b = policy.adapter(ad_a, "side A adapter"), policy.adapter(ad_b, "side B adapter")
    config = AgentConfig(max_turns=int(turns), max_new_tokens=int(tokens), hint=mode or "none")
    specs = [side_spec(m_a, ad_a), side_spec(m_b, ad_b)]
    apis = tool_collections(ctx).apis(name)
    agent_run = ABAgentRun.start(text, apis, specs, config, name, endpoint_of(ctx, simulator))
    for state in agent_run.run(ctx.engine, records=ctx.settings.artifacts_dir / RUNS_DIR):
        note = f"Turn {min(state.turn + 1, config.max_turns)} of {config.max_turns}…"
        if state.record_path is not None:
            note = f"Run saved: `{state.record_path}`"
        yield side_markdown(state.sides[0]), side_markdown(state.sides[1]), note


def pick_task(picked: str | None) -> Any:
    """A stored task picked: it goes into the task box (nothing picked: the box keeps what it has)."""
    return picked or gr.update()


def refresh(ctx: StudioContext, current: str | None) -> tuple[Any, ...]:
    """The collections (keeping ``current``), its APIs, both adapter pickers and its stored tasks."""
    found = tool_collections(ctx).collections()
    value = current if current in found else (found[0] if found else None)
    choices = [NO_ADAPTER_CHOICE, *adapter_choices(ctx.settings, ctx.guard.policy)]
    return (
        gr.update(choices=found, value=value),
        describe(ctx, value),
        gr.update(choices=choices),
        gr.update(choices=choices),
        *tasks_for(ctx, value),
    )


@dataclass(frozen=True)
class Side:
    model: gr.Dropdown
    adapter: gr.Dropdown
    steps: gr.Markdown


@dataclass(frozen=True)
class AgentKnobs:
    """The agent settings and the simulated APIs (the LLM endpoint row is editor-only)."""

    max_turns: gr.Slider
    max_tokens: gr.Slider
    hint: gr.Radio
    simulator_md: gr.Markdown
    sim_url: gr.Textbox
    sim_model: gr.Textbox
    sim_set: gr.Button
    simulator_row: gr.Row


def _sides(ctx: StudioContext) -> list[Side]:
    names = [r.name for r in ctx.registry.list()]
    default = ctx.settings.default_model if ctx.settings.default_model in names else (names[0] if names else None)
    adapters = [NO_ADAPTER_CHOICE, *adapter_choices(ctx.settings, ctx.guard.policy)]
    sides = []
    with gr.Row(equal_height=False):
        for key in ("a", "b"):
            with gr.Column(min_width=320):
                model, adapter = side_pickers(key, names, default, adapters, "tools")
                sides.append(Side(model, adapter, gr.Markdown("*No steps yet.*", elem_id=f"tools-steps-{key}")))
    return sides


def _settings() -> AgentKnobs:
    with gr.Accordion("Agent settings", open=False):
        max_turns = gr.Slider(1, 8, value=4, step=1, label="Turn limit", elem_id="tools-turns")
        max_tokens = gr.Slider(16, 512, value=128, step=16, label="Longest step (tokens)", elem_id="tools-tokens")
        hint = gr.Radio(HINTS, value="none", label="What the agents are told about the APIs", elem_id="tools-hint")
    with gr.Accordion("Simulated APIs", open=False):
        gr.Markdown(SIMULATOR_INTRO)
        simulator_md = gr.Markdown(SCHEMA_ONLY, elem_id="tools-simulator")
        with gr.Row() as simulator_row:
            sim_url = gr.Textbox(
                label="LLM simulator endpoint (OpenAI-compatible base URL; empty: schema simulator only)",
                placeholder="http://localhost:8000/v1",
                scale=3,
                elem_id="tools-sim-url",
            )
            sim_model = gr.Textbox(label="Model name at the endpoint", scale=2, elem_id="tools-sim-model")
            sim_set = gr.Button("Use this simulator", scale=1, elem_id="tools-sim-set")
    return AgentKnobs(max_turns, max_tokens, hint, simulator_md, sim_url, sim_model, sim_set, simulator_row)


def render(ctx: StudioContext, ui: StudioUI | None = None) -> list[OnLoad]:
    gr.Markdown(INTRO)
    collection = gr.Dropdown(
        tool_collections(ctx).collections(),
        allow_custom_value=True,
        label="Tools collection",
        elem_id="tools-collection",
    )
    apis_md = gr.Markdown("", elem_id="tools-apis")
    stored_tasks = gr.Dropdown(
        [], value=None, label="Pick a task from the uploaded queries", elem_id="tools-stored-tasks"
    )
    tasks_md = gr.Markdown("", elem_id="tools-tasks-note")
    side_a, side_b = _sides(ctx)
    with gr.Row():
        task = gr.Textbox(placeholder="A task for both agents…", show_label=False, scale=6, elem_id="tools-task")
        run = gr.Button("Run agents", variant="primary", scale=1, elem_id="tools-run")
        stop = gr.Button("Stop", scale=1, elem_id="tools-stop")
    knobs = _settings()
    ctx.guard.editor_only(knobs.simulator_row)
    simulator_state = gr.State({})  # server-side: set only through the editor-only handler below
    record = gr.Markdown("", elem_id="tools-record")

    agents = ctx.guard.generation(bind(run_agents, ctx))  # the per-user cap on generations at once, as A/B chat
    sides = [side_a.model, side_a.adapter, side_b.model, side_b.adapter]
    inputs = [collection, task, *sides, knobs.max_turns, knobs.max_tokens, knobs.hint, simulator_state]
    events = [
        trigger(
            agents,
            inputs,
            [side_a.steps, side_b.steps, record],
            api_name=api_name,
            concurrency_id="generate",
            concurrency_limit=GENERATE_CONCURRENCY,
        )
        for trigger, api_name in ((run.click, "tools_agent"), (task.submit, False))
    ]
    stop.click(None, None, None, cancels=events, api_name=False)
    collection.change(bind(describe, ctx), collection, apis_md, api_name=False)
    collection.change(bind(tasks_for, ctx), collection, [stored_tasks, tasks_md], api_name=False)
    stored_tasks.input(pick_task, stored_tasks, task, api_name=False)
    simulator = ctx.guard.editor("set_api_simulator", target=0)(bind(set_simulator, ctx))
    knobs.sim_set.click(
        simulator, [knobs.sim_url, knobs.sim_model], [simulator_state, knobs.simulator_md], api_name="tools_simulator"
    )
    outputs = [collection, apis_md, side_a.adapter, side_b.adapter, stored_tasks, tasks_md]
    return [OnLoad(bind(refresh, ctx), [collection], outputs, on_show=True)]
