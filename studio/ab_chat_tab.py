"""The A/B chat screen: one prompt, two models (or adapters) answering side by side, both streaming.

Each side is a registered model plus an optional LoRA adapter directory. Sides that share a base model
are served by one copy of its weights, decoded together in one batch (see ``past.serving``). Each side
keeps its own conversation. An error on one side (a model or adapter that does not load, a refused
prompt) is shown on that side; the other side keeps answering. Prompts longer than the model reads are
shortened from the start with a notice. Several sessions share the model memory budget shown below and
wait their turn in Gradio's queue.

Every conversation is saved in the store (``backend.chat_sessions``), so a reloaded page shows it again.
Blind mode hides the pickers, names the panes "Model 1"/"Model 2", shuffles which side sits left (per
conversation, seeded and stored), and asks for a vote after each reply; the vote panel lives in
``studio.ab_votes``.

"Answer with the documents (retrieval)", ticked per side, puts the best-matching passages of a collection
(BM25, :class:`backend.retrieval.CollectionRetrievers`) in front of that side's message; the passages used are
shown under its reply (not in blind mode), and the conversation keeps the message as typed.

"Answer format: recall, then answer" asks both sides in the evaluation's ``recall`` prompt style (write the
sentence you remember, then ``Answer: …``) and shows each reply as its short answer with "What it remembered"
beneath (:mod:`studio.recall_view`), the split the evaluator judges.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import gradio as gr

from backend.adapter_catalog import adapter_choices
from backend.chat_sessions import ABConversations, ABSession, Side, VoteError
from backend.retrieval import CollectionRetrievers
from past.errors import PastError
from past.evaluation.prompts import render_documents_prompt, render_prompt
from past.retrieval import DEFAULT_K, Hit
from past.serving.engine import SideSpec
from past.serving.generation import GenerationParams
from studio.ab_votes import choice_of, export_all, pane_names, render_vote_panel, reveal_text, tally_rows, vote_state
from studio.context import GENERATE_CONCURRENCY, StudioContext
from studio.errors import user_errors
from studio.recall_view import ANSWER_FORMATS, AS_TYPED, FORMAT_KEY, RECALL, recall_markdown
from studio.screen import OnLoad, StudioUI

INTRO = (
    "### A/B chat\n"
    "Pick a model for each side, optionally with an adapted model or a skill, type one message "
    "and press **Send**: both sides answer at the same time. Two adapters on the same base model share one "
    "copy of it in memory. **Stop** ends both replies; **Clear** starts over. A conversation longer than the "
    "model can read is shortened from its start, and a note says so.\n\n"
    "**Blind mode** hides which model is which (and shuffles the sides): read both replies, vote for the "
    "better one, and the models are revealed. Votes add up in the table below; every conversation is saved."
)
NO_ADAPTER = ""
NO_ADAPTER_CHOICE = ("none: the model as it is", NO_ADAPTER)
SIDES_KEY = "ab_chat.sides"  # selection in the store: {"a": {model, adapter}, "b": {...}}
ERROR_MARK = "⚠ "  # replies that are error messages start with it and are not sent back to the model (text symbol,
OLD_ERROR_MARK = "⚠️ "  # not the emoji that needs an emoji font; conversations saved before still hold this one
SESSION_KEY = "ab_chat.session"  # the conversation shown, so a reloaded page restores it
BLIND_KEY = "ab_chat.blind"
WAITING = "Waiting for a free reply slot, then loading the model (the first reply may take up to a minute)…"
RETRIEVAL_PROMPT = "question"  # chat: the message as typed, after the passages


def side_spec(model: str | None, adapter: str | None) -> SideSpec:
    """The side a user picked: a model reference and, if given, an adapter directory."""
    adapter = (adapter or "").strip()
    return SideSpec(model=(model or "").strip(), adapter=Path(adapter).expanduser() if adapter else None)


def side_pickers(
    key: str, names: list[str], default: str | None, adapters: list, prefix: str
) -> tuple[gr.Dropdown, gr.Dropdown]:
    """One side's model and adapter pickers (``#<prefix>-model-<key>``, ``#<prefix>-adapter-<key>``)."""
    model = gr.Dropdown(
        names,
        value=default,
        allow_custom_value=True,  # a model directory works too
        label=f"Side {key.upper()}: model",
        elem_id=f"{prefix}-model-{key}",
    )
    adapter = gr.Dropdown(
        adapters,
        value=NO_ADAPTER,
        allow_custom_value=True,  # a directory typed in (A/B chat: the advanced field)
        label="Adapted model or skill (optional)",
        elem_id=f"{prefix}-adapter-{key}",
    )
    return model, adapter


def render(ctx: StudioContext, ui: StudioUI | None = None) -> list[OnLoad]:
    """Build the A/B chat screen inside the current Blocks context."""
    names = [r.name for r in ctx.registry.list()]
    default = ctx.settings.default_model if ctx.settings.default_model in names else (names[0] if names else None)
    adapters = [NO_ADAPTER_CHOICE, *adapter_choices(ctx.settings, ctx.guard.policy)]

    conversations = ABConversations(ctx.chats)
    retrievers = CollectionRetrievers(ctx.settings, ctx.store)
    collections = ctx.documents.collections()
    gr.Markdown(INTRO)
    blind = gr.Checkbox(False, label="Blind mode: hide and shuffle which model is which, then vote", elem_id="ab-blind")
    session_id = gr.State("")
    panes = []
    retrieval_boxes: list[gr.Checkbox] = []
    passage_panes: list[gr.Markdown] = []
    advanced_folds = []
    with gr.Row(equal_height=False):
        for key in ("a", "b"):
            with gr.Column(min_width=320):
                model, adapter = side_pickers(key, names, default, adapters, "ab")
                with_docs = gr.Checkbox(
                    False, label="Answer with the documents (retrieval)", elem_id=f"ab-retrieval-{key}"
                )
                with gr.Accordion("Advanced: an adapter directory", open=False) as advanced:
                    adapter_dir = gr.Textbox(
                        label="LoRA adapter directory on the studio machine (replaces the pick above)",
                        placeholder="/path/to/adapter",
                        elem_id=f"ab-adapter-dir-{key}",
                    )
                adapter_dir.submit(
                    lambda text: gr.update(value=(text or "").strip()), adapter_dir, adapter, api_name=False
                )
                adapter_dir.blur(
                    lambda text, now: gr.update(value=(text or "").strip() or now),
                    [adapter_dir, adapter],
                    adapter,
                    api_name=False,
                )
                advanced_folds.append(advanced)
                status = gr.Markdown("", elem_id=f"ab-status-{key}")
                chat = gr.Chatbot(label=f"Side {key.upper()}", height=380, elem_id=f"ab-chat-{key}")
                passages_md = gr.Markdown("", elem_id=f"ab-passages-{key}")
                panes.append((model, adapter, status, chat))
                retrieval_boxes.append(with_docs)
                passage_panes.append(passages_md)
    with gr.Row():
        prompt = gr.Textbox(placeholder="One message for both sides…", show_label=False, scale=6, elem_id="ab-prompt")
        send = gr.Button("Send", variant="primary", scale=1, elem_id="ab-send")
        stop = gr.Button("Stop", scale=1, elem_id="ab-stop")
        clear = gr.Button("Clear", scale=1, elem_id="ab-clear")
    answer_format = gr.Radio(
        ANSWER_FORMATS,
        value=AS_TYPED,
        label="Answer format (recall, then answer: each side first writes what it remembers, then a short answer)",
        elem_id="ab-format",
    )
    docs_collection = gr.Dropdown(
        collections,
        value=collections[0] if collections else None,
        allow_custom_value=True,
        label="Documents for the sides that answer with the documents (collection)",
        elem_id="ab-retrieval-collection",
    )
    passages_shown = gr.State(["", ""])
    votes = render_vote_panel()
    with gr.Accordion("Generation settings", open=False, elem_id="ab-settings"):
        max_tokens = gr.Slider(16, 1024, value=256, step=16, label="Longest reply (tokens)", elem_id="ab-max-tokens")
        temperature = gr.Slider(0.0, 1.5, value=0.0, step=0.05, label="Temperature (0 = always the most likely word)")
        top_p = gr.Slider(0.05, 1.0, value=1.0, step=0.05, label="Top-p (only with temperature above 0)")
    with gr.Row():
        usage = gr.Markdown(ctx.models.usage().describe(), elem_id="ab-usage")
        refresh = gr.Button("Refresh", size="sm", scale=0)

    (model_a, adapter_a, status_a, chat_a), (model_b, adapter_b, status_b, chat_b) = panes
    # chat_a / chat_b are the left / right panes; outside blind mode the left one is side A.
    pickers = [model_a, adapter_a, model_b, adapter_b]

    def usage_text(blind_on: bool) -> str:
        return "Model memory details are hidden in blind mode." if blind_on else ctx.models.usage().describe()

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
        blind_on: bool = False,
        sid: str = "",
        docs_a: bool = False,
        docs_b: bool = False,
        collection: str | None = None,
        answer_format: str = AS_TYPED,
    ) -> Iterator:
        message = (message or "").strip()
        if not message:
            raise gr.Error("Type a message first: an empty message is not sent.")
        with_docs = {"a": bool(docs_a), "b": bool(docs_b)}
        hits: dict[str, list[Hit]] = {}
        if any(with_docs.values()):
            if not collection:
                raise gr.Error("Choose the documents (a collection) for the sides that answer with the documents.")
            index = retrievers.get(collection)
            found = index.retrieve(message, DEFAULT_K)
            hits = {key: found for key, on in with_docs.items() if on}
        params = GenerationParams(max_new_tokens=int(limit), temperature=float(temp), top_p=float(nucleus))
        configured = picked_sides(m_a, ad_a, m_b, ad_b)
        session = conversations.get(sid) if (hist_a or hist_b) else None
        if session is None or session.blind != bool(blind_on):
            session = conversations.start(configured, blind=bool(blind_on))
            ctx.selections.set(SESSION_KEY, session.id)
        real = session.sides if session.blind else configured
        ctx.selections.set(SIDES_KEY, {key: side.as_dict() for key, side in real.items()})
        order = session.order()
        sides = [side_spec(real[key].model, real[key].adapter) for key in order]
        histories = [[*(hist_a or []), _user(message)], [*(hist_b or []), _user(message)]]
        replies = ["", ""]
        titles = pane_names(session.blind, real, ctx.settings)
        titles = [titles[0 if key == "a" else 1] for key in order]
        notes = [f"Loading {'the model' if session.blind else title}…" for title in titles]
        recall = answer_format == RECALL
        finished = [False, False]

        def shown_reply(i: int) -> str:
            text = replies[i]
            return recall_markdown(text, finished[i]) if recall and text and not text.startswith(ERROR_MARK) else text

        def frame() -> tuple:
            panes = [
                [*h, {"role": "assistant", "content": shown_reply(i)}] if replies[i] else h
                for i, h in enumerate(histories)
            ]
            shown = ["", ""] if session.blind else [passages_text(hits.get(key)) for key in order]
            # the conversations themselves (the /ab_chat API returns them); pane_titles has set the panes' titles
            return panes[0], panes[1], "", notes[0], notes[1], usage_text(session.blind), session.id, shown

        try:
            yield frame()
            conversations_ = [[_plain(m) for m in h if not _is_error(m)] for h in histories]
            style = RECALL if recall else RETRIEVAL_PROMPT
            for i, key in enumerate(order):
                if key in hits:  # this side reads the passages, then the message (as typed, or in the recall style)
                    passages = [h.text for h in hits[key]]
                    conversations_[i][-1]["content"] = render_documents_prompt(message, passages, style)
                elif recall:
                    conversations_[i][-1]["content"] = render_prompt(message, RECALL)
            for event in ctx.engine.stream(sides, conversations_, params):
                i = event.side
                if event.kind == "ready":
                    notes[i] = f"**{'Model ' + str(i + 1) if session.blind else titles[i]}** is answering"
                elif event.kind == "notice":
                    notes[i] += f"\n\n{ERROR_MARK}{event.text}"
                elif event.kind == "text":
                    replies[i] += event.text
                elif event.kind == "error":
                    notes[i] = f"{ERROR_MARK}{event.text}"
                    replies[i] = (
                        f"{ERROR_MARK}{event.text}" if not replies[i] else f"{replies[i]}\n\n{ERROR_MARK}{event.text}"
                    )
                elif event.kind == "done":
                    replies[i] = replies[i] or "(no reply)"
                    finished[i] = True
                    notes[i] = f"**{'Model ' + str(i + 1) if session.blind else titles[i]}** has answered"
                    if event.finish_reason == "length":
                        notes[i] += " · stopped at the reply length limit"
                yield frame()
            yield frame()
        finally:  # also when stopped: what was said so far is kept
            finished[:] = [True, True]
            saved = {key: shown_reply(i) or "(no reply)" for i, key in enumerate(order)}
            conversations.add_turn(session.id, message, saved, real)

    def picked_sides(m_a: str, ad_a: str, m_b: str, ad_b: str) -> dict[str, Side]:
        """The two pickers' sides as the policy allows them (an exposed studio serves only models and adapters
        inside the data directory; a refused one raises)."""
        policy = ctx.guard.policy
        m_a, m_b = policy.model_ref(m_a, "side A model"), policy.model_ref(m_b, "side B model")
        ad_a, ad_b = policy.adapter(ad_a, "side A adapter"), policy.adapter(ad_b, "side B adapter")
        return {"a": Side(m_a or "", (ad_a or "").strip()), "b": Side(m_b or "", (ad_b or "").strip())}

    def pane_titles(blind_on: bool, m_a: str, ad_a: str, m_b: str, ad_b: str) -> tuple:
        """The panes' titles for the sides about to answer, set as the message is sent: what each side is, or
        "Model 1"/"Model 2" in blind mode. A side the policy refuses keeps its title (the reply says why)."""
        try:
            sides = picked_sides(m_a, ad_a, m_b, ad_b)
        except PastError:
            return gr.update(), gr.update()
        left, right = pane_names(bool(blind_on), sides, ctx.settings)
        return gr.update(label=left), gr.update(label=right)

    def vote_outputs(session: ABSession | None) -> tuple:
        buttons, hint, reveal = vote_state(conversations, session, ctx.settings)
        return (*buttons, hint, reveal, tally_rows(conversations, ctx.settings))

    def after_reply(sid: str) -> tuple:
        return (*vote_outputs(conversations.get(sid)), gr.update(interactive=True))

    @user_errors
    def cast(label: str, sid: str) -> tuple:
        session = conversations.get(sid)
        if session is None or not session.blind:
            raise VoteError("Votes are taken in blind mode: tick Blind mode, send a message, then vote.")
        winner = conversations.vote(session, choice_of(label))
        buttons, hint, _ = vote_state(conversations, session, ctx.settings)
        return (*buttons, hint, reveal_text(session, winner, ctx.settings), tally_rows(conversations, ctx.settings))

    def fresh(blind_on: bool) -> tuple:
        """An empty conversation (the next message starts a new saved session) in the chosen mode."""
        ctx.selections.set(BLIND_KEY, bool(blind_on))
        ctx.selections.set(SESSION_KEY, "")
        picked = {key: Side.from_dict(side) for key, side in (ctx.selections.get(SIDES_KEY, {}) or {}).items()}
        left, right = pane_names(bool(blind_on), picked if set(picked) == {"a", "b"} else None, ctx.settings)
        shown = [gr.update(visible=not blind_on)] * len(pickers)
        chats = [gr.update(value=[], label=left), gr.update(value=[], label=right)]
        return (*chats, "", "", "", *shown, gr.update(visible=not blind_on), *vote_outputs(None))

    vote_panel = [*votes.buttons, votes.hint, votes.reveal, votes.tally]
    inputs = [prompt, chat_a, chat_b, model_a, adapter_a, model_b, adapter_b, max_tokens, temperature, top_p]
    inputs += [blind, session_id, *retrieval_boxes, docs_collection, answer_format]
    outputs = [chat_a, chat_b, prompt, status_a, status_b, usage, session_id, passages_shown]
    respond = ctx.guard.generation(respond)  # a per-user cap on replies streaming at once
    cast = ctx.guard.audited("ab_vote", target=1)(cast)
    busy = [send, *votes.buttons]
    for trigger in (send.click, prompt.submit):  # at once, before a reply slot is free: say what is happening
        # (registered before the reply itself, so its frames land after these)
        trigger(lambda: [gr.update(interactive=False)] * len(busy), None, busy, api_name=False, queue=False)
        trigger(lambda: (WAITING, WAITING), None, [status_a, status_b], api_name=False, queue=False)
        trigger(pane_titles, [blind, *pickers], [chat_a, chat_b], api_name=False, queue=False)
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
        event.then(after_reply, session_id, [*vote_panel, send], api_name=False)
        event.then(lambda shown: tuple(shown), passages_shown, passage_panes, api_name=False, queue=False)
    stop.click(None, None, None, cancels=events, api_name=False)
    stop.click(after_reply, session_id, [*vote_panel, send], api_name=False)
    reset = [chat_a, chat_b, status_a, status_b, session_id, *pickers, usage, *vote_panel]
    clear.click(lambda: ("", ""), None, passage_panes, api_name=False, queue=False)
    clear.click(fresh, blind, reset, api_name=False)
    blind.input(fresh, blind, reset, api_name=False)
    blind.change(lambda on: [gr.update(visible=not on)] * len(advanced_folds), blind, advanced_folds, api_name=False)
    refresh.click(lambda b: usage_text(b), blind, usage, api_name=False, queue=False)
    for i, button in enumerate(votes.buttons):
        button.click(cast, [button, session_id], vote_panel, api_name="ab_vote" if i == 0 else False)
    votes.export.click(
        ctx.guard.audited("ab_export")(lambda: export_all(conversations, ctx.settings.artifacts_dir)),
        None,
        votes.export_file,
        api_name="ab_export",
    )

    def restore() -> tuple:
        """The sides last picked (e.g. by Adapt's "Chat with it") and the conversation shown before a reload."""
        policy = ctx.guard.policy
        choices = [NO_ADAPTER_CHOICE, *adapter_choices(ctx.settings, policy)]
        sides = ctx.selections.get(SIDES_KEY, {}) or {}
        picked = {}
        for key in ("a", "b"):
            side = Side.from_dict(sides.get(key))
            known = side.model in names or _local_model(ctx, side.model)
            picked[key] = Side(side.model if known else (default or ""), side.adapter)
        session = conversations.get(ctx.selections.get(SESSION_KEY, "") or "")
        if session is not None and _latest_sides(conversations, session) != picked:
            session = None  # other sides were picked since (e.g. by Adapt): start afresh
        blind_on = session.blind if session else bool(ctx.selections.get(BLIND_KEY, False))
        updates = []
        for side in picked.values():
            updates += [
                gr.update(value=side.model, visible=not blind_on),
                gr.update(choices=choices, value=policy.shown(side.adapter) or NO_ADAPTER, visible=not blind_on),
            ]
        left, right = pane_names(blind_on, picked, ctx.settings)
        hist = conversations.histories(session) if session else ([], [])
        chats = [gr.update(value=hist[0], label=left), gr.update(value=hist[1], label=right)]
        sid = session.id if session else ""
        kept = ctx.selections.get(FORMAT_KEY, AS_TYPED)
        shown_format = gr.update(value=kept if kept in (AS_TYPED, RECALL) else AS_TYPED)
        return (*updates, blind_on, *chats, sid, gr.update(visible=not blind_on), *vote_outputs(session), shown_format)

    def remember(m_a: str, ad_a: str, m_b: str, ad_b: str) -> None:
        ctx.selections.set(SIDES_KEY, {"a": {"model": m_a, "adapter": ad_a}, "b": {"model": m_b, "adapter": ad_b}})

    for picker in pickers:
        picker.input(remember, pickers, None, api_name=False, queue=False)

    def remember_format(value: str) -> None:
        if value in (AS_TYPED, RECALL):  # whatever a browser sends, only a known format is kept
            ctx.selections.set(FORMAT_KEY, value)

    answer_format.input(remember_format, answer_format, None, api_name=False, queue=False)
    restored = [*pickers, blind, chat_a, chat_b, session_id, usage, *vote_panel, answer_format]

    def collection_choices(current: str | None) -> dict:
        names = ctx.documents.collections()
        return gr.update(choices=names, value=current if current in names else (names[0] if names else None))

    return [
        OnLoad(restore, [], restored, on_show=True),
        OnLoad(collection_choices, [docs_collection], [docs_collection], on_show=True),
    ]


def passages_text(hits: list[Hit] | None) -> str:
    """The passages a side read, for under its reply."""
    if hits is None:
        return ""
    if not hits:
        return "*Answered with the documents: no passage matched the message.*"
    quoted = []
    for n, h in enumerate(hits, 1):
        body = h.text.strip().replace("\n", "\n> ")
        quoted.append(f"**{n}. {h.doc_name}** (passage {h.chunk + 1}, score {h.score:.2f})\n\n> {body}")
    return "**Passages from the documents used for this reply**\n\n" + "\n\n".join(quoted)


def _local_model(ctx: StudioContext, ref: str) -> bool:
    """Whether ``ref`` is a model directory this studio's path policy lets a browser name."""
    if not ref:
        return False
    try:
        return Path(ctx.guard.policy.model_ref(ref)).is_dir()
    except PastError:
        return False


def _latest_sides(conversations: ABConversations, session: ABSession) -> dict[str, Side]:
    turns = conversations.turns(session.id)
    return turns[-1].sides if turns and len(turns[-1].sides) == 2 else session.sides


def _is_error(message: dict) -> bool:
    content = str(message.get("content", ""))
    return message.get("role") == "assistant" and content.startswith((ERROR_MARK, OLD_ERROR_MARK))


def _user(text: str) -> dict[str, str]:
    return {"role": "user", "content": text}


def _plain(message: dict) -> dict[str, str]:
    content = message.get("content", "")
    if isinstance(content, list):  # Gradio may hand back structured content parts
        content = " ".join(str(p.get("text", "")) if isinstance(p, dict) else str(p) for p in content)
    return {"role": str(message.get("role", "user")), "content": str(content)}
