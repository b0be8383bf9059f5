"""The Chat screen: a plain streaming conversation with one registered model.

The reply handler is a module-level function of the studio's context and the components' values (bound with
``functools.partial``); ``render`` only lays the screen out and wires it.
"""

from __future__ import annotations

from collections.abc import Iterator

import gradio as gr

from past.serving.chat import stream_chat
from past.serving.generation import GenerationParams
from studio.bind import bind
from studio.buttons import busy, ready
from studio.context import GENERATE_CONCURRENCY as LIMIT
from studio.context import StudioContext
from studio.errors import user_errors
from studio.screen import StudioUI

INTRO = (
    "### Chat with a model\n"
    "Pick a model, type a message and press **Send**. The reply appears as it is written. "
    "**Stop** ends a reply early; **Clear** starts a new conversation."
)


@user_errors
def respond(
    ctx: StudioContext, message: str, history: list, model_name: str, limit: float, temp: float
) -> Iterator[tuple[list, str, str]]:
    """Stream the reply: (conversation, the emptied prompt box, which model answers)."""
    message = (message or "").strip()
    if not message:
        raise gr.Error("Type a message first.")
    if not model_name:
        raise gr.Error("Pick a model first.")
    model_name = ctx.guard.policy.model_ref(model_name)
    history = [*history, {"role": "user", "content": message}]
    yield history, "", f"Loading {model_name}…"
    messages = [{"role": m["role"], "content": _text(m["content"])} for m in history]
    reply = ""
    params = GenerationParams(max_new_tokens=int(limit), temperature=float(temp))
    with ctx.models.acquire(model_name) as served:  # held: never evicted mid-reply; its lock serialises passes
        label = f"**{served.label}** · weights fingerprint `{served.fingerprint}` (names these exact weights)"
        for piece in stream_chat(served.model, served.tokenizer, messages, params, lock=served.lock):
            reply += piece
            yield [*history, {"role": "assistant", "content": reply}], "", label
    yield [*history, {"role": "assistant", "content": reply or "(no reply)"}], "", label


def cleared() -> tuple[list, str]:
    return [], ""


def render(ctx: StudioContext, ui: StudioUI | None = None) -> None:
    """Build the Chat screen inside the current Blocks context."""
    names = [r.name for r in ctx.registry.list()]
    default = ctx.settings.default_model if ctx.settings.default_model in names else (names[0] if names else None)

    gr.Markdown(INTRO)
    with gr.Row():
        model = gr.Dropdown(names, value=default, label="Model", scale=3, elem_id="chat-model")
        status = gr.Markdown("", elem_id="chat-status")
    chatbot = gr.Chatbot(label="Conversation", height=420, elem_id="chat-box")
    with gr.Row():
        prompt = gr.Textbox(placeholder="Type a message…", show_label=False, scale=6, elem_id="chat-prompt")
        send = gr.Button("Send", variant="primary", scale=1, elem_id="chat-send")
        stop = gr.Button("Stop", scale=1, elem_id="chat-stop")
        clear = gr.Button("Clear", scale=1)
    with gr.Accordion("Generation settings", open=False):
        max_tokens = gr.Slider(16, 1024, value=256, step=16, label="Longest reply (tokens, about ¾ of a word each)")
        temperature = gr.Slider(0.0, 1.5, value=0.0, step=0.05, label="Temperature (0 = always the most likely word)")

    inputs = [prompt, chatbot, model, max_tokens, temperature]
    outputs = [chatbot, prompt, status]
    reply = ctx.guard.generation(bind(respond, ctx))  # a per-user cap on replies streaming at once
    # One chain: Send greys out, then the reply streams, then Send comes back. As two separate events the grey-out
    # could land after the reply had ended on a loaded studio, and Send stayed grey.
    started = gr.on([send.click, prompt.submit], busy, None, send, api_name=False, queue=False)
    event = started.then(reply, inputs, outputs, api_name="chat", concurrency_id="generate", concurrency_limit=LIMIT)
    event.then(ready, None, send, api_name=False, queue=False)
    stop.click(None, None, None, cancels=[event], api_name=False)
    clear.click(cleared, None, [chatbot, status], api_name=False)


def _text(content: object) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # Gradio may hand back structured content parts
        return " ".join(str(part.get("text", "")) if isinstance(part, dict) else str(part) for part in content)
    return str(content)
