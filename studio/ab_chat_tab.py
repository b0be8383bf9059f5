"""The A/B chat screen: one prompt, two models (or adapters) answering side by side, both streaming.

Each side is a registered model plus an optional LoRA adapter directory. Sides that share a base model
are served by one copy of its weights, decoded together in one batch (see ``past.serving``). Each side
keeps its own conversation. An error on one side (a model or adapter that does not load, a refused
prompt) is shown on that side; the other side keeps answering. Prompts longer than the model reads are
shortened from the start with a notice. Several sessions share the model memory budget shown below and
wait their turn in Gradio's queue.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import gradio as gr

from backend.adapter_catalog import find_adapters
from past.serving.engine import SideSpec
from past.serving.generation import GenerationParams
from studio.context import GENERATE_CONCURRENCY, StudioContext
from studio.errors import user_errors
from studio.screen import OnLoad, StudioUI

INTRO = (
    "### A/B chat\n"
    "Pick a model for each side, optionally with a LoRA adapter (a skill or a fine-tune), type one message "
    "and press **Send**: both sides answer at the same time. Two adapters on the same base model share one "
    "copy of it in memory. **Stop** ends both replies; **Clear** starts over. A conversation longer than the "
    "model can read is shortened from its start, and a note says so."
)
NO_ADAPTER = ""
SIDES_KEY = "ab_chat.sides"  # selection in the store: {"a": {model, adapter}, "b": {...}}
ERROR_MARK = "⚠️ "  # replies that are error messages start with it and are not sent back to the model


def side_spec(model: str | None, adapter: str | None) -> SideSpec:
    """The side a user picked: a model reference and, if given, an adapter directory."""
    adapter = (adapter or "").strip()
    return SideSpec(model=(model or "").strip(), adapter=Path(adapter).expanduser() if adapter else None)


def render(ctx: StudioContext, ui: StudioUI | None = None) -> list[OnLoad]:
    """Build the A/B chat screen inside the current Blocks context."""
    names = [r.name for r in ctx.registry.list()]
    default = ctx.settings.default_model if ctx.settings.default_model in names else (names[0] if names else None)
    adapter_choices = [NO_ADAPTER, *(str(p) for p in find_adapters(ctx.settings))]

    gr.Markdown(INTRO)
    panes = []
    with gr.Row(equal_height=False):
        for key in ("a", "b"):
            with gr.Column(min_width=320):
                model = gr.Dropdown(names, value=default, label=f"Side {key.upper()}: model", elem_id=f"ab-model-{key}")
                adapter = gr.Dropdown(
                    adapter_choices,
                    value=NO_ADAPTER,
                    allow_custom_value=True,
                    label="Adapter (optional): pick one or paste a directory",
                    elem_id=f"ab-adapter-{key}",
                )
                status = gr.Markdown("", elem_id=f"ab-status-{key}")
                chat = gr.Chatbot(label=f"Side {key.upper()}", height=380, elem_id=f"ab-chat-{key}")
                panes.append((model, adapter, status, chat))
    with gr.Row():
        prompt = gr.Textbox(placeholder="One message for both sides…", show_label=False, scale=6, elem_id="ab-prompt")
        send = gr.Button("Send", variant="primary", scale=1, elem_id="ab-send")
        stop = gr.Button("Stop", scale=1, elem_id="ab-stop")
        clear = gr.Button("Clear", scale=1)
    with gr.Accordion("Generation settings", open=False):
        max_tokens = gr.Slider(16, 1024, value=256, step=16, label="Longest reply (tokens)")
        temperature = gr.Slider(0.0, 1.5, value=0.0, step=0.05, label="Temperature (0 = always the most likely word)")
        top_p = gr.Slider(0.05, 1.0, value=1.0, step=0.05, label="Top-p (only with temperature above 0)")
    with gr.Row():
        usage = gr.Markdown(ctx.models.usage().describe(), elem_id="ab-usage")
        refresh = gr.Button("Refresh", size="sm", scale=0)

    (model_a, adapter_a, status_a, chat_a), (model_b, adapter_b, status_b, chat_b) = panes

    @user_errors
    def respond(
        message: str,
        hist_a: list,
        hist_b: list,
        m_a: str,
        ad_a: str,
        m_b: str,
        ad_b: str,
        limit: float,
        temp: float,
        nucleus: float,
    ) -> Iterator:
        message = (message or "").strip()
        if not message:
            raise gr.Error("Type a message first: an empty message is not sent.")
        params = GenerationParams(max_new_tokens=int(limit), temperature=float(temp), top_p=float(nucleus))
        sides = [side_spec(m_a, ad_a), side_spec(m_b, ad_b)]
        histories = [[*(hist_a or []), _user(message)], [*(hist_b or []), _user(message)]]
        replies = ["", ""]
        notes = ["Loading…", "Loading…"]

        def frame() -> tuple:
            panes = [
                [*h, {"role": "assistant", "content": r}] if r else h for h, r in zip(histories, replies, strict=True)
            ]
            return panes[0], panes[1], "", notes[0], notes[1], ctx.models.usage().describe()

        yield frame()
        conversations = [[_plain(m) for m in h if not _is_error(m)] for h in histories]
        for event in ctx.engine.stream(sides, conversations, params):
            i = event.side
            if event.kind == "ready":
                notes[i] = f"**{event.text}**"
            elif event.kind == "notice":
                notes[i] += f"\n\n⚠️ {event.text}"
            elif event.kind == "text":
                replies[i] += event.text
            elif event.kind == "error":
                notes[i] = f"{ERROR_MARK}{event.text}"
                replies[i] = (
                    f"{ERROR_MARK}{event.text}" if not replies[i] else f"{replies[i]}\n\n{ERROR_MARK}{event.text}"
                )
            elif event.kind == "done":
                replies[i] = replies[i] or "(no reply)"
                if event.finish_reason == "length":
                    notes[i] += " · stopped at the reply length limit"
            yield frame()
        yield frame()

    inputs = [prompt, chat_a, chat_b, model_a, adapter_a, model_b, adapter_b, max_tokens, temperature, top_p]
    outputs = [chat_a, chat_b, prompt, status_a, status_b, usage]
    events = [
        send.click(
            respond,
            inputs,
            outputs,
            api_name="ab_chat",
            concurrency_id="generate",
            concurrency_limit=GENERATE_CONCURRENCY,
        ),
        prompt.submit(
            respond, inputs, outputs, api_name=False, concurrency_id="generate", concurrency_limit=GENERATE_CONCURRENCY
        ),
    ]
    for event in events:
        event.then(lambda: gr.update(interactive=True), None, send, api_name=False)
    send.click(lambda: gr.update(interactive=False), None, send, api_name=False, queue=False)
    stop.click(None, None, None, cancels=events, api_name=False)
    clear.click(lambda: ([], [], "", ""), None, [chat_a, chat_b, status_a, status_b], api_name=False)
    refresh.click(lambda: ctx.models.usage().describe(), None, usage, api_name=False, queue=False)

    def restore() -> tuple:
        """Adapter choices as they are now, and the sides last picked (e.g. by Adapt's "Chat with it")."""
        choices = [NO_ADAPTER, *(str(p) for p in find_adapters(ctx.settings))]
        sides = ctx.selections.get(SIDES_KEY, {}) or {}
        updates = []
        for key in ("a", "b"):
            side = sides.get(key) or {}
            model_value = side.get("model") if side.get("model") in names else default
            adapter_value = side.get("adapter") or NO_ADAPTER
            updates += [gr.update(value=model_value), gr.update(choices=choices, value=adapter_value)]
        return tuple(updates)

    def remember(m_a: str, ad_a: str, m_b: str, ad_b: str) -> None:
        ctx.selections.set(SIDES_KEY, {"a": {"model": m_a, "adapter": ad_a}, "b": {"model": m_b, "adapter": ad_b}})

    pickers = [model_a, adapter_a, model_b, adapter_b]
    for picker in pickers:
        picker.input(remember, pickers, None, api_name=False, queue=False)
    return [OnLoad(restore, [], pickers, on_show=True)]


def _is_error(message: dict) -> bool:
    return message.get("role") == "assistant" and str(message.get("content", "")).startswith(ERROR_MARK)


def _user(text: str) -> dict[str, str]:
    return {"role": "user", "content": text}


def _plain(message: dict) -> dict[str, str]:
    content = message.get("content", "")
    if isinstance(content, list):  # Gradio may hand back structured content parts
        content = " ".join(str(p.get("text", "")) if isinstance(p, dict) else str(p) for p in content)
    return {"role": str(message.get("role", "user")), "content": str(content)}
